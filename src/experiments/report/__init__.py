"""Reporting over run folders: the results table, statistics, leaderboards, plots, the
TensorBoard records beyond curves, and the end-of-sweep callback. Reads `result.json` files
(`experiments.runs`); never trains."""

from experiments.report.summary import summarize
from experiments.report.sweep_end import CollectResults

__all__ = ["CollectResults", "summarize"]
