"""Fingerprints of the rows a data set gives: part of a run's identity and of the
processed-data cache key, cheap enough to take before every job.

- Local files: the SHA-256 of each file's bytes, by its name below the data path (not where
  the path lies: the same files elsewhere are the same rows). A file is read again only when
  its size, modification time or inode changed since it was last hashed: the digests are
  remembered per data path in ``<data cache>/fingerprints/`` (`remembered_digests`), so a
  sweep of a hundred jobs over an image folder reads it once, and a ``touch`` or a fresh
  checkout of the same bytes keeps the fingerprint.
- A loader function: its import path, its arguments and the SHA-256 of the source file that
  defines it (`code_digest`): an edit to the loader, or to its module, is new data.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import marshal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from experiments.data.cache import default_cache_dir, untrusted_reason
from experiments.io.atomic import write_atomic

log = logging.getLogger(__name__)
MEMO_FOLDER = "fingerprints"  # below the data cache folder
_CHUNK = 1 << 20  # bytes read at a time while hashing a file


def files_digest(root: Path, files: list[Path]) -> str:
    """The SHA-256 (hex) of ``files`` (below ``root``, or ``root`` itself when it is a file):
    each file's name relative to ``root``'s parent and the digest of its bytes, in order."""
    memo_path = _memo_path(root)
    memo = _read_memo(memo_path)
    digests, changed = {}, False
    for file in files:
        name = str(file.relative_to(root.parent))
        info = file.stat()
        stamp = [info.st_size, info.st_mtime_ns, info.st_ino]
        known = memo.get(name)
        if known is not None and known[:3] == stamp:
            digests[name] = known[3]
            continue
        with file.open("rb") as handle:
            digests[name] = hashlib.file_digest(handle, "sha256").hexdigest()
        memo[name] = [*stamp, digests[name]]
        changed = True
    if changed and memo_path is not None:
        _write_memo(memo_path, {name: memo[name] for name in digests})
    text = json.dumps(sorted(digests.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def code_digest(function: Callable[..., Any]) -> str:
    """The SHA-256 (hex) of the source file that defines ``function``; of its compiled code
    when it has no source file (a function made at run time)."""
    try:
        source = inspect.getsourcefile(function) or inspect.getfile(function)
        return hashlib.sha256(Path(source).read_bytes()).hexdigest()
    except (TypeError, OSError):
        code = getattr(function, "__code__", None)
        data = marshal.dumps(code) if code is not None else repr(function).encode()
        return hashlib.sha256(data).hexdigest()


def _memo_path(root: Path) -> Path | None:
    """Where the digests of the files below ``root`` are remembered; None when that folder
    is not this user's alone (`untrusted_reason`: a digest there could be made up)."""
    folder = default_cache_dir() / MEMO_FOLDER
    if untrusted_reason(folder) is not None:
        return None
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:20]
    return folder / f"{key}.json"


def _read_memo(path: Path | None) -> dict[str, list]:
    if path is None:
        return {}
    try:
        memo = json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, or damaged: hash the files again
        return {}
    return memo if isinstance(memo, dict) else {}


def _write_memo(path: Path, memo: dict[str, list]) -> None:
    """Remember the digests; a memo that cannot be written only costs the next job a read."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, json.dumps(memo))
    except OSError as error:
        log.debug("fingerprints: cannot remember file digests in %s (%s)", path, error)
