"""A learning curve's table, duels and crossover, on generated curve folders (one protocol
folder of known scores per training-set size)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from experiments.report.learning_curve import (
    crossover_sentence,
    crossover_size,
    duels_csv,
    points_csv,
    read_curve,
    table_markdown,
    unconverged_note,
)
from experiments.report.protocol.runs import _fraction_ratio, read_protocol
from tests.report.protocol_folders import protocol_folder

FAMILIES = {"svm": "baseline", "forest": "baseline", "cnn": "deep"}


def curve_folder(root: Path, means: dict[int, dict[str, float]]) -> Path:
    """``root/size_<n>/`` per size: 5 splits x 2 seeds of each model, scoring ``means``,
    each run trained on n rows and scored on 360."""
    for size, by_model in means.items():
        rows = {"train": size, "val": 359, "test": 360}
        protocol_folder(
            root / f"size_{size}", by_model, trials=1, families=FAMILIES, seed=size, rows=rows
        )
    return root


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ([(250, "worse"), (500, "inconclusive"), (1000, "better"), (2000, "better")], 1000),
        ([(2000, "better"), (250, "better"), (500, "better")], 250),  # any order
        ([(250, "better"), (500, "inconclusive"), (1000, "better")], 1000),  # must hold on
        ([(250, "better"), (500, "better"), (1000, "equivalent")], None),  # lost at the end
        ([(250, "worse"), (500, "no duel"), (1000, "better")], 1000),
        ([], None),
    ],
)
def test_crossover_is_the_smallest_size_won_from_there_on(verdicts, expected) -> None:
    assert crossover_size(verdicts) == expected


def test_curve_table_duels_and_crossover_in_numbers(tmp_path: Path) -> None:
    # The deep net loses by 5 points at 250 rows, ties at 500 and wins by 3 and 5 points.
    folder = curve_folder(
        tmp_path,
        {
            250: {"svm": 0.90, "forest": 0.88, "cnn": 0.85},
            500: {"svm": 0.92, "forest": 0.91, "cnn": 0.92},
            1000: {"svm": 0.93, "forest": 0.92, "cnn": 0.96},
            2000: {"svm": 0.93, "forest": 0.94, "cnn": 0.99},
        },
    )
    curve = read_curve(folder)
    assert curve.sizes == [250, 500, 1000, 2000]
    assert curve.models == ["svm", "forest", "cnn"]  # baselines first
    duels = {d.size: d for d in curve.duels}
    assert [(d.deep, d.baseline) for d in curve.duels] == [
        ("cnn", "svm"), ("cnn", "svm"), ("cnn", "svm"), ("cnn", "forest"),  # the best baseline at each size
    ]  # fmt: skip
    assert duels[250].comparison.verdict == "worse"
    assert duels[500].comparison.verdict != "better"
    assert duels[1000].comparison.verdict == "better"
    assert duels[2000].comparison.mean == pytest.approx(0.05, abs=0.01)
    assert curve.crossover == 1000

    table = table_markdown(curve).splitlines()
    assert table[0] == (
        "| train rows | svm | forest | cnn | best deep vs best baseline | P(better) | verdict |"
    )
    row = table[4].split(" | ")  # 1000 rows
    assert row[0] == "| 1,000" and row[-1] == "better (crossover) |"
    cnn_mean, cnn_half = (float(x) for x in row[3].split(" ± "))
    assert cnn_mean == pytest.approx(0.96, abs=0.01) and 0 < cnn_half < 0.03
    assert row[4].startswith("cnn vs svm: 3.") and row[4].endswith(" points higher (better)")

    sentence = crossover_sentence(curve)
    assert sentence.startswith(
        "Crossover at 1,000 training rows: from there on, the best deep model beats the best "
        "baseline at every size with P(better) >= 0.95; at 1,000: cnn 0.96"
    )
    assert "; at 500: cnn 0.92" in sentence

    points = pd.read_csv(io.StringIO(points_csv(curve)))
    assert len(points) == 12 and set(points["runs"]) == {10}
    assert points.query("size == 2000 and model == 'cnn'")["mean"].item() == pytest.approx(
        0.99, abs=0.01
    )
    verdicts = pd.read_csv(io.StringIO(duels_csv(curve)))
    assert verdicts["crossover"].tolist() == [False, False, True, False]


def test_no_crossover_when_the_deep_net_loses_at_the_largest_size(tmp_path: Path) -> None:
    folder = curve_folder(
        tmp_path, {250: {"svm": 0.80, "cnn": 0.90}, 500: {"svm": 0.93, "cnn": 0.90}}
    )
    curve = read_curve(folder)
    assert curve.crossover is None
    assert crossover_sentence(curve).startswith(
        "No crossover: at the largest size (500 rows) the best deep model does not beat the "
        "best baseline with P(better) >= 0.95: cnn 0.90"
    )
    assert unconverged_note(curve) == ""


def test_a_baseline_stopped_before_converging_is_named(tmp_path: Path) -> None:
    folder = curve_folder(tmp_path, {250: {"svm": 0.80, "cnn": 0.90}})
    for path in list((folder / "size_250" / "final" / "svm").rglob("result.json"))[:3]:
        path.write_text(json.dumps(json.loads(path.read_text()) | {"converged": False}))
    note = unconverged_note(read_curve(folder))
    assert note.startswith("Not converged within trainer.max_epochs")
    assert note.endswith("understate them: svm at 250 rows (3/10).\n\n")


def test_a_deep_net_ahead_everywhere_crosses_at_the_smallest_size(tmp_path: Path) -> None:
    curve = read_curve(
        curve_folder(tmp_path, {100: {"svm": 0.8, "cnn": 0.9}, 200: {"svm": 0.85, "cnn": 0.95}})
    )
    assert curve.crossover == 100
    assert crossover_sentence(curve).endswith(
        "(the smallest size measured: the crossover may lie below it)."
    )


def test_compare_writes_the_curve_report_into_its_folder(tmp_path: Path, capsys) -> None:
    from experiments.cli.compare import main

    folder = curve_folder(
        tmp_path / "curve", {100: {"svm": 0.8, "cnn": 0.9}, 200: {"svm": 0.85, "cnn": 0.95}}
    )
    assert main([str(folder)]) == 0
    for name in ("learning_curve.csv", "crossover.csv", "learning_curve.md"):
        assert (folder / name).stat().st_size > 0
    assert (folder / "learning_curve.png").read_bytes().startswith(b"\x89PNG")
    assert list((folder / "tb" / "learning_curve").glob("events.out.tfevents.*"))
    assert "Crossover at 100 training rows" in capsys.readouterr().out
    assert main([str(folder), "--metric", "val/acc"]) == 2
    assert "--metric/--mode/--out: a learning curve reports" in capsys.readouterr().err


def test_the_correction_uses_the_rows_each_size_trained_on(tmp_path: Path) -> None:
    """Nadeau-Bengio's n_test/n_train at 250 training rows is 360/250, not the whole train
    split's 360/1077: the correction grows as the training set shrinks."""
    folder = curve_folder(
        tmp_path, {250: {"svm": 0.90, "cnn": 0.85}, 1000: {"svm": 0.9, "cnn": 0.9}}
    )
    for size in (250, 1000):
        protocol = read_protocol(folder / f"size_{size}")
        assert protocol.test_train_ratio == pytest.approx(360 / size)
        assert protocol.test_train_source.startswith("the rows the re-runs trained on")
    # Runs that do not record their rows: the config's fractions, train_size included.
    assert _fraction_ratio({"test_size": 0.2, "val_size": 0.2, "train_size": 0.25}) == (
        pytest.approx(0.2 / 0.6 / 0.25),
        "dataset.test_size / val_size / train_size",
    )
