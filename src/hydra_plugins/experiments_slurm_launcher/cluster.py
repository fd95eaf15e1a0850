"""What the launcher asks the SLURM controller: job states, node sizes, the array limit.

Job states come from ``squeue`` (the controller's memory), not ``sacct``: many clusters run
without accounting, where ``sacct`` only answers "accounting storage is disabled" and a
job that ended without a result would look pending forever. ``squeue --states=all`` lists
ended jobs for ``MinJobAge`` seconds (300 by default) after their end, long enough for a
launcher that polls every few seconds; a job no longer listed has ended too.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

# States of a job that may still write its result; every other state is an end.
ACTIVE_STATES = frozenset(
    {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED"}
    | {"REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD"}
)
GONE = "ENDED (no longer known to the controller)"
DEFAULT_MAX_ARRAY_SIZE = 1001  # SLURM's default MaxArraySize


def _query(command: list[str], timeout_s: float = 60) -> str | None:
    """A client command's output, or None when it failed (a busy controller answers late)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def job_states(job_ids: list[str]) -> dict[str, str] | None:
    """The state of each job (``"123"`` or an array task ``"123_4"``), by one ``squeue``
    call for all of them; `GONE` for a job the controller no longer lists. None when the
    controller did not answer (then nothing can be concluded)."""
    arrays = sorted({job_id.split("_")[0] for job_id in job_ids})
    output = _query(
        [
            "squeue",
            "--noheader",
            "--array",
            "--states=all",
            "--format=%i|%T",
            f"--jobs={','.join(arrays)}",
        ]
    )
    if output is None:
        return None
    listed = dict(line.split("|", 1) for line in output.splitlines() if "|" in line)
    return {job_id: listed.get(job_id, GONE).strip() for job_id in job_ids}


def cancel(job_ids: list[str]) -> None:
    """Cancel jobs (best effort: a job that ended meanwhile is no error)."""
    if job_ids:
        _query(["scancel", *job_ids])


@dataclass(frozen=True)
class Partition:
    """The largest node of a partition: what one job's request must fit."""

    name: str
    nodes: int
    cpus: int
    memory_mb: int
    gpus: int


def partition(name: str | None) -> Partition | None:
    """Node sizes of partition ``name`` (the cluster's default partition when None), from
    ``sinfo``; None when sinfo does not answer or knows no such partition."""
    output = _query(["sinfo", "--noheader", "--format=%P|%D|%c|%m|%G"])
    if output is None:
        return None
    rows = [line.split("|") for line in output.splitlines() if line.count("|") == 4]
    chosen = [r for r in rows if (r[0].rstrip("*") == name if name else r[0].endswith("*"))]
    if not chosen:
        return None
    return Partition(
        name=chosen[0][0].rstrip("*"),
        nodes=sum(int(r[1]) for r in chosen),
        cpus=max(int(r[2].rstrip("+")) for r in chosen),
        memory_mb=max(int(r[3].rstrip("+")) for r in chosen),
        gpus=max(_gpus(r[4]) for r in chosen),
    )


def _gpus(gres: str) -> int:
    """GPUs per node in an sinfo GRES field such as ``gpu:a100:4(S:0-1)``."""
    counts = [int(m) for m in re.findall(r"gpu(?::[\w-]+)?:(\d+)", gres)]
    return max(counts, default=0)


def max_array_size() -> int:
    """The cluster's ``MaxArraySize``: array task indices must stay below it."""
    output = _query(["scontrol", "show", "config"]) or ""
    found = re.search(r"^MaxArraySize\s*=\s*(\d+)", output, re.MULTILINE)
    return int(found.group(1)) if found else DEFAULT_MAX_ARRAY_SIZE
