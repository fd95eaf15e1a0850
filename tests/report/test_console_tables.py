"""Leaderboards printed where the output is not a terminal (piped, redirected, a log): the
aligned Markdown table, every cell whole, whatever width the console guesses."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from experiments.report.summary import summarize

from .test_leaderboard_stats import synthetic_sweep


def test_a_piped_leaderboard_cuts_no_cell(tmp_path: Path) -> None:
    sweep = synthetic_sweep(tmp_path / "sweep")
    out = io.StringIO()
    summarize([sweep], "test/acc", "max", sweep, console=Console(file=out, width=80))
    printed = out.getvalue()
    assert "…" not in printed
    lines = printed.splitlines()
    header = next(line for line in lines if line.startswith("| model"))
    assert [cell.strip() for cell in header.split("|")[1:-1]] == [
        "model", "test/acc", "test/f1", "seeds", "fit s", "predict s", "params", "p vs best",
    ]  # fmt: skip
    rows = [line for line in lines if line.startswith("| ")][1:]
    assert [row.split("|")[1].strip() for row in rows] == ["mlp", "logreg", "svm_linear"]
    assert len({len(line) for line in [header, *rows]}) == 1  # aligned
    assert "n/a: no test_predictions.npz to test on" in rows[1]
