"""The last word of a plain sweep: what its settings did on one split, in words, and the
command that gives a verdict (`protocol=fair`: every model tuned on the same budget, over
repeated splits)."""

from __future__ import annotations

import math
import shlex
import textwrap
from collections.abc import Iterable
from typing import Any

import pandas as pd

from experiments.report.table import (
    LEAD_COLUMN,
    NOTE_COLUMN,
    P_COLUMN,
    ROWS_COLUMN,
    SEED_KEY,
    TIE,
    row_label,
)
from experiments.report.wording import compared
from experiments.stats.over_seeds import ALPHA

PROTOCOL = "protocol=fair"
WIDTH = 100  # of the sentence's lines, before the command


def protocol_command(results: Iterable[dict[str, Any]]) -> tuple[str, list[str]]:
    """The command that runs the protocol over the models of these runs, with the overrides
    they shared (as written, ``+`` and all), and the keys other than ``model`` and ``seed``
    whose values differed between them (a protocol sweeps models only: run it once per
    value). The seed is left to ``protocol.seeds``.

    Returns:
        ``(command, varied keys)``.
    """
    lines: dict[str, dict[str, None]] = {}  # by key, each value as written, in order
    for result in results:
        for line in result.get("overrides", []):
            lines.setdefault(line.partition("=")[0].lstrip("+~"), {})[line] = None
    fixed, models, varied = [], [], []
    for key, written in lines.items():
        if key == "model":
            models = [line.partition("=")[2] for line in written]
        elif key != SEED_KEY and len(written) == 1:
            fixed.extend(written)
        elif key != SEED_KEY:
            varied.append(key)
    swept = [f"model={','.join(models)}"] if models else []
    return shlex.join(["experiments-train", "-m", *fixed, *swept, PROTOCOL]), varied


def one_split_sentence(
    boards: list[tuple[str, pd.DataFrame, list[str]]], metric: str, mode: str, command: str,
    varied: list[str],
) -> str | None:  # fmt: skip
    """One sentence for the end of a plain sweep: on each leaderboard, the best row on
    ``metric`` against the runner-up, on the test rows in words
    (`experiments.report.wording.compared`) with the p-value of the leaderboard's test; then
    that this is how the settings did on one split and no verdict, and ``command``
    (`protocol_command`) that gives one.

    Args:
        boards: ``(heading, leaderboard, its grouping keys)`` per data the runs were scored
            on (`experiments.report.table.leaderboard`); the heading names the data when
            there are several, else is empty.
        metric: the metric they are sorted by; ``mode`` its direction.
        command, varied: from `protocol_command`.

    Returns:
        The sentence, wrapped, the command on a line of its own (whole, to copy); None
        when no leaderboard has two rows (nothing was compared).
    """
    found = [
        f"on {heading}, " * bool(heading) + _best_against_runner_up(board, group_by, metric, mode)
        for heading, board, group_by in boards
        if len(board) > 1
    ]
    if not found:
        return None
    once = f" once per value of {', '.join(varied)}" if varied else ""
    prose = (
        f"With these settings and one split, {'; '.join(found)}; that is how these settings "
        "did on this split, not a verdict: for one, with every model tuned on the same budget "
        "over repeated splits, run"
    )
    return f"{textwrap.fill(prose, WIDTH)}\n  {command}{once}"  # the command on a line of its own


def _best_against_runner_up(
    board: pd.DataFrame, group_by: list[str], metric: str, mode: str
) -> str:
    """What a leaderboard of two rows or more says of its best row against the next one."""
    best, runner_up = (row_label(row, group_by) for row in board.iloc[:2].to_dict("records"))
    second = board.iloc[1]
    if second[NOTE_COLUMN] == TIE:
        return f"{best} and {runner_up} tie on {metric}"
    tests = int(board[P_COLUMN].notna().sum())
    return f"{best} leads on {metric}" + _on_test_rows(
        best, runner_up, board.attrs.get("tested", metric), second, mode == "max", tests
    )


def _on_test_rows(
    best: str, other: str, tested: str, row: pd.Series, higher: bool, tests: int
) -> str:
    """What the test rows say of the best row's lead over ``row`` (a leaderboard row), of
    ``tests`` rows tested against the best."""
    lead = row[LEAD_COLUMN]
    if math.isnan(lead):
        return f", which its test rows cannot confirm or refute ({row[NOTE_COLUMN]})"
    difference = lead if higher else -lead  # best minus other, in the metric's units
    p = row[P_COLUMN]
    holm = f", Holm-adjusted over {tests} comparisons" if tests > 1 else ""
    return (
        f"{', and' if lead >= 0 else ', but'} on the {int(row[ROWS_COLUMN])} test rows "
        f"{compared(best, other, tested, difference, higher)}, "
        f"{'significantly' if p < ALPHA else 'not significantly'} "
        f"(p = {p:.2g} by {row[NOTE_COLUMN]}{holm})"
    )
