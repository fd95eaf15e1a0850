"""Collect `result.json` files into one table (`results.csv`) and a leaderboard over seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.report.stats import ALPHA, confidence_interval, paired_p_value
from experiments.runs.atomic import write_atomic
from experiments.runs.result import RESULT_FILE

TIMING_COLUMNS = ["fit_seconds", "test_seconds", "n_params"]
SEED_KEY = "seed"
P_COLUMN = "p vs best"


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


def leaderboard(
    frame: pd.DataFrame, metric: str, mode: str, group_by: list[str], seed_key: str = SEED_KEY
) -> pd.DataFrame:
    """Finished runs grouped by ``group_by`` (the swept settings other than the seed), best
    first by the mean of ``metric`` (``mode`` ``max`` or ``min``).

    Returns:
        One row per group: the group's settings; for every metric ``<m> mean``, ``<m> std``
        (sample std) and the 95% confidence interval of the mean ``<m> low`` / ``<m> high``;
        ``seeds`` (runs); mean timings and parameter count; and ``p vs best``, the p-value
        of the best group's lead on ``metric`` over this group by a paired t-test over the
        seeds both ran (nan for the best group itself and where it cannot be computed).
    """
    done = frame[frame["status"] == "done"]
    metric_columns = [c for c in done.columns if "/" in c]
    if not group_by:
        done = done.assign(run="all")
        group_by = ["run"]
    grouped = done.groupby(group_by, sort=False, dropna=False)
    table = grouped[metric_columns].agg(["mean", "std"])
    table.columns = [f"{name} {stat}" for name, stat in table.columns]
    for column in metric_columns:
        intervals = grouped[column].apply(lambda v: confidence_interval(v.dropna().tolist()))
        table[f"{column} low"] = [low for low, _ in intervals]
        table[f"{column} high"] = [high for _, high in intervals]
    table["seeds"] = grouped.size()
    for column in TIMING_COLUMNS:
        table[column] = grouped[column].mean()
    sort_column = f"{metric} mean"
    if sort_column in table.columns:
        table = table.sort_values(sort_column, ascending=mode == "min")
    table = table.reset_index()
    table[P_COLUMN] = _p_values_vs_best(done, table, metric, group_by, seed_key)
    return table


def _p_values_vs_best(
    done: pd.DataFrame, board: pd.DataFrame, metric: str, group_by: list[str], seed_key: str
) -> list[float]:
    """For each leaderboard row, `paired_p_value` of the first (best) row against it."""
    if board.empty or metric not in done or seed_key not in done:
        return [math.nan] * len(board)
    by_group: dict[tuple[str, ...], dict[str, float]] = {}
    keys = map(tuple, done[group_by].map(_key_text).to_numpy())
    for key, seed, value in zip(keys, done[seed_key], done[metric], strict=True):
        if pd.notna(value):
            by_group.setdefault(key, {})[str(seed)] = float(value)
    rows = [tuple(row) for row in board[group_by].map(_key_text).to_numpy()]
    best = by_group.get(rows[0], {})
    return [math.nan] + [paired_p_value(best, by_group.get(row, {}))[0] for row in rows[1:]]


def format_leaderboard(
    board: pd.DataFrame, group_by: list[str], metrics: list[str], interval_sep: str = " "
) -> pd.DataFrame:
    """The leaderboard as strings.

    A metric cell is ``mean ± std`` and, ``interval_sep`` after it, the 95% confidence
    interval ``[low, high]``; a group of one seed shows its value alone. Float settings are
    shortened by `setting_text`. ``p vs best`` is
    followed by ``sig.`` or ``n.s.`` at the 5% level.
    """
    shown = board[group_by].map(setting_text) if group_by else board[["run"]].copy()
    for metric in metrics:
        if f"{metric} mean" in board:
            shown[metric] = [
                _metric_cell(row, metric, interval_sep) for row in board.to_dict("records")
            ]
    shown["seeds"] = board["seeds"].astype(int).astype(str)
    shown["fit s"] = board["fit_seconds"].map(lambda s: f"{s:.2f}")
    shown["predict s"] = board["test_seconds"].map(lambda s: f"{s:.2f}")
    shown["params"] = board["n_params"].map(lambda n: "-" if pd.isna(n) else f"{int(n):,}")
    if len(board) > 1:
        shown[P_COLUMN] = ["best"] + [_p_cell(p) for p in board[P_COLUMN].iloc[1:]]
    return shown


def _key_text(value: Any) -> str:
    """An override value as a grouping key: as written, ``-`` where a run did not set it
    (runs from several sweeps); NaN would never equal itself."""
    return value if isinstance(value, str) else "-" if pd.isna(value) else str(value)


def setting_text(value: Any) -> str:
    """An override value for display: floats to 4 significant digits (a search samples
    values like ``0.0013763880649894868``), ``-`` where unset, everything else as written."""
    text = _key_text(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{number:.4g}" if "." in text or "e" in text.lower() else text


def _metric_cell(row: dict, metric: str, interval_sep: str) -> str:
    mean, std = row[f"{metric} mean"], row[f"{metric} std"]
    if pd.isna(std):
        return f"{mean:.4f}"
    low, high = row[f"{metric} low"], row[f"{metric} high"]
    return f"{mean:.4f} ± {std:.4f}{interval_sep}[{low:.4f}, {high:.4f}]"


def _p_cell(p: float) -> str:
    if pd.isna(p):
        return "n/a"
    verdict = "sig." if p < ALPHA else "n.s."
    return f"{'<0.0001' if p < 1e-4 else f'{p:.4f}'} {verdict}"


def write_table_files(folder: Path, frame: pd.DataFrame, shown: pd.DataFrame, note: str) -> None:
    """``results.csv`` (every run) and ``leaderboard.md`` (``shown``, then ``note``) into
    ``folder``, atomically."""
    write_atomic(folder / "results.csv", frame.to_csv(index=False))
    write_atomic(folder / "leaderboard.md", f"{markdown_table(shown)}\n{note}\n")


def markdown_table(shown: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of string cells."""
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in shown.astype(str).itertuples(index=False)]
    return "\n".join(lines) + "\n"
