from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.report.summary import summarize
from experiments.report.table import find_results, leaderboard, results_frame
from experiments.runs.result import write_result


def fake_sweep(root: Path) -> Path:
    accuracies = {"svm_linear": [0.90, 0.92, 0.94], "mlp": [0.96, 0.97, 0.98]}
    for model, values in accuracies.items():
        for seed, acc in enumerate(values):
            write_result(
                root / f"model={model},seed={seed}",
                {
                    "status": "done", "overrides": [f"model={model}", f"seed={seed}"],
                    "metrics": {"val/acc": acc - 0.01, "test/acc": acc},
                    "fit_seconds": 1.0 + seed, "test_seconds": 0.1, "n_params": 650,
                },
            )  # fmt: skip
    write_result(
        root / "model=mlp,seed=9",
        {
            "status": "failed",
            "overrides": ["model=mlp", "seed=9"],
            "error": "RuntimeError: [/src/pair.cc:553] boom",
        },
    )
    return root


def test_results_frame_columns_in_documented_order(tmp_path: Path) -> None:
    frame = results_frame(find_results([fake_sweep(tmp_path)]), root=tmp_path)
    assert list(frame.columns[:4]) == ["job", "status", "model", "seed"]
    assert list(frame.columns[4:]) == [
        "test/acc", "val/acc", "fit_seconds", "test_seconds", "n_params", "error", "config", "data",
        "run_dir",
    ]  # fmt: skip
    assert frame["run_dir"][0] == str(tmp_path / "model=mlp,seed=0")
    assert len(frame) == 7


def test_leaderboard_means_and_stds_over_seeds(tmp_path: Path) -> None:
    frame = results_frame(find_results([fake_sweep(tmp_path)]))
    board = leaderboard(frame, "val/acc", "max", ["model"])
    assert list(board["model"]) == ["mlp", "svm_linear"]
    assert board["test/acc mean"].tolist() == pytest.approx([0.97, 0.92])
    assert board["test/acc std"].tolist() == pytest.approx([0.01, 0.02])  # sample std (ddof=1)
    assert board["seeds"].tolist() == [3, 3]
    assert board["fit_seconds"].tolist() == pytest.approx([2.0, 2.0])


def test_summarize_writes_files_and_lists_failures(tmp_path: Path, capsys) -> None:
    summarize([fake_sweep(tmp_path)], "val/acc", "max", tmp_path)
    printed = capsys.readouterr().out
    assert "0.9700 ± 0.0100" in printed and "RuntimeError: [/src/pair.cc:553] boom" in printed
    markdown = (tmp_path / "leaderboard.md").read_text().splitlines()
    assert markdown[0].startswith("| model | val/acc | test/acc | seeds")
    assert markdown[2].startswith("| mlp |")
    assert len((tmp_path / "results.csv").read_text().splitlines()) == 8


def test_unreadable_result_counts_as_failed(tmp_path: Path) -> None:
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "result.json").write_text('{"status": "do')
    ((_, result),) = find_results([tmp_path])
    assert result["status"] == "failed" and "unreadable" in result["error"]


def test_write_result_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_result(tmp_path, {"status": "done"})
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
    assert json.loads((tmp_path / "result.json").read_text()) == {"status": "done"}
