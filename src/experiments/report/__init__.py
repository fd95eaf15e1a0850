"""Reporting over run folders: the results table, leaderboards, plots, the TensorBoard
records beyond curves, the protocol's report (`report.protocol`), learning curves, the
comparison across datasets, a suite's report (`report.suite`), and the end-of-sweep
callback. Reads `result.json` files (`experiments.runs`) and computes with
`experiments.stats`; never trains."""

from experiments.report.summary import summarize
from experiments.report.sweep_end import CollectResults

__all__ = ["CollectResults", "summarize"]
