"""Run folders: `result.json`, results tables, leaderboards, and the multirun callback."""

from experiments.runs.callback import CollectResults
from experiments.runs.result import read_result, write_result
from experiments.runs.summary import summarize

__all__ = ["CollectResults", "read_result", "summarize", "write_result"]
