"""Which process holds a file: an identity recorded by the holder (pid, host, start id) and
whether that process still exists, so that a record left by a killed process is recognised
as stale rather than as work in progress."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def _process_start(pid: int) -> str | None:
    """An id of process ``pid``'s start that differs when the pid is reused (Linux: the
    boot id and the start time in clock ticks), or None where it cannot be read."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return f"{boot}:{stat.rpartition(')')[2].split()[19]}"


def process_identity() -> dict[str, Any]:
    """This process, as recorded in a running result: pid, host name and start id."""
    return {"pid": os.getpid(), "host": platform.node(), "start_id": _process_start(os.getpid())}


def is_gone(process: dict[str, Any]) -> bool:
    """True when ``process`` ran on this host and no longer exists; False when it exists or
    ran elsewhere (another host cannot be asked)."""
    if process.get("host") != platform.node() or not isinstance(process.get("pid"), int):
        return False
    try:
        os.kill(process["pid"], 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        pass
    started = process.get("start_id")
    return started is not None and _process_start(process["pid"]) != started
