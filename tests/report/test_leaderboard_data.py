"""Leaderboards never rank runs of different data together (issue 27: a sweep re-run after
its CSV changed ranked old and new scores side by side), and never count runs that another
job replaced, nor debug runs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from experiments.cli.compare import main as compare
from experiments.report.summary import summarize
from experiments.runs.result import write_result


def run(folder: Path, model: str, acc: float, data: tuple[str, str] | None, status="done") -> Path:
    """A finished run's folder; ``data`` is the (source, data id) its identity recorded."""
    identity = {"id": f"{model}{data}", "data": {"source": data[0], "id": data[1]}} if data else {}
    write_result(
        folder,
        {"status": status, "overrides": [f"model={model}"], "metrics": {"test/acc": acc},
         "monitor": "test/acc", "monitor_mode": "max", "fit_seconds": 1.0, "test_seconds": 0.1,
         "n_params": 10, "identity": identity},
    )  # fmt: skip
    return folder


def test_runs_of_other_data_get_their_own_leaderboard(tmp_path: Path) -> None:
    old, new = ("csv:wine2.csv", "1111aaaa"), ("csv:wine2.csv", "2222bbbb")
    run(tmp_path / "model=logreg", "logreg", 0.9722, old)
    run(tmp_path / "model=mlp", "mlp", 0.9444, old)
    run(tmp_path / "model=svm_linear", "svm_linear", 0.8611, new)
    console = Console(record=True, width=200)
    summarize([tmp_path], "test/acc", "max", tmp_path, console=console)
    printed = console.export_text()
    assert "Leaderboard on csv:wine2.csv [1111aaaa] (2 runs" in printed
    assert "Leaderboard on csv:wine2.csv [2222bbbb] (1 runs" in printed
    board = (tmp_path / "leaderboard.md").read_text()
    first, second = board.split("## csv:wine2.csv [2222bbbb]")
    assert first.startswith("## csv:wine2.csv [1111aaaa]")
    assert "logreg" in first and "mlp" in first and "svm_linear" not in first
    table = second.split("\np vs best:")[0]  # the caption and closing sentence name them all
    assert "svm_linear" in table and "logreg" not in table
    assert "each data has its own leaderboard" in board
    assert (tmp_path / "plots" / "data_1111aaaa").is_dir()
    assert (tmp_path / "plots" / "data_2222bbbb").is_dir()


def test_runs_of_one_data_keep_one_leaderboard(tmp_path: Path) -> None:
    digits = ("builtin:digits", "c7eac227")
    run(tmp_path / "model=logreg", "logreg", 0.96, digits)
    run(tmp_path / "model=mlp", "mlp", 0.93, digits)
    run(tmp_path / "model=cnn", "cnn", 0.5, digits, status="debug")
    run(tmp_path / "model=mlp" / ".replaced" / "old", "mlp", 0.99, ("builtin:digits", "0ld0ld00"))
    assert compare([str(tmp_path)]) == 0
    board = (tmp_path / "leaderboard.md").read_text()
    assert not board.startswith("##") and "0.9900" not in board and "cnn" not in board
    assert "logreg" in board and "| 0.9300 |" in board  # mlp: its own run alone
