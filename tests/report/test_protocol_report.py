"""The protocol's leaderboard, verdicts, plots and report.md, on generated protocol folders."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from experiments.config.compose import compose_config, config_options
from experiments.kinds import model_kind
from experiments.report.protocol.board import protocol_board
from experiments.report.protocol.budget import budget_curve, common_budget
from experiments.report.protocol.report import BASELINE, DEEP
from experiments.report.protocol.runs import read_protocol
from experiments.report.sweep_end import CollectResults
from tests.report.protocol_folders import protocol_folder

PNG = b"\x89PNG\r\n\x1a\n"


def test_verdicts_against_the_best_model(tmp_path: Path) -> None:
    # cnn and its twin are the same model; tiny_mlp is clearly worse (5 points).
    folder = protocol_folder(
        tmp_path, {"cnn": 0.985, "cnn_twin": 0.985, "tiny_mlp": 0.935}, noise=0.002
    )
    rows, rope = protocol_board(read_protocol(folder))
    assert rope == 0.01  # one point of accuracy
    by_model = {row.model: row for row in rows}
    assert rows[0].model in {"cnn", "cnn_twin"} and rows[0].vs_best is None
    twin = by_model["cnn_twin" if rows[0].model == "cnn" else "cnn"].vs_best
    assert twin.verdict == "equivalent" and twin.p_equivalent >= 0.95
    worse = by_model["tiny_mlp"].vs_best
    assert worse.verdict == "worse" and worse.p_worse >= 0.95
    assert worse.low < -0.05 < worse.high < 0 and worse.n == 10
    assert by_model["tiny_mlp"].tuned == pytest.approx(0.935, abs=0.01)
    assert by_model["tiny_mlp"].default == pytest.approx(0.935 - 0.02, abs=0.01)  # trial 0
    for row in rows:
        assert 0 <= row.tuned_low <= row.tuned <= row.tuned_high <= 1


def test_too_few_evaluations_are_inconclusive(tmp_path: Path) -> None:
    folder = protocol_folder(tmp_path, {"cnn": 0.985, "tiny_mlp": 0.96}, splits=2, seeds=1)
    rows, _ = protocol_board(read_protocol(folder))
    assert rows[1].vs_best.n == 2 and rows[1].vs_best.verdict == "inconclusive"


def test_one_split_without_test_rows_is_never_confident(tmp_path: Path) -> None:
    # Same split, 5 seeds; the gap (2 points) is consistent over seeds, but nothing says how
    # it would move on other test rows.
    folder = protocol_folder(tmp_path, {"cnn": 0.985, "mlp": 0.965}, splits=1, seeds=5, noise=0.001)
    rows, _ = protocol_board(read_protocol(folder))
    assert rows[1].vs_best.verdict == "inconclusive"
    assert "uncertainty is unknown" in rows[1].vs_best.method
    assert math.isnan(rows[0].tuned_low)


def test_one_split_with_test_predictions_uses_the_rows(tmp_path: Path) -> None:
    folder = protocol_folder(tmp_path, {"cnn": 0.985, "mlp": 0.80}, splits=1, seeds=2)
    rng = np.random.default_rng(0)
    target = rng.integers(0, 10, 360)
    for model, errors in (("cnn", 5), ("mlp", 72)):
        for seed in range(2):
            predicted = target.copy()
            wrong = rng.choice(360, errors, replace=False)
            predicted[wrong] = (predicted[wrong] + 1) % 10
            run = folder / "final" / model / f"split_0,seed_{seed}"
            np.savez(run / "test_predictions.npz", predicted=predicted, target=target)
    rows, _ = protocol_board(read_protocol(folder))
    assert rows[1].vs_best.method.startswith("bootstrap over 360 test rows")
    assert rows[1].vs_best.verdict == "worse"
    assert rows[1].vs_best.mean == pytest.approx(-(72 - 5) / 360)
    assert 0.95 < rows[0].tuned_low < rows[0].tuned_high <= 1


def test_budget_curve_selects_on_validation_and_starts_at_the_defaults() -> None:
    val = np.array([0.90, 0.95, 0.80, 0.99])
    test = np.array([0.91, 0.93, 0.99, 0.97])  # trial 2 is best on test, never selected
    curve = budget_curve(val, test, "max")
    assert curve[0] == 0.91 and curve[-1] == pytest.approx(0.97)
    assert np.all(curve <= 0.97 + 1e-12)
    # k = 2: trial 0 then one of trials 1-3 at random: selected test 0.93, 0.91 or 0.97.
    assert 0.91 < curve[1] < 0.97
    assert budget_curve(-val, test, "min")[-1] == pytest.approx(0.97)
    assert common_budget({"a": curve, "b": curve[:2]}) == 2


def test_sweep_end_writes_the_report(tmp_path: Path, capsys) -> None:
    folder = protocol_folder(
        tmp_path,
        {"cnn": 0.99, "sk_svc": 0.96, "mlp": 0.975, "logreg": 0.95},
        families={"cnn": "deep", "mlp": "deep", "sk_svc": "baseline", "logreg": "baseline"},
        noise=0.002, splits=5, seeds=2,
    )  # fmt: skip
    # What the protocol sweep's end runs: the results table, then the report.
    config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(folder)}}, "monitor": "val/acc", "monitor_mode": "max"}
    )
    CollectResults().on_multirun_end(config)
    assert (folder / "results.csv").is_file()
    text = (folder / "report.md").read_text()
    assert text.startswith("# Does a deep net beat the classic baselines on digits")
    answer = text.splitlines()[2]
    assert answer.startswith(
        "On digits, the best deep net (cnn) beats the best baseline (sk_svc) by 2.9 ± 0.4 points"
    )
    assert answer.endswith("points: P(better) > 0.99.")
    assert "5 splits x 2 seeds" in text and "ROPE: ±0.01" in text
    assert "| logreg |" in text and "| worse |" in text
    for name in ("budget_curve", "tuned_by_split", "frontier"):
        assert (folder / "plots" / f"{name}.png").read_bytes()[:8] == PNG
        assert f"![{name}](plots/{name}.png)" in text
    assert list((folder / "tb" / "report").glob("events.out.tfevents.*"))
    board = pd.read_csv(folder / "protocol.csv")
    assert board["model"].tolist()[0] == "cnn" and board["verdict"].tolist()[0] == "best"
    printed = capsys.readouterr().out
    assert answer in printed and f"Report: {folder / 'report.md'}" in printed
    assert "Leaderboard (" not in printed  # the table of every trial is written, not printed


def test_every_shipped_model_says_its_family() -> None:
    folder = Path(__file__).parents[2] / "src" / "experiments" / "conf" / "model"
    families = {
        name: yaml.safe_load((folder / f"{name}.yaml").read_text()).get("family")
        for name in config_options("model")
    }
    assert set(families.values()) == {BASELINE, DEEP}, families
    assert families["cnn"] == DEEP and families["svm_rbf"] == BASELINE
    for name in ("cnn", "sk_svc"):  # the kind check takes the key, networks and estimators
        model_kind(compose_config([f"model={name}"]).model)
