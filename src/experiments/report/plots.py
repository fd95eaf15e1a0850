"""Leaderboard plots (matplotlib PNG): a metric by model, and the metric against fit time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.report.table import row_label

# Groups drawn, best first: a chart of hundreds of labelled bars is unreadable, and drawing
# its text took most of a 2,000-run comparison's time; the table lists every group.
PLOTTED_GROUPS = 30


def plot_leaderboard(
    board: pd.DataFrame, group_by: list[str], metric: str, folder: Path
) -> list[Path]:
    """Write ``<metric>_by_model.png`` (mean with 95% confidence interval per group, best at
    the top) and ``<metric>_vs_fit_time.png`` (mean against mean fit seconds: the
    accuracy/cost trade-off) into ``folder``, for a `leaderboard` table: its first
    `PLOTTED_GROUPS` rows (the best), the axis label saying so when there are more.

    Returns:
        The written files; none when the board has no value of ``metric``.
    """
    if f"{metric} mean" not in board or board[f"{metric} mean"].isna().all():
        return []
    # Imported here: pyplot costs about a second, paid only by the runs that plot.
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    shown = f"best {PLOTTED_GROUPS} of {len(board)} groups, " if len(board) > PLOTTED_GROUPS else ""
    board = board.head(PLOTTED_GROUPS)
    labels = [row_label(row, group_by) for row in board.to_dict("records")]
    mean = board[f"{metric} mean"].to_numpy(dtype=float)
    # Error bars from mean to interval ends; a group of one seed has none.
    error = np.nan_to_num(
        np.abs(board[[f"{metric} low", f"{metric} high"]].to_numpy(dtype=float).T - mean)
    )
    stem = metric.replace("/", "_")

    height = 1.2 + 0.45 * len(board)
    figure, axes = plt.subplots(figsize=(7, height))
    positions = np.arange(len(board))[::-1]
    axes.barh(positions, mean, xerr=error, capsize=4, color="tab:blue", alpha=0.8)
    axes.set_yticks(positions, labels)
    low = np.nanmin(mean - error[0])
    axes.set_xlim(left=max(0.0, low - 0.1 * (np.nanmax(mean + error[1]) - low + 1e-9)))
    axes.set_xlabel(f"{metric} ({shown}mean over seeds, bars: 95% CI)")
    by_model = folder / f"{stem}_by_model.png"
    figure.savefig(by_model, dpi=120, bbox_inches="tight")  # fits long labels
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(7, 4.5))
    seconds = board["fit_seconds"].to_numpy(dtype=float)
    axes.errorbar(seconds, mean, yerr=error, fmt="o", capsize=4)
    for x, y, label in zip(seconds, mean, labels, strict=True):
        axes.annotate(label, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
    timed = seconds[np.isfinite(seconds)]  # runs that recorded no fit time (failed) have none
    if timed.size and timed.max() > 10 * timed.min() > 0:
        axes.set_xscale("log")
    axes.set_xlabel("fit seconds (mean over seeds)")
    axes.set_ylabel(f"{metric} ({shown}mean, 95% CI)")
    axes.grid(alpha=0.3)
    vs_time = folder / f"{stem}_vs_fit_time.png"
    figure.savefig(vs_time, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return [by_model, vs_time]
