"""What a protocol cost, for its report: the search trials its pruning stopped (one rule for
every model) and the time it took (wall and CPU)."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from experiments.protocol.settings import CHECKPOINTS, MIN_FINISHED
from experiments.report.protocol.runs import Protocol


def pruning_line(protocol: Protocol) -> str:
    """Which pruning the search used (``protocol.pruning``) and which trials it stopped."""
    pruning = protocol.settings.get("pruning") or "none"
    if pruning == "none":
        return "- Pruning: none (protocol.pruning=none): every search trial ran to its end."
    models = protocol.models.values()
    in_epochs = [runs for runs in models if _trains_in_epochs(runs.trials)]
    one_call = [runs.name for runs in models if not _trains_in_epochs(runs.trials)]
    counts = ", ".join(
        f"{runs.name} {len(runs.pruned)} of {len(runs.pruned) + len(runs.trials)}"
        for runs in in_epochs
    )
    at = " or ".join(str(Fraction(f).limit_denominator(12)) for f in CHECKPOINTS)
    return (
        f"- Pruning: {pruning} (protocol.pruning), the same rule for every model trained in "
        f"epochs: a search trial stopped at {at} of its epochs where its "
        f"{protocol.selection_metric} was worse than the median of its search's earlier "
        f"finished trials there ({MIN_FINISHED} or more); a stopped trial still counts as one of its "
        f"model's trials and is never chosen. Stopped: {counts or 'none'}."
        + (f" Fitted in one call, every trial run out: {', '.join(one_call)}." if one_call else "")
    )


def _trains_in_epochs(trials: dict[Any, dict[str, Any]]) -> bool:
    """Whether the model's search trials trained in epochs (a Trainer's ``stopped_epoch``)."""
    return any("stopped_epoch" in result for result in trials.values())


def time_line(protocol: Protocol) -> str | None:
    """The wall time from the first job's start to the last one's end and the CPU time of
    the jobs' processes; None when no job recorded its times."""
    spans = [
        (_when(result["started"]), _when(result["finished"]))
        for result in protocol.results
        if result.get("started") and result.get("finished")
    ]
    if not spans:
        return None
    wall = (max(end for _, end in spans) - min(start for start, _ in spans)).total_seconds()
    cpus = [r["cpu_seconds"] for r in protocol.results if isinstance(r.get("cpu_seconds"), int | float)]  # fmt: skip
    launches = len({result.get("launch") for result in protocol.results})
    text = f"- Time: {duration(wall)} wall from the first job's start to the last job's end"
    if launches > 1:
        text += f" (over {launches} launches: a re-run finished it)"
    if cpus:
        cpu = sum(cpus)
        recorded = "" if len(cpus) == len(protocol.results) else f", {len(cpus)} of them recorded"
        text += (
            f"; {duration(cpu)} of CPU in the {len(protocol.results)} jobs' processes"
            f"{recorded} ({cpu / max(wall, 1):.1f} jobs' worth of CPU at a time)"
        )
    return text + "."


def duration(seconds: float) -> str:
    """``7 min 12 s``, ``45 s``, ``1 h 02 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)
