"""Collect `result.json` files into one table (`results.csv`) and a leaderboard over seeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.runs.result import RESULT_FILE, write_atomic

TIMING_COLUMNS = ["fit_seconds", "test_seconds", "n_params"]


def find_results(folders: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Every ``result.json`` below the folders, as ``(run folder, result)``, sorted by path.

    A file that cannot be parsed is reported as a failed run rather than dropped.
    """
    found = []
    for folder in folders:
        for path in sorted(folder.rglob(RESULT_FILE)):
            try:
                result = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as error:
                result = {"status": "failed", "error": f"unreadable {RESULT_FILE}: {error}"}
            found.append((path.parent, result))
    return found


def parse_overrides(overrides: list[str]) -> dict[str, str]:
    """``["model=mlp", "+x=1", "~y"]`` -> ``{"model": "mlp", "x": "1"}`` (deletions skipped)."""
    parsed = {}
    for override in overrides:
        key, sep, value = override.partition("=")
        if sep:
            parsed[key.lstrip("+~")] = value
    return parsed


def results_frame(
    runs: list[tuple[Path, dict[str, Any]]], root: Path | None = None
) -> pd.DataFrame:
    """One row per run: ``job``, ``status``, one column per override key, the metrics under
    their logged names, then fit/test seconds and parameter count. The override keys, in
    order of first appearance, are in ``frame.attrs["override_keys"]``."""
    rows, override_keys, metric_keys = [], {}, {}
    for run_dir, result in runs:
        overrides = parse_overrides(result.get("overrides", []))
        metrics = result.get("metrics", {})
        override_keys.update(dict.fromkeys(overrides))
        metric_keys.update(dict.fromkeys(metrics))
        job = str(run_dir.relative_to(root)) if root and run_dir != root else run_dir.name
        rows.append(
            {"job": job, "status": result.get("status", "unknown")}
            | overrides
            | metrics
            | {key: result.get(key) for key in TIMING_COLUMNS}
            | {"error": result.get("error")}
        )
    columns = ["job", "status", *override_keys, *sorted(metric_keys), *TIMING_COLUMNS, "error"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs["override_keys"] = list(override_keys)
    return frame


def leaderboard(frame: pd.DataFrame, metric: str, mode: str, group_by: list[str]) -> pd.DataFrame:
    """Finished runs grouped by ``group_by`` (the swept settings other than the seed):
    mean and std of every metric over seeds, number of seeds, mean timings and parameter
    count; sorted best first by ``metric`` (``mode`` ``max`` or ``min``)."""
    done = frame[frame["status"] == "done"]
    metric_columns = [c for c in done.columns if "/" in c]
    if not group_by:
        done = done.assign(run="all")
        group_by = ["run"]
    grouped = done.groupby(group_by, sort=False, dropna=False)
    table = grouped[metric_columns].agg(["mean", "std"])
    table.columns = [f"{name} {stat}" for name, stat in table.columns]
    table["seeds"] = grouped.size()
    for column in TIMING_COLUMNS:
        table[column] = grouped[column].mean()
    sort_column = f"{metric} mean"
    if sort_column in table.columns:
        table = table.sort_values(sort_column, ascending=mode == "min")
    return table.reset_index()


def format_leaderboard(
    board: pd.DataFrame, group_by: list[str], metrics: list[str]
) -> pd.DataFrame:
    """The leaderboard as strings: ``mean ± std`` per metric, seconds and parameters rounded."""
    shown = board[group_by].astype(str) if group_by else pd.DataFrame({"run": board["run"]})
    for metric in metrics:
        if f"{metric} mean" in board:
            mean, std = board[f"{metric} mean"], board[f"{metric} std"].fillna(0.0)
            shown[metric] = [f"{m:.4f} ± {s:.4f}" for m, s in zip(mean, std, strict=True)]
    shown["seeds"] = board["seeds"].astype(int).astype(str)
    shown["fit s"] = board["fit_seconds"].map(lambda s: f"{s:.2f}")
    shown["params"] = board["n_params"].map(lambda n: "-" if pd.isna(n) else f"{int(n):,}")
    return shown


def write_table_files(folder: Path, frame: pd.DataFrame, shown: pd.DataFrame) -> None:
    """``results.csv`` (every run) and ``leaderboard.md`` into ``folder``, atomically."""
    write_atomic(folder / "results.csv", frame.to_csv(index=False))
    write_atomic(folder / "leaderboard.md", markdown_table(shown))


def markdown_table(shown: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of string cells."""
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in shown.astype(str).itertuples(index=False)]
    return "\n".join(lines) + "\n"
