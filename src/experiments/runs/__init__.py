"""The life of a run folder: `result.json`, atomic writes, skip/resume/rerun re-entry, DDP
and GPU claims, and loading a finished run back. May import `config`, `data`, `kinds`."""

from experiments.runs.result import read_result, write_result

__all__ = ["read_result", "write_result"]
