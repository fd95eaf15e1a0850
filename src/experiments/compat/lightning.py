"""Lightning's internals this package relies on.

- ``pytorch_lightning.strategies.launchers.subprocess_script._launch_process_observer``:
  what Lightning's DDP launcher (`_SubprocessScriptLauncher`) calls, in the launching
  process, right after it started the other ranks' processes by re-running the script. It
  starts a thread that, when one of them exits non-zero, SIGKILLs them all *and the
  launching process*: inside a sweep run in one process, that ends the whole sweep (exit
  137, no summary). `process_observer` puts another in its place for one job.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pytorch_lightning.strategies.launchers import subprocess_script

OBSERVER_NAME = "_launch_process_observer"


@contextmanager
def process_observer(observer: Callable[[list[subprocess.Popen]], None]) -> Iterator[None]:
    """Within the block, Lightning's DDP launcher calls ``observer`` with the processes it
    started (ranks 1 and up, in order) instead of starting its own killing thread."""
    saved = getattr(subprocess_script, OBSERVER_NAME)
    setattr(subprocess_script, OBSERVER_NAME, observer)
    try:
        yield
    finally:
        setattr(subprocess_script, OBSERVER_NAME, saved)
