"""`result.json`: one run's status, metrics, timings and provenance, written atomically."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from experiments.runs.atomic import atomic_file, write_atomic

RESULT_FILE = "result.json"
# The test split's predictions of a run, per row: `predicted` and `target` (class indices,
# or values in the data's original units), for statistics over test rows.
TEST_PREDICTIONS_FILE = "test_predictions.npz"
PACKAGES = (
    "experiments", "torch", "pytorch-lightning", "hydra-core", "omegaconf",
    "torchmetrics", "scikit-learn", "datasets", "numpy",
)  # fmt: skip


def write_result(run_dir: Path, result: dict[str, Any]) -> None:
    write_atomic(run_dir / RESULT_FILE, json.dumps(result, indent=2, sort_keys=False) + "\n")


def write_test_predictions(run_dir: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``<run_dir>/test_predictions.npz``, atomically."""
    with atomic_file(run_dir / TEST_PREDICTIONS_FILE, "wb") as file:
        np.savez(file, **arrays)


def read_result(run_dir: Path) -> dict[str, Any] | None:
    """The run's result, or None when it has none or it cannot be parsed."""
    try:
        return json.loads((run_dir / RESULT_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None


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
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "versions": {name: _version(name) for name in PACKAGES}
        | {"python": platform.python_version()},
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "device": device,
        "hostname": platform.node(),
    }


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
