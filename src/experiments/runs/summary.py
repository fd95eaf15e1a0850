"""Summarize a sweep folder: results table, leaderboard files, and a printed leaderboard."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from experiments.runs.table import (
    find_results,
    format_leaderboard,
    leaderboard,
    results_frame,
    write_table_files,
)

log = logging.getLogger(__name__)
SEED_KEY = "seed"


def summarize(
    folders: list[Path], metric: str, mode: str, out_dir: Path, console: Console | None = None
) -> pd.DataFrame:
    """Collect every run below ``folders``, write ``results.csv`` and ``leaderboard.md`` into
    ``out_dir``, print the leaderboard and the failed runs, and return the results table.

    Runs are grouped by every override key except ``seed``.
    """
    console = console or Console(width=max(Console().width, 120))
    root = folders[0] if len(folders) == 1 else None
    frame = results_frame(find_results(folders), root=root)
    group_by = _group_keys(frame)
    metrics = [metric, *(m for m in _test_metrics(frame) if m != metric)]
    board = leaderboard(frame, metric, mode, group_by)
    shown = format_leaderboard(board, group_by, metrics)
    write_table_files(out_dir, frame, shown)

    table = Table(title=f"Leaderboard ({len(frame)} runs, sorted by {metric})")
    for column in shown.columns:
        table.add_column(column, justify="left" if column in group_by else "right")
    for row in shown.itertuples(index=False):
        table.add_row(*map(str, row))
    console.print(table)
    failed = frame[frame["status"] != "done"]
    for row in failed.itertuples(index=False):
        console.print(f"[red]{row.status}[/red] {row.job}: {row.error}")
    return frame


def _group_keys(frame: pd.DataFrame) -> list[str]:
    """Override keys other than the seed; of those, only the ones that vary between runs
    when any do (a constant ``experiment=...`` says nothing in a leaderboard)."""
    keys = [key for key in frame.attrs["override_keys"] if key != SEED_KEY]
    varying = [key for key in keys if frame[key].nunique(dropna=False) > 1]
    return varying or keys


def _test_metrics(frame: pd.DataFrame) -> list[str]:
    return sorted(c for c in frame.columns if c.startswith("test/") and not c.endswith("/loss"))
