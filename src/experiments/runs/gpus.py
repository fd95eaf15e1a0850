"""One GPU per job: a job of a parallel sweep claims a GPU no other process holds."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path
from typing import IO

# Machine-wide, so that two sweeps on one machine do not share GPUs either.
LOCK_DIR = Path(tempfile.gettempdir()) / "experiments-gpu-locks"
_held: list[tuple[str, IO[str]]] = []  # this process's GPU and its lock, kept until exit


def claim_gpu(count: int, lock_dir: Path = LOCK_DIR) -> str:
    """Make this process see only one of the machine's first ``count`` GPUs, one that no
    other process holds, by setting ``CUDA_VISIBLE_DEVICES``.

    Must run before CUDA is initialized in the process (CUDA reads the variable once). A
    worker process that runs several jobs keeps the GPU it claimed first. The claim is an
    exclusive lock on ``<lock_dir>/gpu<id>.lock``, released when the process ends, however
    it ends. When ``CUDA_VISIBLE_DEVICES`` is already set, its first ``count`` ids are used.

    Returns:
        The GPU id now visible to this process.

    Raises:
        RuntimeError: every one of the ``count`` GPUs is held by another process.
    """
    if _held:
        return _held[0][0]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    devices = visible.split(",")[:count] if visible else [str(i) for i in range(count)]
    lock_dir.mkdir(parents=True, exist_ok=True)
    for device in devices:
        handle = (lock_dir / f"gpu{device}.lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _held.append((device, handle))
        os.environ["CUDA_VISIBLE_DEVICES"] = device
        return device
    raise RuntimeError(
        f"all {count} GPUs ({', '.join(devices)}) are held by other jobs (locks in "
        f"{lock_dir}); run at most {count} jobs at once (hydra.launcher.n_jobs)"
    )
