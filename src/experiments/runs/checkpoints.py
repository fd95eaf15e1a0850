"""Checkpoints that are whole or absent, checked when read back, with the previous one kept.

Lightning's own save stages a checkpoint in ``$TMPDIR`` and copies it over the target; when
the run folder is on another filesystem (local ``/tmp``, shared output), a kill or a full
disk during the copy leaves a truncated ``last.ckpt``. `AtomicCheckpointIO` instead writes
beside the target, flushes, fsyncs and renames, and before replacing a checkpoint keeps the
current one as ``<name>.prev.ckpt``. ``checksums.json`` in the checkpoint folder records the
SHA-256 of each file, so that a garbled or cut file is found before it is loaded.

Saving ``last.ckpt`` goes: (1) record the current digest of ``last.ckpt`` for
``last.prev.ckpt`` too; (2) hard-link the verified current ``last.ckpt`` to
``last.prev.ckpt``; (3) record the new digest for ``last.ckpt``; (4) write the new file
beside it and rename it over ``last.ckpt``. A kill between any two steps leaves at least
one file whose digest matches its record. Once the run has ended nothing resumes it, and
`drop_previous` deletes the kept versions: a finished run holds one file per checkpoint name.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from lightning_fabric.plugins.io import TorchCheckpointIO

from experiments.io.atomic import atomic_file, remove_temporaries, write_atomic
from experiments.runs.checksums import (
    CHECKSUMS_FILE,
    checkpoint_problem,
    read_checksums,
    verify_checkpoint,
)

log = logging.getLogger(__name__)
PREVIOUS = ".prev"


def previous_of(path: Path) -> Path:
    """Where the checkpoint before ``path`` is kept: ``last.ckpt`` -> ``last.prev.ckpt``."""
    return path.with_name(path.stem + PREVIOUS + path.suffix)


def _digest(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_checksums(folder: Path, recorded: dict[str, str]) -> None:
    write_atomic(folder / CHECKSUMS_FILE, json.dumps(recorded, indent=1) + "\n")


def _keep_previous(path: Path, previous: Path) -> None:
    """Make ``previous`` the same file as ``path``: a hard link (no copy), or a copy where the
    filesystem has no links; it appears whole or not at all."""
    staged = path.parent / f".{previous.name}.{os.getpid()}.tmp"
    staged.unlink(missing_ok=True)
    try:
        os.link(path, staged)
    except OSError:
        shutil.copyfile(path, staged)
    os.replace(staged, previous)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint I/O: atomic, checksummed saves in the target folder, the
    previous checkpoint of the same name kept, and loads that check the checksum first.

    Pass it to the Trainer (``plugins=[AtomicCheckpointIO()]``). One process writes a run's
    checkpoints at a time (rank zero; the run folder's lock keeps other processes out).
    """

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        path = Path(path)
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        data = buffer.getbuffer()
        folder = path.parent
        folder.mkdir(parents=True, exist_ok=True)
        remove_temporaries(folder)  # of a save that was killed; no other writer is here
        recorded = read_checksums(folder) or {}
        previous = previous_of(path)
        recorded.pop(previous.name, None)
        if path.name in recorded and checkpoint_problem(path, strict=True) is None:
            recorded[previous.name] = recorded[path.name]  # named first, then linked
            _write_checksums(folder, recorded)
            _keep_previous(path, previous)
        recorded[path.name] = _digest(data)
        _write_checksums(folder, recorded)
        with atomic_file(path, "wb") as file:
            file.write(data)

    def load_checkpoint(self, path: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        verify_checkpoint(Path(path))
        return super().load_checkpoint(path, *args, **kwargs)

    def remove_checkpoint(self, path: Any) -> None:
        path = Path(path)
        _remove(path, previous_of(path))


def drop_previous(folder: Path) -> None:
    """Delete the previous versions kept in the checkpoint ``folder`` (`previous_of`), with
    their checksum records: once the run has ended (a killed run needs them to resume; one
    that ended, never)."""
    if kept := sorted(folder.glob(f"*{PREVIOUS}.ckpt")):
        _remove(*kept)


def _remove(*paths: Path) -> None:
    """Delete ``paths`` (checkpoints of one folder) and their checksum records."""
    for path in paths:
        path.unlink(missing_ok=True)
    folder = paths[0].parent
    recorded = read_checksums(folder)
    if recorded:
        for path in paths:
            recorded.pop(path.name, None)
        _write_checksums(folder, recorded)


def intact_checkpoint(path: Path) -> Path | None:
    """``path`` when it is intact, else its kept previous version when that one is (with a
    warning that says so), else None (with a warning naming what is wrong with each)."""
    problems = []
    for candidate in (path, previous_of(path)):
        if not candidate.is_file():
            continue
        problem = checkpoint_problem(candidate, strict=True)
        if problem is None:
            if problems:
                log.warning("%s; resuming from the previous checkpoint, %s", problems[0], candidate)
            return candidate
        problems.append(problem)
    if problems:
        log.warning("no intact checkpoint in %s: %s", path.parent, "; ".join(problems))
    return None
