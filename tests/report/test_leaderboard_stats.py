"""Leaderboard statistics on synthetic results with known numbers, checked against scipy and
statsmodels: the intervals, McNemar's test, the paired permutation test and Holm's
adjustment; and no p-value where no test rows were saved (never one from seeds)."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from experiments.cli.compare import main as compare
from experiments.report.plots import plot_leaderboard
from experiments.report.table import find_results, leaderboard, results_frame
from experiments.runs.result import write_result
from experiments.stats.held_out_rows import mcnemar_p_value, sign_flip_p_value
from experiments.stats.over_seeds import confidence_interval
from experiments.stats.significance import holm

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
    # scipy.stats.t.interval's numbers to the last bit, without importing scipy.stats
    for values in (ACCURACY["svm_linear"], [0.5, 0.7], np.linspace(3, 9, 11) ** 2):
        expected = stats.t.interval(
            0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values)
        )
        assert confidence_interval(values) == tuple(float(x) for x in expected)


@pytest.mark.slow
def test_a_leaderboard_does_not_import_scipy_stats(tmp_path: Path) -> None:
    # 0.4-0.6 s of every compare's start-up: its Student t intervals need scipy.special only.
    sweep = synthetic_sweep(tmp_path / "sweep")
    code = (
        "import sys; from experiments.cli.compare import main; "
        f"main([{str(sweep)!r}, '--out', {str(tmp_path / 'out')!r}]); "
        "print('scipy.stats' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert (tmp_path / "out" / "leaderboard.md").is_file()
    assert done.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize(("a_only", "b_only"), [(5, 0), (14, 6), (3, 4), (40, 21), (0, 0)])
def test_mcnemar_matches_statsmodels(a_only: int, b_only: int) -> None:
    both, neither = 300, 12
    correct_a = np.array([True] * both + [True] * a_only + [False] * b_only + [False] * neither)
    correct_b = np.array([True] * both + [False] * a_only + [True] * b_only + [False] * neither)
    table = [[both, a_only], [b_only, neither]]
    p, discordant = mcnemar_p_value(correct_a, correct_b)
    assert discordant == a_only + b_only
    assert p == pytest.approx(mcnemar(table, exact=True).pvalue if discordant else 1.0)


def test_sign_flips_match_scipys_exact_permutation_test() -> None:
    rng = np.random.default_rng(3)
    for shift in (0.0, 0.3, 0.8):
        differences = rng.normal(shift, 1.0, 14)
        exact = stats.permutation_test(
            (differences, np.zeros_like(differences)),
            lambda x, y, axis: np.mean(x - y, axis=axis),
            permutation_type="samples", n_resamples=np.inf, vectorized=True,
        ).pvalue  # fmt: skip
        # Monte Carlo with 10,000 flips: standard error at most 0.005.
        assert sign_flip_p_value(differences) == pytest.approx(exact, abs=0.02)
    assert sign_flip_p_value(np.zeros(5)) == 1.0


def test_holm_matches_statsmodels_and_leaves_untested_rows_out() -> None:
    p_values = [0.01, 0.04, math.nan, 0.03, 0.2]
    tested = [p for p in p_values if not math.isnan(p)]
    expected = iter(multipletests(tested, method="holm")[1])
    adjusted = holm(p_values)
    assert math.isnan(adjusted[2])
    assert [a for a in adjusted if not math.isnan(a)] == pytest.approx(list(expected))


def test_leaderboard_numbers(tmp_path: Path) -> None:
    frame = results_frame(find_results([synthetic_sweep(tmp_path)]))
    board = leaderboard(frame, "test/acc", "max", ["model"])
    assert list(board["model"]) == ["mlp", "logreg", "svm_linear"]
    assert board["test/acc mean"].tolist() == pytest.approx([0.9725, 0.9675, 0.952])
    low, high = confidence_interval(ACCURACY["logreg"])
    assert board.loc[1, ["test/acc low", "test/acc high"]].tolist() == pytest.approx([low, high])
    assert board["seeds"].tolist() == [4, 4, 4]  # the failed run is not averaged
    # No test rows saved: no p-value. A t-test over these seeds would call svm_linear's gap
    # significant (p = 0.0007): seeds are not the test set.
    assert stats.ttest_rel(ACCURACY["mlp"], ACCURACY["svm_linear"]).pvalue < 0.001
    assert board["p vs best"].isna().all()
    assert board["p note"][1:].tolist() == ["no test_predictions.npz to test on"] * 2


def test_compare_cli_prints_and_writes_everything(tmp_path: Path, capsys) -> None:
    sweep = synthetic_sweep(tmp_path / "sweep")
    assert compare([str(sweep)]) == 0  # metric and mode come from the recorded monitor
    printed = capsys.readouterr().out
    assert "sorted by test/acc" in printed
    assert "0.9725 ± 0.0104" in printed and " sig. " not in printed.replace("sig. = p", "")
    assert "n/a: no test_predictions.npz to test on" in printed
    assert "failed model=mlp,seed=7: OutOfMemoryError" in printed
    assert " ".join(printed.split()).endswith(
        "that is how these settings did on this split, not a verdict: for one, with every "
        "model tuned on the same budget over repeated splits, run experiments-train -m "
        "model=logreg,mlp,svm_linear protocol=fair"
    )
    assert printed.rstrip().endswith(
        "\n  experiments-train -m model=logreg,mlp,svm_linear protocol=fair"
    )
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
    assert "With these settings and one split, mlp leads on test/acc" in "\n".join(markdown)
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
    assert markdown[4].startswith("| svm_linear | - |") and "| n/a: no test_pred" in markdown[4]
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


def test_compare_refuses_runs_of_two_tasks(tmp_path: Path, capsys) -> None:
    sweep = synthetic_sweep(tmp_path / "sweep")
    write_result(
        tmp_path / "regression" / "job",
        {"status": "done", "overrides": ["model=mlp", "dataset=diabetes"], "monitor": "test/acc",
         "monitor_mode": "max", "metrics": {"test/rmse": 55.0, "test/mae": 44.0}},
    )  # fmt: skip
    out = tmp_path / "out"
    assert compare([str(sweep), str(tmp_path / "regression"), "--out", str(out)]) == 2
    assert (
        "the runs are of several tasks (classification: 12 runs, regression: 1 run): a "
        "leaderboard ranks one task's runs on that task's metrics" in capsys.readouterr().err
    )
    assert not out.exists()  # no test/mae cells for classifiers, nor any file
