"""Leaderboard statistics on synthetic results with known numbers, checked against scipy."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.cli.compare import main as compare
from experiments.report.plots import plot_leaderboard
from experiments.report.table import find_results, leaderboard, results_frame
from experiments.runs.result import write_result
from experiments.stats.over_seeds import confidence_interval, paired_p_value

# test/acc per seed 0..3: mlp leads svm_linear by about 0.02 in every seed, logreg by less.
ACCURACY = {
    "mlp": [0.960, 0.975, 0.970, 0.985],
    "svm_linear": [0.941, 0.953, 0.952, 0.962],
    "logreg": [0.955, 0.980, 0.960, 0.975],
}


def synthetic_sweep(root: Path) -> Path:
    for model, values in ACCURACY.items():
        for seed, acc in enumerate(values):
            write_result(
                root / f"model={model},seed={seed}",
                {
                    "status": "done", "overrides": [f"model={model}", f"seed={seed}"],
                    "monitor": "test/acc", "monitor_mode": "max",
                    "metrics": {"test/acc": acc, "test/f1": acc - 0.01},
                    "fit_seconds": {"mlp": 4.0, "svm_linear": 1.0, "logreg": 2.0}[model],
                    "test_seconds": 0.05, "n_params": 650,
                },
            )  # fmt: skip
    write_result(
        root / "model=mlp,seed=7",
        {"status": "failed", "overrides": ["model=mlp", "seed=7"], "error": "OutOfMemoryError"},
    )
    return root


def test_confidence_interval_is_student_t() -> None:
    values = ACCURACY["mlp"]
    low, high = confidence_interval(values)
    half = stats.t.ppf(0.975, df=3) * np.std(values, ddof=1) / math.sqrt(4)
    assert (low, high) == pytest.approx((np.mean(values) - half, np.mean(values) + half))
    assert all(math.isnan(x) for x in confidence_interval([0.9]))


def test_paired_p_value_matches_scipy_and_pairs_by_seed() -> None:
    best = dict(enumerate(ACCURACY["mlp"]))
    other = {seed: ACCURACY["svm_linear"][seed] for seed in (3, 1, 0, 2)}  # order is irrelevant
    p, n = paired_p_value(best, other)
    assert n == 4
    assert p == pytest.approx(stats.ttest_rel(ACCURACY["mlp"], ACCURACY["svm_linear"]).pvalue)
    assert math.isnan(paired_p_value(best, {0: 0.9})[0])  # one shared seed: no test


def test_leaderboard_numbers(tmp_path: Path) -> None:
    frame = results_frame(find_results([synthetic_sweep(tmp_path)]))
    board = leaderboard(frame, "test/acc", "max", ["model"])
    assert list(board["model"]) == ["mlp", "logreg", "svm_linear"]
    assert board["test/acc mean"].tolist() == pytest.approx([0.9725, 0.9675, 0.952])
    low, high = confidence_interval(ACCURACY["logreg"])
    assert board.loc[1, ["test/acc low", "test/acc high"]].tolist() == pytest.approx([low, high])
    assert board["seeds"].tolist() == [4, 4, 4]  # the failed run is not averaged
    expected = [stats.ttest_rel(ACCURACY["mlp"], ACCURACY[m]).pvalue for m in board["model"][1:]]
    assert math.isnan(board["p vs best"][0])
    assert board["p vs best"][1:].tolist() == pytest.approx(expected)
    assert expected[0] > 0.05 > expected[1]  # logreg's gap is noise, svm_linear's is not


def test_compare_cli_prints_and_writes_everything(tmp_path: Path, capsys) -> None:
    sweep = synthetic_sweep(tmp_path / "sweep")
    assert compare([str(sweep)]) == 0  # metric and mode come from the recorded monitor
    printed = capsys.readouterr().out
    p_logreg = stats.ttest_rel(ACCURACY["mlp"], ACCURACY["logreg"]).pvalue
    p_svm = stats.ttest_rel(ACCURACY["mlp"], ACCURACY["svm_linear"]).pvalue
    assert "sorted by test/acc" in printed
    assert "0.9725 ± 0.0104" in printed and f"{p_logreg:.4f} n.s." in printed
    assert f"{p_svm:.4f} sig." in printed
    assert "failed model=mlp,seed=7: OutOfMemoryError" in printed
    markdown = (sweep / "leaderboard.md").read_text().splitlines()
    assert (
        markdown[0]
        == "| model | test/acc | test/f1 | seeds | fit s | predict s | params | p vs best |"
    )
    low, high = confidence_interval(ACCURACY["mlp"])
    assert markdown[2] == (
        f"| mlp | 0.9725 ± 0.0104 [{low:.4f}, {high:.4f}] | 0.9625 ± 0.0104 "
        f"[{low - 0.01:.4f}, {high - 0.01:.4f}] | 4 | 4.00 | 0.05 | 650 | best |"
    )
    assert len((sweep / "results.csv").read_text().splitlines()) == 1 + 13
    for name in ("test_acc_by_model.png", "test_acc_vs_fit_time.png"):
        assert (sweep / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_cli_bad_input_gives_one_message(tmp_path: Path, capsys) -> None:
    sweep = synthetic_sweep(tmp_path / "sweep")
    assert compare([str(tmp_path / "missing")]) == 2
    assert (
        capsys.readouterr().err == f"experiments-compare: {tmp_path / 'missing'}: no such folder\n"
    )
    assert compare([str(sweep), "--metric", "val/auc"]) == 2
    assert "no run logged 'val/auc'; they logged test/acc, test/f1" in capsys.readouterr().err
    assert compare([str(sweep), str(sweep)]) == 2
    assert "--out: needed when comparing several folders" in capsys.readouterr().err


def test_compare_folders_whose_runs_set_different_keys(tmp_path: Path, capsys) -> None:
    synthetic_sweep(tmp_path / "a")
    overrides = ["model=mlp", "optimizer.lr=0.01", "seed=0", "launcher=parallel"]
    write_result(
        tmp_path / "b" / "job",
        {"status": "done", "overrides": overrides, "metrics": {"test/acc": 0.5},
         "monitor": "test/acc", "monitor_mode": "max"},
    )  # fmt: skip
    folders = [str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "out")]
    assert compare(folders) == 0
    markdown = (tmp_path / "out" / "leaderboard.md").read_text().splitlines()
    assert markdown[0].startswith("| model | optimizer.lr | test/acc |")  # no launcher group
    p_svm = stats.ttest_rel(ACCURACY["mlp"], ACCURACY["svm_linear"]).pvalue
    assert markdown[4].startswith("| svm_linear | - |") and f"{p_svm:.4f} sig." in markdown[4]
    assert markdown[5].startswith("| mlp | 0.01 | 0.5000 |")


def test_plots_of_runs_without_fit_times_draw_without_warnings(tmp_path: Path) -> None:
    board = pd.DataFrame(
        {
            "model": ["mlp", "logreg"],
            "test/acc mean": [0.97, 0.96],
            "test/acc low": [0.95, 0.94],
            "test/acc high": [0.99, 0.98],
            "fit_seconds": [float("nan")] * 2,  # failed runs record none
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        files = plot_leaderboard(board, ["model"], "test/acc", tmp_path)
    assert [f.name for f in files] == ["test_acc_by_model.png", "test_acc_vs_fit_time.png"]
