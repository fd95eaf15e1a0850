"""The sweep leaderboard's statistics: what a seed can and cannot tell (only the test rows
test a lead), intervals inside the metric's range, ties, runs grouped by what was run
(issue 10, bugs 1 and 12), and the sentence that ends a plain sweep (issue 26)."""

from __future__ import annotations

import itertools
import math
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments.cli.compare import main as compare
from experiments.report import summary as summary_module
from experiments.report.summary import summarize
from experiments.report.table import find_results, iter_results, leaderboard, results_frame
from experiments.runs.result import write_result
from experiments.stats import held_out_rows
from experiments.stats.held_out_rows import load_test_predictions, mcnemar_p_value
from experiments.stats.significance import holm


def run(
    folder: Path, overrides: list[str], metrics: dict, config: dict | None = None,
    predicted: np.ndarray | None = None, target: np.ndarray | None = None,
) -> Path:  # fmt: skip
    """A finished run's ``result.json`` (and ``test_predictions.npz`` when given)."""
    write_result(
        folder,
        {"status": "done", "overrides": overrides, "metrics": metrics, "monitor": "test/acc",
         "monitor_mode": "max", "fit_seconds": 1.0, "test_seconds": 0.1, "n_params": 10},
    )  # fmt: skip
    if predicted is not None:
        np.savez(folder / "test_predictions.npz", predicted=predicted, target=target)
    if config is not None:
        (folder / ".hydra").mkdir(exist_ok=True)
        (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def board_of(folder: Path, metric: str = "test/acc") -> pd.DataFrame:
    frame = results_frame(find_results([folder]))
    return leaderboard(frame, metric, "max", ["model"])


def test_seeds_never_give_a_p_value(tmp_path: Path) -> None:
    # SMS spam: naive Bayes scores the same for every seed, svm_linear leads it by about
    # 2 of 446 messages in every seed. Without test rows nothing can say if that is real.
    for seed, acc in enumerate([0.9821, 0.9823, 0.9820]):
        run(tmp_path / f"svm,{seed}", ["model=svm_linear", f"seed={seed}"], {"test/acc": acc})
        run(tmp_path / f"nb,{seed}", ["model=sk_naive_bayes", f"seed={seed}"], {"test/acc": 0.9776})
    board = board_of(tmp_path)
    assert list(board["model"]) == ["svm_linear", "sk_naive_bayes"]
    assert math.isnan(board["p vs best"][1])
    assert board["p note"][1] == "no test_predictions.npz to test on"
    # A constant score has no interval over seeds either (not a zero-width one).
    assert math.isnan(board["test/acc low"][1])
    summarize([tmp_path], "test/acc", "max", tmp_path)
    markdown = (tmp_path / "leaderboard.md").read_text()
    assert "sig." not in markdown.split("\n", 3)[3].split("\n\n")[0].replace("n.s.", "")
    assert "n/a: no test_predictions.npz to test on" in markdown
    assert "which its test rows cannot confirm or refute" in " ".join(markdown.split())


def test_test_rows_decide_when_runs_saved_their_predictions(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    target = rng.integers(0, 2, 446)
    for model, extra_errors in (("svm_linear", 0), ("sk_naive_bayes", 2)):
        for seed in range(3):
            predicted = target.copy()
            predicted[: 8 + extra_errors] ^= 1
            acc = float(np.mean(predicted == target)) + 1e-4 * seed * (model == "svm_linear")
            run(tmp_path / f"{model},{seed}", [f"model={model}", f"seed={seed}"],
                {"test/acc": acc}, predicted=predicted, target=target)  # fmt: skip
    board = board_of(tmp_path)
    # Each side made one prediction per row in every seed: McNemar on the 2 rows they differ.
    assert board["p note"][1] == "McNemar's exact test on 2 discordant rows"
    assert board["p vs best"][1] == pytest.approx(0.5)  # 2 of 2 rows: 2 * 0.5**2
    low, high = board.loc[1, ["test/acc low", "test/acc high"]]
    assert low < 436 / 446 < high <= 1  # an interval from the test rows, though seeds agree


def test_optimizer_noise_on_validation_is_no_significance(tmp_path: Path) -> None:
    # The house table: svr_linear 15665.56 ± 0.90 against linear_regression
    # 15325.73 ± 0.17 on val/rmse, L-BFGS stopping noise; a t-test over those seeds gave
    # "< 0.0001 sig.", the test rows p = 0.774.
    rng = np.random.default_rng(4)
    target = rng.normal(180_000, 80_000, 292)
    least_squares = target + rng.normal(0, 15_000, 292)
    svr = least_squares + rng.normal(0, 2_000, 292)
    models = {
        "linear_regression": (least_squares, 15325.73, 0.17),
        "svr_linear": (svr, 15665.56, 0.9),
    }
    for model, (predicted, val, noise) in models.items():
        for seed in range(3):
            run(
                tmp_path / f"{model},{seed}", [f"model={model}", f"seed={seed}"],
                {"val/rmse": val + noise * (seed - 1), "test/rmse": float(np.sqrt(np.mean((predicted - target) ** 2)))},
                predicted=predicted + 0.01 * seed, target=target,
            )  # fmt: skip
    frame = results_frame(find_results([tmp_path]))
    board = leaderboard(frame, "val/rmse", "min", ["model"])
    assert list(board["model"]) == ["linear_regression", "svr_linear"]
    assert board["p note"][1] == "a paired permutation test over the rows"
    assert board["p vs best"][1] > 0.05
    summary = summarize([tmp_path], "val/rmse", "min", tmp_path)
    rows = (tmp_path / "leaderboard.md").read_text().splitlines()[2:4]
    assert rows[1].startswith("| svr_linear |") and rows[1].endswith(" n.s. |")
    assert (
        "on the 292 test rows linear_regression's RMSE is 111.1 lower (better) than "
        "svr_linear's, not significantly (p = " in " ".join(summary.closing.split())
    )


def test_the_best_on_validation_may_trail_on_the_test_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    target = rng.normal(0, 1, 400)
    behind, ahead = target + rng.normal(0, 1.0, 400), target + rng.normal(0, 0.5, 400)
    for model, predicted, val in (("mlp", behind, 0.5), ("ridge", ahead, 0.6)):
        test = float(np.sqrt(np.mean((predicted - target) ** 2)))
        run(tmp_path / model, [f"model={model}"], {"val/rmse": val, "test/rmse": test},
            predicted=predicted, target=target)  # fmt: skip
    summary = summarize([tmp_path], "val/rmse", "min", tmp_path)
    ridge = (tmp_path / "leaderboard.md").read_text().splitlines()[3]
    assert ridge.startswith("| ridge |") and ridge.endswith(" sig. (ahead on test) |")
    closing = " ".join(summary.closing.split())
    assert "mlp leads on val/rmse, but on the 400 test rows mlp's RMSE is " in closing
    assert (
        "higher (worse) than ridge's, significantly (p = 0.0001 by a paired permutation "
        "test over the rows)" in closing
    )


def test_several_rows_get_holm_adjusted_p_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    target = rng.integers(0, 3, 300)
    raw = []
    for index, errors in enumerate([10, 22, 30, 14]):
        predicted = target.copy()
        predicted[:errors] = (predicted[:errors] + 1) % 3  # the same first rows, more of them
        run(tmp_path / f"m{index}", [f"model=m{index}"], {"test/acc": 1 - errors / 300},
            predicted=predicted, target=target)  # fmt: skip
        raw.append(mcnemar_p_value(predicted == target, np.arange(300) >= 10)[0])
    board = board_of(tmp_path)
    assert list(board["model"]) == ["m0", "m3", "m1", "m2"]
    order = [3, 1, 2]  # board rows after the best
    assert board["p vs best"][1:].tolist() == pytest.approx(holm([raw[i] for i in order]))
    assert board["p vs best"][3] == pytest.approx(3 * raw[2])  # the smallest raw p, times 3


def test_intervals_stay_inside_the_metric_range(tmp_path: Path) -> None:
    for seed, (acc, r2) in enumerate([(0.97, 0.95), (1.0, 0.999)]):
        run(tmp_path / f"m,{seed}", ["model=mlp", f"seed={seed}"], {"test/acc": acc, "test/r2": r2})
    board = board_of(tmp_path)
    assert board["test/acc high"][0] == 1.0 and board["test/r2 high"][0] == 1.0
    assert board["test/acc low"][0] < 0.97


def test_ties_are_shown_as_ties(tmp_path: Path) -> None:
    for model in ("a", "b"):
        for seed, acc in enumerate([0.95, 0.96, 0.97]):
            run(tmp_path / f"{model},{seed}", [f"model={model}", f"seed={seed}"], {"test/acc": acc})
    run(tmp_path / "c,0", ["model=c", "seed=0"], {"test/acc": 0.5})
    run(tmp_path / "c,1", ["model=c", "seed=1"], {"test/acc": 0.6})
    summarize([tmp_path], "test/acc", "max", tmp_path)
    rows = (tmp_path / "leaderboard.md").read_text().splitlines()[2:5]
    assert rows[0].startswith("| a |") and rows[0].endswith("| best (tie) |")
    assert rows[1].startswith("| b |") and rows[1].endswith("| best (tie) |")
    assert not rows[2].endswith("tie) |")


def test_a_config_group_override_is_not_a_metric(tmp_path: Path) -> None:
    # issue 10, bug 1: `dataset/features=tokens` was averaged as a metric and crashed.
    for seed in (0, 1):
        run(
            tmp_path / f"job{seed}",
            ["experiment=spam", "dataset/features=tokens", "model=text_cnn", f"seed={seed}"],
            {"test/acc": 0.9 + seed / 100, "val/acc": 0.9},
        )
    frame = summarize([tmp_path], "val/acc", "max", tmp_path).frame
    assert list(frame["dataset/features"]) == ["tokens", "tokens"]
    assert (
        (tmp_path / "leaderboard.md")
        .read_text()
        .startswith("| experiment | dataset/features | model | val/acc")
    )
    assert compare([str(tmp_path)]) == 0


def test_compare_groups_runs_by_what_was_run(tmp_path: Path) -> None:
    # issue 10, bug 12: two sweeps of model=resmlp, on two days with different YAML contents.
    for day, width, scores in (("day1", 64, [0.97, 0.98]), ("day2", 16, [0.90, 0.91])):
        for seed, acc in enumerate(scores):
            config = {
                "seed": seed,
                "output_root": f"/out/{day}",
                "model": {"name": "resmlp", "width": width},
            }
            run(tmp_path / day / f"model=resmlp,seed={seed}", ["model=resmlp", f"seed={seed}"],
                {"test/acc": acc}, config)  # fmt: skip
    assert compare([str(tmp_path / "day1"), str(tmp_path / "day2"), "--out", str(tmp_path)]) == 0
    board = (tmp_path / "leaderboard.md").read_text().splitlines()
    assert board[0].startswith("| model | config | test/acc |")
    assert (
        board[2].startswith("| resmlp |")
        and "| 0.9750 ± 0.0071" in board[2]
        and "| 2 |" in board[2]
    )
    assert (
        board[3].startswith("| resmlp |")
        and "| 0.9050 ± 0.0071" in board[3]
        and "| 2 |" in board[3]
    )
    results = pd.read_csv(tmp_path / "results.csv")
    assert sorted(Path(d).parent.name for d in results["run_dir"]) == [
        "day1",
        "day1",
        "day2",
        "day2",
    ]
    assert results.groupby("config")["test/acc"].mean().round(3).sort_values().tolist() == [
        0.905,
        0.975,
    ]
    # The seed and the output folder are not what was run: one config per day.
    assert results["config"].nunique() == 2


def test_the_leaderboard_holds_two_groups_predictions_at_a_time(
    tmp_path: Path, monkeypatch
) -> None:
    # A sweep of 8 settings x 2 seeds: each group's test rows are read once and freed after
    # its intervals and lead, the best group's kept; so memory does not grow with the groups.
    rng = np.random.default_rng(7)
    target = np.arange(90) % 3
    for group in range(8):
        for seed in range(2):
            predicted = np.where(rng.random(90) < 0.6 + 0.04 * group, target, (target + 1) % 3)
            acc = float(np.mean(predicted == target))
            run(tmp_path / f"{group},{seed}", [f"model.lr={group}", f"seed={seed}"],
                {"test/acc": acc, "test/f1": acc}, predicted=predicted, target=target)  # fmt: skip
    loaded, most_alive = [], 0

    def load_and_count(run_dir: Path) -> tuple[np.ndarray, np.ndarray] | None:
        nonlocal most_alive
        rows = load_test_predictions(run_dir)
        most_alive = max(most_alive, sum(alive() is not None for alive in loaded))
        loaded.append(weakref.ref(rows[0]))
        return rows

    monkeypatch.setattr(held_out_rows, "load_test_predictions", load_and_count)
    frame = results_frame(find_results([tmp_path]))
    board = leaderboard(frame, "test/acc", "max", ["model.lr"])
    assert len(loaded) == 16  # every run read once
    assert most_alive <= 2 + 2  # the best group's 2 runs and one other's: not all 16
    assert (
        board["model.lr"][0] == "7"
        and (board["p note"][1:] == "a paired permutation test over the rows").all()
    )


def test_the_summary_reads_the_runs_results_one_at_a_time(tmp_path: Path, monkeypatch) -> None:
    # A run's result.json holds some 20 kB (identity, provenance, per-class counts): a
    # 2,000-run sweep's summary held 40 MB of them through its bootstraps.
    for model, seed in itertools.product(("mlp", "logreg"), range(3)):
        acc = 0.9 + seed / 100 + (model == "mlp") / 20
        run(tmp_path / f"{model},{seed}", [f"model={model}", f"seed={seed}"], {"test/acc": acc})

    class Result(dict):  # a dict that a weak reference can follow
        pass

    results: list[weakref.ref] = []
    most_alive, alive_at_leaderboard = 0, []

    def alive() -> int:
        return sum(result() is not None for result in results)

    def iter_and_follow(folders: list[Path]) -> Iterator[tuple[Path, dict]]:
        nonlocal most_alive
        for folder, result in iter_results(folders):
            most_alive = max(most_alive, alive())
            result = Result(result)
            results.append(weakref.ref(result))
            yield folder, result

    def leaderboard_counting(*args, **kwargs) -> pd.DataFrame:
        alive_at_leaderboard.append(alive())
        return leaderboard(*args, **kwargs)

    monkeypatch.setattr(summary_module, "iter_results", iter_and_follow)
    monkeypatch.setattr(summary_module, "leaderboard", leaderboard_counting)
    summary = summarize([tmp_path], "test/acc", "max", tmp_path)
    assert len(results) == 6 and most_alive <= 1 and alive_at_leaderboard == [0]
    assert "experiments-train -m model=logreg,mlp protocol=fair" in summary.closing
