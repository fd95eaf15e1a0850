"""The record of a checkpoint folder's SHA-256 digests (``checksums.json``, written by
`experiments.runs.checkpoints.AtomicCheckpointIO`) and the check of a file against it. No
Lightning here: loading a saved network to predict verifies its checkpoint with this module
alone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from experiments.config.errors import ConfigError

CHECKSUMS_FILE = "checksums.json"
CHECKPOINTS_DIR = "checkpoints"  # in a run folder: where its checkpoint callbacks write


def read_checksums(folder: Path) -> dict[str, str] | None:
    """The recorded digests, None when none were recorded (a run from before checksums) or
    the record cannot be read (then no file can be verified)."""
    try:
        recorded = json.loads((folder / CHECKSUMS_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def checkpoint_problem(path: Path, strict: bool = False) -> str | None:
    """Why ``path`` cannot be trusted, or None when its SHA-256 matches the recorded one.

    A folder without ``checksums.json`` (a run from before checksums) cannot be checked:
    None. A file the record does not name is another tool's, accepted unless ``strict``
    (resuming: a checkpoint `AtomicCheckpointIO` wrote is always named before it lands)."""
    recorded = read_checksums(path.parent)
    if recorded is None:
        return None
    if path.name not in recorded:
        return f"{path.name} has no recorded checksum" if strict else None
    if _file_digest(path) != recorded[path.name]:
        return f"{path.name} does not match its recorded checksum (garbled, or its save was cut)"
    return None


def verify_checkpoint(path: Path) -> None:
    """Raises ConfigError naming the file when `checkpoint_problem` finds one."""
    problem = checkpoint_problem(Path(path))
    if problem:
        raise ConfigError(f"checkpoint {path}: {problem}")
