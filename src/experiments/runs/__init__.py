"""The life of a run folder: `result.json`, a job's identity (what makes a finished run this
job's), resume and re-entry (``resume=<folder>``, DDP children), checkpoints, interrupts,
DDP and GPU claims, torch's process settings. May import `config` and `io`; the model kinds
and the core run build on it."""

from experiments.runs.result import read_result, write_result

__all__ = ["read_result", "write_result"]
