"""The sweep leaderboard's statistics: what a seed can and cannot tell, intervals inside the
metric's range, ties, and runs grouped by what was run (issue 10, bugs 1 and 12)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from experiments.cli.compare import main as compare
from experiments.report.summary import summarize
from experiments.report.table import find_results, leaderboard, results_frame
from experiments.runs.result import write_result


def run(folder: Path, overrides: list[str], metrics: dict, config: dict | None = None) -> Path:
    write_result(
        folder,
        {"status": "done", "overrides": overrides, "metrics": metrics, "monitor": "test/acc",
         "monitor_mode": "max", "fit_seconds": 1.0, "test_seconds": 0.1, "n_params": 10},
    )  # fmt: skip
    if config is not None:
        (folder / ".hydra").mkdir(exist_ok=True)
        (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def board_of(folder: Path, metric: str = "test/acc") -> pd.DataFrame:
    frame = results_frame(find_results([folder]))
    return leaderboard(frame, metric, "max", ["model"])


def test_seed_independent_score_is_never_significant(tmp_path: Path) -> None:
    # SMS spam: naive Bayes scores the same for every seed, svm_linear leads it by about
    # 2 of 446 messages in every seed. Seeds say nothing about the test rows.
    for seed, acc in enumerate([0.9821, 0.9823, 0.9820]):
        run(tmp_path / f"svm,{seed}", ["model=svm_linear", f"seed={seed}"], {"test/acc": acc})
        run(tmp_path / f"nb,{seed}", ["model=sk_naive_bayes", f"seed={seed}"], {"test/acc": 0.9776})
    board = board_of(tmp_path)
    assert list(board["model"]) == ["svm_linear", "sk_naive_bayes"]
    assert math.isnan(board["p vs best"][1])
    assert board["p note"][1] == "score does not depend on the seed"
    # A constant score has no interval over seeds either (not a zero-width one).
    assert math.isnan(board["test/acc low"][1])
    summarize([tmp_path], "test/acc", "max", tmp_path)
    markdown = (tmp_path / "leaderboard.md").read_text()
    assert "sig." not in markdown.split("\n", 3)[3].split("\n\n")[0].replace("n.s.", "")
    assert "n/a: score does not depend on the seed" in markdown


def test_test_rows_decide_when_runs_saved_their_predictions(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    target = rng.integers(0, 2, 446)
    for model, extra_errors in (("svm_linear", 0), ("sk_naive_bayes", 2)):
        for seed in range(3):
            predicted = target.copy()
            predicted[: 8 + extra_errors] ^= 1
            folder = run(
                tmp_path / f"{model},{seed}", [f"model={model}", f"seed={seed}"],
                {"test/acc": float(np.mean(predicted == target)) + 1e-4 * seed * (model == "svm_linear")},
            )  # fmt: skip
            np.savez(folder / "test_predictions.npz", predicted=predicted, target=target)
    board = board_of(tmp_path)
    assert board["p note"][1] == "bootstrap over 446 test rows"
    assert board["p vs best"][1] > 0.05  # 2 messages of 446
    low, high = board.loc[1, ["test/acc low", "test/acc high"]]
    assert low < 436 / 446 < high <= 1  # an interval from the test rows, though seeds agree


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
    frame = summarize([tmp_path], "val/acc", "max", tmp_path)
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
