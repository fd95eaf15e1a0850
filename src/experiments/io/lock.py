"""One process per run folder: an exclusive lock that a second sweep into the same folder
waits on (and says so), released by the system however its holder ends."""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from experiments.io.process import process_identity

log = logging.getLogger(__name__)
LOCK_FILE = ".lock"


@contextmanager
def folder_lock(folder: Path, name: str = LOCK_FILE) -> Iterator[None]:
    """Hold an exclusive lock on ``<folder>/<name>`` (POSIX ``fcntl`` record lock: local
    filesystems and NFS with its lock service); when another process holds it, log which
    one and wait for it. The lock file records its holder (pid, host) for that message.

    The system releases the lock when the holder exits, also on SIGKILL: a lock never
    outlives its process.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("a+") as file:
        try:
            fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            log.info("waiting: %s is in use by another process (%s)", folder, _holder(file))
            fcntl.lockf(file, fcntl.LOCK_EX)
            log.info("%s is free; going on", folder)
        file.seek(0)
        file.truncate()
        file.write(json.dumps(process_identity()) + "\n")
        file.flush()
        try:
            yield
        finally:
            fcntl.lockf(file, fcntl.LOCK_UN)


def _holder(file: IO[str]) -> str:
    """The process recorded in a lock file, for people: ``pid 12 on node-3``."""
    file.seek(0)
    try:
        holder = json.loads(file.read())
        return f"pid {holder['pid']} on {holder['host']}"
    except (ValueError, TypeError, KeyError):  # being written, or from another version
        return "unknown"
