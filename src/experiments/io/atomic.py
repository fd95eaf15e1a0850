"""Files that appear whole or not at all: results, tables, cache entries, fitted models."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TEMPORARY = ".tmp"  # suffix of the files being written, `.<final name>.<random>.tmp`


@contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on a clean exit flush it to disk
    and rename it over ``path``, on an error remove it. A reader never sees a half-written
    file, whenever the writer dies.

    Args:
        path: the final file; its folder is created if needed.
        mode: ``"w"`` for text, ``"wb"`` for bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY)
    try:
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; results and caches are shared
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through `atomic_file`."""
    with atomic_file(path) as file:
        file.write(text)


def remove_temporaries(folder: Path) -> None:
    """Remove the temporaries that writers killed mid-write left in ``folder`` (not below).

    Only for a folder that no other process is writing into now (its owner holds its lock):
    a live writer's temporary would vanish before its rename.
    """
    for path in folder.glob(f".*{TEMPORARY}"):
        path.unlink(missing_ok=True)
