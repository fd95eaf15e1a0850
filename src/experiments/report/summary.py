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


def summarize(
    folders: list[Path], metric: str, mode: str, out_dir: Path, console: Console | None = None
) -> pd.DataFrame:
    """Collect every run below ``folders``; write ``results.csv``, ``leaderboard.md`` and the
    plots (``plots/*.png``) into ``out_dir``; print the leaderboard, the significance of the
    best group's lead and the runs that did not finish; return the results table.

    Runs are grouped by every override key except ``seed``, ``output_root`` and ``launcher``,
    and sorted by ``metric``. When no run finished, only ``results.csv`` is written and the
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
    group_by = _group_keys(frame)
    metrics = [metric, *(m for m in _test_metrics(frame) if m != metric)]
    board = leaderboard(frame, metric, mode, group_by)
    caption = (
        f"{P_COLUMN}: is the best row's lead on {metric} real? A paired bootstrap over the "
        "test rows where every run saved test_predictions.npz; else a two-sided paired t-test "
        "over the seeds both ran (scipy.stats.ttest_rel: seed noise only, so none for a model "
        f"whose score does not depend on the seed); sig. = p < {ALPHA}. Cells: mean ± std over "
        "seeds [95% interval of the mean: from the test rows where saved, else Student t over "
        "seeds, within the metric's range]."
    )
    if CONFIG_COLUMN in group_by:
        caption += (
            f" {CONFIG_COLUMN}: id of the composed config (.hydra/config.yaml less the seed and "
            "output settings): the same overrides with another id ran other YAML contents."
        )
    with folder_lock(out_dir, SUMMARY_LOCK):  # two sweeps ending into one folder: in turn
        remove_temporaries(out_dir)  # left by a summary that was killed while writing
        write_table_files(out_dir, frame, format_leaderboard(board, group_by, metrics), caption)
        plot_leaderboard(board, group_by or ["run"], metric, out_dir / PLOTS_DIR)

    title = f"Leaderboard ({len(frame)} runs, sorted by {metric})"
    table = Table(title=title, caption=caption if len(board) > 1 else None, caption_justify="left")
    shown = format_leaderboard(board, group_by, metrics, interval_sep="\n")
    for column in shown.columns:
        table.add_column(
            column, justify="left" if column in group_by else "right", no_wrap=column in metrics
        )
    for row in shown.itertuples(index=False):
        table.add_row(*(escape(str(cell)) for cell in row))
    console.print(table)
    _print_unfinished(frame, console)
    return frame


def _print_unfinished(frame: pd.DataFrame, console: Console) -> None:
    for row in frame[frame["status"] != "done"].itertuples(index=False):
        # escaped: errors and job names hold brackets ("[/path/x.cc:553]", "sizes=[512]")
        console.print(f"[red]{row.status}[/red] {escape(f'{row.job}: {row.error}')}")


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
