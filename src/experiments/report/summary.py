"""Summarize sweep folders: results table, leaderboard with significance, files and plots."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from experiments.io.atomic import remove_temporaries, write_atomic
from experiments.io.lock import folder_lock
from experiments.report.plots import plot_leaderboard
from experiments.report.table import (
    CONFIG_COLUMN,
    DATA_COLUMN,
    P_COLUMN,
    SEED_KEY,
    find_results,
    format_leaderboard,
    leaderboard,
    results_frame,
    write_table_files,
)
from experiments.stats.over_seeds import ALPHA

log = logging.getLogger(__name__)
PLOTS_DIR = "plots"
SUMMARY_LOCK = ".summary.lock"
# Override keys that say where or how a run ran, not what it ran: never a leaderboard group.
NOT_SETTINGS = {"output_root", "launcher"}
# The data of runs made before runs recorded their identity: `data_label`'s form.
UNRECORDED_DATA = "runs that recorded no data identity [unrecorded]"


def summarize(
    folders: list[Path], metric: str, mode: str, out_dir: Path, console: Console | None = None
) -> pd.DataFrame:
    """Collect every run below ``folders``; write ``results.csv``, ``leaderboard.md`` and the
    plots (``plots/*.png``) into ``out_dir``; print the leaderboard, the significance of the
    best group's lead and the runs that did not finish; return the results table.

    Runs are grouped by every override key except ``seed``, ``output_root`` and ``launcher``,
    and sorted by ``metric``. Runs scored on different data (their identities' data differ:
    other rows, another split; `experiments.runs.identity`) are never ranked together: each
    data gets its own leaderboard, headed by what the data is, and its plots in
    ``plots/data_<id>/``. When no run finished, only ``results.csv`` is written and the
    unfinished runs are printed.
    """
    # Wide enough for three metrics with their intervals when the output is not a terminal.
    console = console or Console(width=max(Console().width, 140))
    root = folders[0] if len(folders) == 1 else None
    frame = results_frame(find_results(folders), root=root)
    if not (frame["status"] == "done").any():  # nothing to rank: the table and the failures
        write_atomic(out_dir / "results.csv", frame.to_csv(index=False))
        console.print(f"No run finished ({len(frame)} runs): no leaderboard.")
        _print_unfinished(frame, console)
        return frame
    metrics = [metric, *(m for m in _test_metrics(frame) if m != metric)]
    boards = {}  # heading -> (leaderboard, its group keys, its runs)
    for heading, runs in _by_data(frame).items():
        group_by = _group_keys(runs)
        boards[heading] = (leaderboard(runs, metric, mode, group_by), group_by, runs)
    caption = (
        f"{P_COLUMN}: is the best row's lead on {metric} real? A paired bootstrap over the "
        "test rows where every run saved test_predictions.npz; else a two-sided paired t-test "
        "over the seeds both ran (scipy.stats.ttest_rel: seed noise only, so none for a model "
        f"whose score does not depend on the seed); sig. = p < {ALPHA}. Cells: mean ± std over "
        "seeds [95% interval of the mean: from the test rows where saved, else Student t over "
        "seeds, within the metric's range]."
    )
    if any(CONFIG_COLUMN in group_by for _, group_by, _ in boards.values()):
        caption += (
            f" {CONFIG_COLUMN}: id of the composed config (.hydra/config.yaml less the seed and "
            "output settings): the same overrides with another id ran other YAML contents."
        )
    if len(boards) > 1:
        caption += (
            " The runs were scored on different data (other rows or another split): each "
            "data has its own leaderboard, headed by its source and [data id]."
        )
    with folder_lock(out_dir, SUMMARY_LOCK):  # two sweeps ending into one folder: in turn
        remove_temporaries(out_dir)  # left by a summary that was killed while writing
        shown = {
            heading: format_leaderboard(board, group_by, metrics)
            for heading, (board, group_by, _) in boards.items()
        }
        write_table_files(out_dir, frame, shown, caption)
        for heading, (board, group_by, _) in boards.items():
            # one data: plots/; several: plots/data_<id>/ each
            plots = (
                out_dir / PLOTS_DIR / (f"data_{heading.rsplit('[', 1)[-1][:-1]}" if heading else "")
            )
            plot_leaderboard(board, group_by or ["run"], metric, plots)
    for heading, (board, group_by, runs) in boards.items():
        where = f" on {heading}" if heading else ""
        title = f"Leaderboard{where} ({len(runs)} runs, sorted by {metric})"
        _print_board(console, title, board, group_by, metrics, caption)
    _print_unfinished(frame, console)
    return frame


def _by_data(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The finished runs by the data they were scored on: ``{"": frame}`` when they share it
    (or none recorded it), else one part per data, keyed by what the data is
    (`data_label`)."""
    done = frame[frame["status"] == "done"]
    labels = done[DATA_COLUMN].fillna(UNRECORDED_DATA)
    if labels.nunique() <= 1:
        return {"": frame}
    return {label: done[labels == label] for label in dict.fromkeys(labels)}


def _print_board(
    console: Console,
    title: str,
    board: pd.DataFrame,
    group_by: list[str],
    metrics: list[str],
    caption: str,
) -> None:
    table = Table(title=title, caption=caption if len(board) > 1 else None, caption_justify="left")
    shown = format_leaderboard(board, group_by, metrics, interval_sep="\n")
    for column in shown.columns:
        table.add_column(
            column, justify="left" if column in group_by else "right", no_wrap=column in metrics
        )
    for row in shown.itertuples(index=False):
        table.add_row(*(escape(str(cell)) for cell in row))
    console.print(table)


def _print_unfinished(frame: pd.DataFrame, console: Console) -> None:
    for row in frame[frame["status"] != "done"].itertuples(index=False):
        # escaped: errors and job names hold brackets ("[/path/x.cc:553]", "sizes=[512]")
        error = row.error if isinstance(row.error, str) else "not a result"  # a debug run
        console.print(f"[red]{row.status}[/red] {escape(f'{row.job}: {error}')}")


def _group_keys(frame: pd.DataFrame) -> list[str]:
    """Override keys other than the seed and `NOT_SETTINGS`; of those, only the ones that
    vary between runs when any do (a constant ``experiment=...`` says nothing in a
    leaderboard). Then ``config``, the id of what each run ran, when runs with the same
    override values ran different configs (two sweeps of ``model=resmlp`` over two versions
    of its YAML)."""
    keys = [k for k in frame.attrs["override_keys"] if k != SEED_KEY and k not in NOT_SETTINGS]
    varying = [key for key in keys if frame[key].nunique(dropna=False) > 1]
    keys = varying or keys
    if frame[CONFIG_COLUMN].notna().any():
        settings = (
            frame[keys].apply(lambda row: "\0".join(map(str, row)), axis=1)
            if keys
            else pd.Series(0, frame.index)
        )
        if frame.groupby(settings)[CONFIG_COLUMN].nunique(dropna=False).max() > 1:
            keys = [*keys, CONFIG_COLUMN]
    return keys


def _test_metrics(frame: pd.DataFrame) -> list[str]:
    metrics = frame.attrs["metric_keys"]
    return [m for m in metrics if m.startswith("test/") and not m.endswith("/loss")]
