"""`result.json`: one run's status, metrics, timings and provenance, written atomically.

A run records which process wrote it (`experiments.io.process.process_identity`), so that
a ``running`` status left by a process that no longer exists reads as ``interrupted``
(`current_status`).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import platform
import secrets
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.config.errors import is_out_of_memory
from experiments.io.atomic import atomic_file, write_atomic
from experiments.io.process import is_gone
from experiments.runs.interrupt import REASONS, interruption

if TYPE_CHECKING:  # numpy is imported where predictions are written, not by every reader
    import numpy as np

log = logging.getLogger(__name__)
RESULT_FILE = "result.json"
# The test split's predictions of a run, per row: `predicted` and `target` (class indices,
# or values in the data's original units), for statistics over test rows.
TEST_PREDICTIONS_FILE = "test_predictions.npz"
# Set by the sweep's launching process for its jobs (`experiments.report.sweep_end`): which
# results this launch wrote, without comparing clocks of different machines.
LAUNCH_VARIABLE = "EXPERIMENTS_LAUNCH_ID"
PACKAGES = (
    "experiments", "torch", "pytorch-lightning", "hydra-core", "omegaconf",
    "torchmetrics", "scikit-learn", "datasets", "numpy",
)  # fmt: skip


def write_result(run_dir: Path, result: dict[str, Any]) -> None:
    write_atomic(run_dir / RESULT_FILE, json.dumps(result, indent=2, sort_keys=False) + "\n")


def write_test_predictions(run_dir: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``<run_dir>/test_predictions.npz``, atomically."""
    import numpy as np

    with atomic_file(run_dir / TEST_PREDICTIONS_FILE, "wb") as file:
        np.savez(file, **arrays)


def record_result(run_dir: Path, result: dict[str, Any]) -> bool:
    """`write_result`; when it cannot be written (a full disk, a read-only folder), print the
    run's status on stderr in one line instead and return False."""
    try:
        write_result(run_dir, result)
    except OSError as error:
        told = f"{result['status']}" + (f": {result['error']}" if result.get("error") else "")
        print(
            f"{run_dir / RESULT_FILE} could not be written ({error.strerror or error}); "
            f"the run is {told}",
            file=sys.stderr, flush=True,
        )  # fmt: skip
        return False
    return True


def ending(error: BaseException) -> tuple[str, str]:
    """The status (``interrupted`` or ``failed``) and one-line reason of a run that ``error``
    ended."""
    if (stop := interruption(error)) is not None:
        return "interrupted", stop.reason
    if isinstance(error, KeyboardInterrupt):
        return "interrupted", REASONS[2]
    if isinstance(error, SystemExit):  # a launcher ending the job (submitit on requeue)
        return "interrupted", f"the process was told to exit (exit code {error.code})"
    text = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
    if is_out_of_memory(error) and not text.startswith("out of memory"):
        return "failed", f"out of memory: {text}"
    return "failed", f"{type(error).__name__}: {text}" if text else type(error).__name__


def launch_id() -> str:
    """The id of the launch this run belongs to: the sweep's, or this process's own."""
    return os.environ.setdefault(LAUNCH_VARIABLE, secrets.token_hex(6))


def load_result(path: Path) -> dict[str, Any] | None:
    """The result in ``path`` with its status brought up to date (`current_status`), or
    None when there is none; a damaged one (not UTF-8, not JSON, not an object) is reported
    as ``failed`` with what is wrong, and warned about, never raised."""
    try:
        result = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError too
        problem = f"unreadable {RESULT_FILE}: {type(error).__name__}: {error}"
    else:
        if isinstance(result, dict):
            return current_status(result)
        problem = f"unreadable {RESULT_FILE}: a JSON {type(result).__name__}, not an object"
    log.warning("%s: %s; treated as unfinished", path, problem)
    return {"status": "failed", "error": problem}


def read_result(run_dir: Path) -> dict[str, Any] | None:
    """The result of the run in ``run_dir``, as `load_result` reads it."""
    return load_result(run_dir / RESULT_FILE)


def current_status(result: dict[str, Any]) -> dict[str, Any]:
    """``result``, where it says ``running`` but the process that wrote it is gone, as
    ``interrupted`` with the reason (the process was killed before it could record its end:
    SIGKILL, the out-of-memory killer, a power cut)."""
    process = result.get("process")
    if result.get("status") != "running" or not isinstance(process, dict):
        return result
    if not is_gone(process):
        return result
    reason = (
        f"process {process['pid']} on {process['host']} ended without recording its end "
        "(killed: SIGKILL or out of memory?)"
    )
    return result | {"status": "interrupted", "error": reason}


def recorded(results: list[dict[str, Any]], key: str) -> Any:
    """The value of ``key`` the results recorded, when they agree on one; else None."""
    values = Counter(result[key] for result in results if result.get(key))
    return values.most_common(1)[0][0] if len(values) == 1 else None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def provenance(device: str) -> dict[str, Any]:
    """What is needed to repeat a run: versions, git commit and dirtiness, command, device."""
    # A copy of the process's part: each run's result is its caller's to change.
    return copy.deepcopy(_process_provenance()) | {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "device": device,
    }


@functools.cache
def _process_provenance() -> dict[str, Any]:
    """The versions and source this process runs, read once: the code a process runs is
    what it imported, and two git commands a job cost 20-30 ms in a sweep (issue 16)."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "versions": {name: _version(name) for name in PACKAGES}
        | {"python": platform.python_version()},
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "hostname": platform.node(),
    }


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
