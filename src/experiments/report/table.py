"""Collect `result.json` files into one table (`results.csv`) and a leaderboard over seeds."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.io.atomic import write_atomic
from experiments.report.run_identity import config_id
from experiments.runs.result import RESULT_FILE, load_result
from experiments.stats.over_seeds import ALPHA
from experiments.stats.significance import (
    RUN_DIR_COLUMN,
    GroupRows,
    Lead,
    LeadsOfBest,
    group_interval,
    holm,
    tested_metric,
)

TIMING_COLUMNS = ["fit_seconds", "test_seconds", "n_params"]
SEED_KEY = "seed"
P_COLUMN = "p vs best"  # Holm-adjusted p-value of the best row's lead on the test rows
NOTE_COLUMN = "p note"
LEAD_COLUMN = "test lead"  # best minus this row on the tested metric, positive: the best is ahead
ROWS_COLUMN = "test rows"
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
    return list(iter_results(folders))


def iter_results(folders: list[Path]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """`find_results`, each result read when the loop reaches it: a loop that keeps what it
    needs of each holds no more than that (a result is some 20 kB: identity, provenance,
    per-class counts)."""
    for folder in folders:
        for path in sorted(folder.rglob(RESULT_FILE)):
            if any(part.startswith(".") for part in path.relative_to(folder).parts[:-1]):
                continue
            result = load_result(path)
            if result is not None:
                yield path.parent, result


def parse_overrides(overrides: list[str]) -> dict[str, str]:
    """``["model=mlp", "+x=1", "~y"]`` -> ``{"model": "mlp", "x": "1"}`` (deletions skipped)."""
    parsed = {}
    for override in overrides:
        key, sep, value = override.partition("=")
        if sep:
            parsed[key.lstrip("+~")] = value
    return parsed


def results_frame(
    runs: Iterable[tuple[Path, dict[str, Any]]], root: Path | None = None
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
    frame: pd.DataFrame,
    metric: str,
    mode: str,
    group_by: list[str],
    shown: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Finished runs grouped by ``group_by`` (the swept settings other than the seed), best
    first by the mean of ``metric`` (``mode`` ``max`` or ``min``; ties keep their order).

    Returns:
        One row per group: the group's settings; for every metric ``<m> mean``, ``<m> std``
        (sample std) and, for the metrics in ``shown`` (default: all), the 95% interval of
        the mean ``<m> low`` / ``<m> high`` (see
        `experiments.stats.significance.group_interval`: a bootstrap over test rows per
        group, not worth computing for columns nobody reads); ``seeds`` (runs); mean timings and
        parameter count; then the best group's lead over each row on the test rows, on
        ``frame.attrs["tested"]`` (``metric``'s test counterpart: ``val/acc`` ->
        ``test/acc``; see `_test_row_statistics`): ``p vs best`` (Holm-adjusted over the rows
        tested), ``p note`` (the test, or why none applies; ``tie`` for a mean equal to the
        best's), ``test lead`` (best minus this row, positive when the best scores better
        on the test rows) and ``test rows``.
    """
    metric_columns = [m for m in frame.attrs.get("metric_keys", []) if m in frame]
    done = frame[frame["status"] == "done"]
    if not group_by:
        done = done.assign(run="all")
        group_by = ["run"]
    grouped = done.groupby(group_by, sort=False, dropna=False)
    table = grouped[metric_columns].agg(["mean", "std"])
    table.columns = [f"{name} {stat}" for name, stat in table.columns]
    sort_column = f"{metric} mean"
    means = table[sort_column] if sort_column in table.columns else None
    shown_columns = [m for m in metric_columns if shown is None or m in shown]
    tested = tested_metric(metric)
    intervals, leads = _test_row_statistics(
        [group for _, group in grouped], means, shown_columns, tested, mode
    )
    for column in shown_columns:
        table[f"{column} low"] = [low for low, _ in intervals[column]]
        table[f"{column} high"] = [high for _, high in intervals[column]]
    table["seeds"] = grouped.size()
    for column in TIMING_COLUMNS:
        table[column] = grouped[column].mean()
    if means is not None:
        table = table.sort_values(sort_column, ascending=mode == "min", kind="stable")
    table = table.reset_index()
    table[P_COLUMN] = holm([lead.p_value for lead in leads])
    table[NOTE_COLUMN] = [lead.note for lead in leads]
    table[LEAD_COLUMN] = [lead.difference for lead in leads]
    table[ROWS_COLUMN] = [lead.rows for lead in leads]
    table.attrs["tested"] = tested
    return table


def _test_row_statistics(
    groups: list[pd.DataFrame],
    means: pd.Series | None,
    columns: list[str],
    tested: str,
    mode: str,
) -> tuple[dict[str, list[tuple[float, float]]], list[Lead]]:
    """What the leaderboard takes from the groups' test rows, each group's saved predictions
    read once, group by group, best first: those of the best group and of one other are in
    memory at a time, however many groups there are.

    Args:
        groups: each group's runs, in the table's order.
        means: each group's mean of the sorting metric, in that order; None: no ranking.
        columns: the metrics whose intervals are shown.
        tested, mode: the test metric of the best group's lead, and the sorting mode.

    Returns:
        Per column, each group's `group_interval`, in the groups' order; per group, best
        first, the first group's lead over it (`LeadsOfBest`). The first group, and a group
        whose sorting mean equals the first's, get no test: their note is ``tie`` when such a
        group exists. Without ``means``, no group is tested.
    """
    if not groups:
        return {column: [] for column in columns}, []
    order = list(range(len(groups))) if means is None else _ranking(means, mode)
    values = [math.nan] * len(groups) if means is None else means.iloc[order].tolist()
    ties = [rank > 0 and value == values[0] for rank, value in enumerate(values)]
    untested = Lead(math.nan, math.nan, 0, "")
    intervals = {column: [(math.nan, math.nan)] * len(groups) for column in columns}
    leads: list[Lead | None] = []
    for rank, position in enumerate(order):
        group = groups[position]
        rows = GroupRows(group.get(RUN_DIR_COLUMN, []))
        for column in columns:
            seeds = group[column].dropna().tolist()
            intervals[column][position] = group_interval(column, seeds, rows)
        if rank == 0:
            leads_of_best = LeadsOfBest(tested, rows, mode == "max")
            leads.append(replace(untested, note=TIE if any(ties) else ""))
        elif ties[rank] or means is None:
            leads.append(replace(untested, note=TIE if ties[rank] else ""))
        else:
            leads_of_best.add(rows)
            leads.append(None)  # tested below, with all the others
    tested_leads = iter(leads_of_best.leads())
    return intervals, [next(tested_leads) if lead is None else lead for lead in leads]


def _ranking(means: pd.Series, mode: str) -> list[int]:
    """The positions of the groups, best mean first, as the table is sorted (ties keep their
    order, a missing mean last)."""
    ranked = means.reset_index(drop=True).sort_values(ascending=mode == "min", kind="stable")
    return ranked.index.tolist()


def format_leaderboard(
    board: pd.DataFrame, group_by: list[str], metrics: list[str], interval_sep: str = " "
) -> pd.DataFrame:
    """The leaderboard as strings.

    A metric cell is ``mean ± std`` and, ``interval_sep`` after it, the 95% confidence
    interval ``[low, high]``; a group of one seed shows its value alone. Float settings are
    shortened by `setting_text`. ``p vs best`` is followed by ``sig.`` or ``n.s.`` at the 5%
    level, and by ``ahead on test`` where the row scores better than the best one on the
    test rows.
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
        rows = board[[P_COLUMN, NOTE_COLUMN, LEAD_COLUMN]].iloc[1:].itertuples(index=False)
        shown[P_COLUMN] = [best] + [
            best if note == TIE else _p_cell(p, note, lead) for p, note, lead in rows
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


def row_label(row: dict, group_by: list[str]) -> str:
    """A leaderboard row's name: ``mlp`` for one grouping key, ``model=mlp,optimizer.lr=0.01``
    for several."""
    if len(group_by) == 1:
        return setting_text(row[group_by[0]])
    return ",".join(f"{key}={setting_text(row[key])}" for key in group_by)


def _metric_cell(row: dict, metric: str, interval_sep: str) -> str:
    mean, std = row[f"{metric} mean"], row[f"{metric} std"]
    low, high = row[f"{metric} low"], row[f"{metric} high"]
    if pd.isna(low):
        return f"{mean:.4f}" if pd.isna(std) else f"{mean:.4f} ± {std:.4f}"
    spread = "" if pd.isna(std) else f" ± {std:.4f}"
    return f"{mean:.4f}{spread}{interval_sep}[{low:.4f}, {high:.4f}]"


def _p_cell(p: float, note: str, lead: float) -> str:
    if pd.isna(p):
        return f"n/a: {note}" if note else "n/a"
    verdict = "sig." if p < ALPHA else "n.s."
    ahead = " (ahead on test)" if lead < 0 else ""
    return f"{'<0.0001' if p < 1e-4 else f'{p:.4f}'} {verdict}{ahead}"


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


def aligned_markdown(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table whose columns are padded to their widest cell: the
    same table rendered, and readable as plain text in a terminal, a log or a pipe."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *map(line, rows)]) + "\n"
