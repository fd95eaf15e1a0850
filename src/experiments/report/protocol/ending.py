"""What a protocol prints when it ends: its leaderboard in the few columns that answer the
question (a terminal's 100 columns) and the one-sentence answer, for the sweep's end and
``experiments-compare``; the full leaderboard is in ``report.md``."""

from __future__ import annotations

import math
import textwrap

from experiments.report.protocol.board import BoardRow
from experiments.report.protocol.report import ProtocolReport, difference_words
from experiments.report.protocol.runs import Protocol
from experiments.report.table import aligned_markdown

WIDTH = 100  # columns of the printed ending


def protocol_ending(report: ProtocolReport) -> str:
    """The compact leaderboard (`compact_board`), then the answer wrapped at `WIDTH` columns."""
    answer = textwrap.fill(report.answer, WIDTH, break_on_hyphens=False)
    return f"{compact_board(report.protocol, report.rows)}\n{answer}"


def compact_board(protocol: Protocol, rows: list[BoardRow]) -> str:
    """The protocol's leaderboard as an aligned Markdown table of five columns (`WIDTH` wide
    for model names up to 12 characters): the model, its validation score (which ranks the
    models), its tuned test score with the 95% interval, the difference from the model best
    on validation in words, and the verdict."""
    best, higher = rows[0].model, protocol.mode == "max"
    header = [
        "model", protocol.selection_metric, f"tuned {protocol.metric} [95% CI]", f"vs {best}",
        "verdict",
    ]  # fmt: skip
    lines = []
    for row in rows:
        c = row.vs_best
        lines.append(
            [
                row.model,
                _number(row.val),
                f"{_number(row.tuned)} [{_number(row.tuned_low)}, {_number(row.tuned_high)}]",
                "best on validation" if c is None else difference_words(protocol.metric, c, higher),
                "best" if c is None else c.verdict,
            ]
        )
    return aligned_markdown(header, lines)


def _number(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.4f}"
