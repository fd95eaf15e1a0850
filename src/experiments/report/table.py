"""Collect `result.json` files into one table (`results.csv`) and a leaderboard over seeds."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.io.atomic import write_atomic
from experiments.report.run_identity import config_id
from experiments.runs.result import RESULT_FILE, load_result
from experiments.stats.over_seeds import ALPHA
from experiments.stats.significance import RUN_DIR_COLUMN, group_interval, p_value_of_lead

TIMING_COLUMNS = ["fit_seconds", "test_seconds", "n_params"]
SEED_KEY = "seed"
P_COLUMN = "p vs best"
NOTE_COLUMN = "p note"
CONFIG_COLUMN = "config"  # the run's `config_id`: what it ran, less the seed
PROTOCOL_COLUMNS = ("phase", "split_seed", "trial")  # from a protocol job's `protocol` record
DATA_COLUMN = "data"  # what its data is: the source and id of its identity's data, if recorded
TIE = "tie"


def find_results(folders: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Every ``result.json`` below the folders, as ``(run folder, result)``, sorted by path.

    A file that cannot be parsed is reported as a failed run rather than dropped, and a run
    left ``running`` by a process that is gone as interrupted (`load_result`). Hidden
    folders hold no runs of the folder (``.replaced/``: runs that another job replaced).
    """
    found = []
    for folder in folders:
        for path in sorted(folder.rglob(RESULT_FILE)):
            if any(part.startswith(".") for part in path.relative_to(folder).parts[:-1]):
                continue
            result = load_result(path)
            if result is not None:
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
    """One row per run: ``job``, ``status``, one column per override key, for protocol jobs
    `PROTOCOL_COLUMNS` (``search``/``final``/``default``, the split, the trial), the metrics
    under their logged names, fit/test seconds and parameter count, ``error``, then ``config``
    (the run's `config_id`), ``data`` (`data_label`) and ``run_dir`` (its folder). The
    override keys and the metric names, in order of first appearance, are in
    ``frame.attrs["override_keys"]`` and ``frame.attrs["metric_keys"]``: a key such as
    ``dataset/features`` has a ``/`` too."""
    rows, override_keys, metric_keys, protocol_keys = [], {}, {}, {}
    for run_dir, result in runs:
        overrides = parse_overrides(result.get("overrides", []))
        record = result.get("protocol") or {}
        protocol = {key: record[key] for key in PROTOCOL_COLUMNS if key in record}
        protocol_keys.update(dict.fromkeys(protocol))
        metrics = result.get("metrics", {})
        override_keys.update(dict.fromkeys(overrides))
        metric_keys.update(dict.fromkeys(metrics))
        job = str(run_dir.relative_to(root)) if root and run_dir != root else run_dir.name
        rows.append(
            {"job": job, "status": result.get("status", "unknown")}
            | overrides
            | protocol
            | metrics
            | {key: result.get(key) for key in TIMING_COLUMNS}
            | {"error": result.get("error")}
            | {CONFIG_COLUMN: config_id(run_dir), DATA_COLUMN: data_label(result)}
            | {RUN_DIR_COLUMN: str(run_dir)}
        )
    metric_keys = sorted(metric_keys)
    columns = [
        "job", "status", *override_keys, *protocol_keys, *metric_keys, *TIMING_COLUMNS, "error",
        CONFIG_COLUMN, DATA_COLUMN, RUN_DIR_COLUMN,
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs["override_keys"] = list(override_keys)
    frame.attrs["metric_keys"] = metric_keys
    return frame


def data_label(result: dict[str, Any]) -> str | None:
    """The data a run was scored on, as its identity recorded it (`experiments.runs.identity`):
    ``<source> [<data id>]``; None when it recorded none (unfinished, or an older run)."""
    data = (result.get("identity") or {}).get("data") or {}
    return f"{data.get('source')} [{data['id']}]" if data.get("id") else None


def leaderboard(
    frame: pd.DataFrame, metric: str, mode: str, group_by: list[str], seed_key: str = SEED_KEY
) -> pd.DataFrame:
    """Finished runs grouped by ``group_by`` (the swept settings other than the seed), best
    first by the mean of ``metric`` (``mode`` ``max`` or ``min``; ties keep their order).

    Returns:
        One row per group: the group's settings; for every metric ``<m> mean``, ``<m> std``
        (sample std) and the 95% interval of the mean ``<m> low`` / ``<m> high`` (see
        `experiments.stats.significance.group_interval`); ``seeds`` (runs); mean timings and parameter count; ``p vs best``, the
        p-value of the best group's lead on ``metric`` over this group (see
        `_p_values_vs_best`), nan for the best group and where no test applies; and
        ``p note``, which test gave it or why none did (``tie`` for a mean equal to the best).
    """
    metric_columns = [m for m in frame.attrs.get("metric_keys", []) if m in frame]
    done = frame[frame["status"] == "done"]
    if not group_by:
        done = done.assign(run="all")
        group_by = ["run"]
    grouped = done.groupby(group_by, sort=False, dropna=False)
    table = grouped[metric_columns].agg(["mean", "std"])
    table.columns = [f"{name} {stat}" for name, stat in table.columns]
    for column in metric_columns:
        intervals = [
            group_interval(column, group[column].dropna().tolist(), group.get(RUN_DIR_COLUMN))
            for _, group in grouped
        ]
        table[f"{column} low"] = [low for low, _ in intervals]
        table[f"{column} high"] = [high for _, high in intervals]
    table["seeds"] = grouped.size()
    for column in TIMING_COLUMNS:
        table[column] = grouped[column].mean()
    sort_column = f"{metric} mean"
    if sort_column in table.columns:
        table = table.sort_values(sort_column, ascending=mode == "min", kind="stable")
    table = table.reset_index()
    p_values, notes = _p_values_vs_best(done, table, metric, mode, group_by, seed_key)
    table[P_COLUMN] = p_values
    table[NOTE_COLUMN] = notes
    return table


def _p_values_vs_best(
    done: pd.DataFrame,
    board: pd.DataFrame,
    metric: str,
    mode: str,
    group_by: list[str],
    seed_key: str,
) -> tuple[list[float], list[str]]:
    """For each leaderboard row, the p-value of the first (best) row's lead and a note
    (`p_value_of_lead`); a row whose mean equals the best's is a ``tie``, the best row too."""
    nan_row = ([math.nan] * len(board), [""] * len(board))
    if board.empty or metric not in done:
        return nan_row
    keys = done[group_by].map(_key_text).agg(tuple, axis=1)
    by_group = dict(tuple(done.groupby(keys, sort=False)))
    rows = [tuple(row) for row in board[group_by].map(_key_text).to_numpy()]
    best = by_group.get(rows[0], done.iloc[:0])
    best_mean = board[f"{metric} mean"].iloc[0] if f"{metric} mean" in board else math.nan
    p_values, notes = (
        [math.nan],
        [TIE if len(board) > 1 and board[f"{metric} mean"].iloc[1] == best_mean else ""],
    )
    for index, row in enumerate(rows[1:], start=1):
        other = by_group.get(row, done.iloc[:0])
        if board[f"{metric} mean"].iloc[index] == best_mean:
            p, note = math.nan, TIE
        else:
            p, note = p_value_of_lead(best, other, metric, mode, seed_key)
        p_values.append(p)
        notes.append(note)
    return p_values, notes


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
        notes = board[NOTE_COLUMN].tolist()
        best = "best (tie)" if notes[0] == TIE else "best"
        shown[P_COLUMN] = [best] + [
            best if note == TIE else _p_cell(p, note)
            for p, note in zip(board[P_COLUMN].iloc[1:], notes[1:], strict=True)
        ]
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
    low, high = row[f"{metric} low"], row[f"{metric} high"]
    if pd.isna(low):
        return f"{mean:.4f}" if pd.isna(std) else f"{mean:.4f} ± {std:.4f}"
    spread = "" if pd.isna(std) else f" ± {std:.4f}"
    return f"{mean:.4f}{spread}{interval_sep}[{low:.4f}, {high:.4f}]"


def _p_cell(p: float, note: str = "") -> str:
    if pd.isna(p):
        return f"n/a: {note}" if note else "n/a"
    verdict = "sig." if p < ALPHA else "n.s."
    return f"{'<0.0001' if p < 1e-4 else f'{p:.4f}'} {verdict}"


def write_table_files(
    folder: Path, frame: pd.DataFrame, shown: dict[str, pd.DataFrame], note: str
) -> None:
    """``results.csv`` (every run) and ``leaderboard.md`` (the ``shown`` tables, each under
    its heading where it has one, then ``note``) into ``folder``, atomically."""
    write_atomic(folder / "results.csv", frame.to_csv(index=False))
    tables = [
        f"## {heading}\n\n{markdown_table(table)}" if heading else markdown_table(table)
        for heading, table in shown.items()
    ]
    write_atomic(folder / "leaderboard.md", "\n".join(tables) + f"\n{note}\n")


def markdown_table(shown: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of string cells."""
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in shown.astype(str).itertuples(index=False)]
    return "\n".join(lines) + "\n"
