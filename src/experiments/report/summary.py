"""Summarize sweep folders: results table, leaderboard with significance on the test rows,
files and plots, and for a plain sweep the sentence that ends it."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from experiments.config.errors import ConfigError
from experiments.io.atomic import remove_temporaries, write_atomic
from experiments.io.lock import folder_lock
from experiments.report.one_split import one_split_sentence, protocol_command
from experiments.report.plots import plot_leaderboard
from experiments.report.table import (
    CONFIG_COLUMN,
    DATA_COLUMN,
    P_COLUMN,
    SEED_KEY,
    aligned_markdown,
    format_leaderboard,
    iter_results,
    leaderboard,
    results_frame,
    write_table_files,
)
from experiments.stats.over_seeds import ALPHA
from experiments.stats.significance import tested_metric
from experiments.tasks.monitor import TASK_METRICS

log = logging.getLogger(__name__)
PLOTS_DIR = "plots"
SUMMARY_LOCK = ".summary.lock"
# Override keys that say where or how a run ran, not what it ran: never a leaderboard group.
NOT_SETTINGS = {"output_root", "launcher"}
# The data of runs made before runs recorded their identity: `data_label`'s form.
UNRECORDED_DATA = "runs that recorded no data identity [unrecorded]"
DONE_KEYS = ("status", "metrics", "overrides")  # what `_read_runs` keeps of a finished run


@dataclass
class Summary:
    """What `summarize` collected and concluded.

    Attributes:
        frame: the results table (`experiments.report.table.results_frame`).
        closing: for a plain sweep with something to compare, the sentence that ends it
            (`experiments.report.one_split.one_split_sentence`); else None.
    """

    frame: pd.DataFrame
    closing: str | None = None


def summarize(
    folders: list[Path],
    metric: str,
    mode: str,
    out_dir: Path,
    console: Console | None = None,
    one_split: bool = True,
) -> Summary:
    """Collect every run below ``folders``; write ``results.csv``, ``leaderboard.md`` and the
    plots (``plots/*.png``) into ``out_dir``; print the leaderboard, with the significance of
    the best group's lead on the test rows, and the runs that did not finish.

    Runs are grouped by every override key except ``seed``, ``output_root`` and ``launcher``,
    and sorted by ``metric``. Runs scored on different data (their identities' data differ:
    other rows, another split; `experiments.runs.identity`) are never ranked together: each
    data gets its own leaderboard, headed by what the data is, and its plots in
    ``plots/data_<id>/``. When no run finished, only ``results.csv`` is written and the
    unfinished runs are printed.

    Args:
        one_split: the runs are a plain sweep (not a protocol's or a learning curve's, whose
            reports answer): ``leaderboard.md`` ends with `Summary.closing`, what these
            settings did on one split and the command that gives a verdict.

    Raises:
        ConfigError: the finished runs are of several tasks (`mixed_tasks`); ``results.csv``
            is written, nothing else.
    """
    # Wide enough for three metrics with their intervals when the output is not a terminal.
    console = console or Console(width=max(Console().width, 140))
    root = folders[0] if len(folders) == 1 else None
    frame, problem, command = _read_runs(folders, root)
    if not (frame["status"] == "done").any():  # nothing to rank: the table and the failures
        write_atomic(out_dir / "results.csv", frame.to_csv(index=False))
        console.print(f"No run finished ({len(frame)} runs): no leaderboard.")
        _print_unfinished(frame, console)
        return Summary(frame)
    if problem:
        write_atomic(out_dir / "results.csv", frame.to_csv(index=False))
        raise ConfigError(f"{problem} ({out_dir / 'results.csv'} lists them all)")
    metrics = [metric, *(m for m in _test_metrics(frame) if m != metric)]
    boards = {}  # heading -> (leaderboard, its group keys, its runs)
    for heading, part in _by_data(frame).items():
        group_by = _group_keys(part)
        boards[heading] = (leaderboard(part, metric, mode, group_by, metrics), group_by, part)
    caption = _caption(metric)
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
    closing = None
    if one_split:
        closing = one_split_sentence(
            [(heading, board, group_by or ["run"]) for heading, (board, group_by, _) in boards.items()],
            metric, mode, *command,
        )  # fmt: skip
    note = caption if closing is None else f"{caption}\n\n{closing}"
    with folder_lock(out_dir, SUMMARY_LOCK):  # two sweeps ending into one folder: in turn
        remove_temporaries(out_dir)  # left by a summary that was killed while writing
        shown = {
            heading: format_leaderboard(board, group_by, metrics)
            for heading, (board, group_by, _) in boards.items()
        }
        write_table_files(out_dir, frame, shown, note)
        for heading, (board, group_by, _) in boards.items():
            # one data: plots/; several: plots/data_<id>/ each
            plots = (
                out_dir / PLOTS_DIR / (f"data_{heading.rsplit('[', 1)[-1][:-1]}" if heading else "")
            )
            plot_leaderboard(board, group_by or ["run"], metric, plots)
    for heading, (board, group_by, part) in boards.items():
        where = f" on {heading}" if heading else ""
        title = f"Leaderboard{where} ({len(part)} runs, sorted by {metric})"
        _print_board(console, title, board, group_by, metrics, caption)
    _print_unfinished(frame, console)
    return Summary(frame, closing)


def _read_runs(
    folders: list[Path], root: Path | None
) -> tuple[pd.DataFrame, str | None, tuple[str, list[str]]]:
    """What the summary needs of the runs' ``result.json``: the results table
    (`results_frame`), why the finished runs make no leaderboard (`mixed_tasks`; None when
    they make one) and the protocol command of the finished runs (`protocol_command`).

    The results are read one at a time (`iter_results`) and only the little these need is
    kept of each: a 2,000-run sweep's results (some 20 kB a run) never all at once.
    """
    done = []  # of each finished run, what `mixed_tasks` and `protocol_command` read

    def keeping_what_is_read() -> Iterator[tuple[Path, dict[str, Any]]]:
        for run_dir, result in iter_results(folders):
            if result.get("status") == "done":
                done.append({key: result[key] for key in DONE_KEYS if key in result})
            yield run_dir, result

    frame = results_frame(keeping_what_is_read(), root=root)
    return frame, mixed_tasks(done), protocol_command(done)


def _caption(metric: str) -> str:
    """What the leaderboard's cells and ``p vs best`` are."""
    return (
        f"{P_COLUMN}: does the best row on {metric} also lead on the test rows "
        f"({tested_metric(metric)})? McNemar's exact test where each side made one prediction "
        "per row, else a paired permutation test over the rows (a paired bootstrap for F1), "
        "on the runs' test_predictions.npz; Holm-adjusted over the rows tested; "
        f"sig. = p < {ALPHA}. Never a test over seeds: they change the initialization, not "
        "the test rows. Cells: mean ± std over seeds [95% interval of the mean: test metrics "
        "from the test rows, others Student t over seeds, within the metric's range]."
    )


def mixed_tasks(results: Iterable[dict[str, Any]]) -> str | None:
    """Why finished runs of several tasks, as their logged metrics show them, make no
    leaderboard (no metric ranks a classifier against a regressor); None for one task."""
    counts = Counter(
        _task(result.get("metrics", {})) for result in results if result.get("status") == "done"
    )
    if len(counts) < 2:
        return None
    return (
        "the runs are of several tasks ("
        + ", ".join(f"{task}: {n} run{'s' * (n > 1)}" for task, n in counts.items())
        + "): a leaderboard ranks one task's runs on that task's metrics; compare each "
        "task's runs apart"
    )


def _task(metrics: dict[str, Any]) -> str:
    """The task whose metrics a run logged (``val/acc``: classification), ``other`` else."""
    names = {metric.rsplit("/", 1)[-1] for metric in metrics}
    return next((task for task, own in TASK_METRICS.items() if names & set(own)), "other")


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
    """The leaderboard as a table drawn to the terminal's width; where the output is not a
    terminal (piped, redirected, a log), whose width rich cannot know and would squeeze the
    cells to ("li…"), as the aligned Markdown table of ``leaderboard.md``, nothing cut."""
    if not console.is_terminal:
        shown = format_leaderboard(board, group_by, metrics)
        rows = shown.astype(str).values.tolist()
        text = f"{title}\n\n{aligned_markdown(list(shown.columns), rows)}"
        console.print(escape(text), soft_wrap=True, highlight=False)
        if len(board) > 1:
            console.print(escape(caption), highlight=False)
        return
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
