"""The processed-data cache: featurized tensors on disk, so a second run skips featurizing.

Entries are keyed by a hash of (source fingerprint, featurizer settings, split settings) and
written atomically (a temporary file, then `os.replace`), so a crash while featurizing or
writing never leaves a half-written entry under a real key. Each entry starts with the
SHA-256 of its payload, checked on every read: a garbled entry is a miss, not a result.

A checksum says an entry is whole, not who wrote it: whoever can write the folder can write
an entry with a matching checksum (or rename one entry over another), and so change the
results of every run that reads it. The cache therefore reads only this user's entries
(`untrusted_reason`), in a folder that no one else can write: owned by this user and
neither group- nor world-writable, as the cache creates its folder (mode 0700), or sticky
as ``/tmp`` is. A folder shared by a lab is refused, with the reason, and the run featurizes
its data itself.

The cache is an optimization, never a reason for a run to fail: a cache folder that cannot
be written (full, read-only, a file) or that others can write is reported once and the run
goes on without it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

import torch

from experiments.io.atomic import atomic_file

log = logging.getLogger(__name__)
# Bump when the layout of an entry or the meaning of a setting changes (2: a checksum heads
# each entry; 3: entries hold the fitted featurizer; 4: sources fingerprinted by content).
CACHE_VERSION = 4
_DIGEST_SIZE = 64  # hex characters of the SHA-256 that heads each entry, then a newline


def default_cache_dir() -> Path:
    """``$EXPERIMENTS_DATA_CACHE``, else ``~/.cache/experiments/data``."""
    default = Path.home() / ".cache" / "experiments" / "data"
    return Path(os.environ.get("EXPERIMENTS_DATA_CACHE", default)).expanduser()


def untrusted_reason(path: Path) -> str | None:
    """Why a file in ``path`` (a cache folder, or an entry in one) could have been written by
    someone else, or None when only this user (or root) can write it: it is theirs and not
    writable by others, or a folder with the sticky bit (``/tmp``: others may add files, which
    are theirs, never change or rename this user's). None also when it does not exist yet
    (the cache creates its folder, mode 0700)."""
    try:
        info = path.stat()
    except OSError:
        return None
    owner = getattr(os, "getuid", lambda: info.st_uid)()
    if info.st_uid not in (owner, 0):
        return f"it belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o022 and not (path.is_dir() and info.st_mode & stat.S_ISVTX):
        return f"others can write to it (mode {info.st_mode & 0o777:o})"
    return None


def cache_key(parts: dict[str, Any]) -> str:
    """A short stable hash of JSON-serializable ``parts``."""
    text = json.dumps({"version": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class TensorCache:
    """A folder of ``<name>-<key>.pt`` files, each the SHA-256 (hex) of its payload, a newline
    and the payload: one `torch.save`d dict of tensors and plain values (loaded with
    ``weights_only=True``: a cache file cannot run code).

    Args:
        folder: where entries live; created on the first write.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.writable = True  # false after a failed write: warned once, not tried again
        self.trusted: bool | None = None  # decided on first use (`_trusted`)

    def path(self, name: str, key: str) -> Path:
        return self.folder / f"{name}-{key}.pt"

    def read(self, name: str, key: str) -> dict[str, Any] | None:
        """The entry, or None when there is none or it cannot be trusted: unreadable, or its
        payload does not match its checksum (then it is removed, so that this run rewrites
        it)."""
        path = self.path(name, key)
        if not self._trusted():
            return None
        try:
            if not path.is_file():
                return None
            if (reason := untrusted_reason(path)) is not None:
                log.warning("cache: ignoring %s: %s; featurizing instead", path, reason)
                return None
            data = path.read_bytes()
        except OSError as error:
            log.warning("cache: cannot read %s (%s); featurizing instead", path, error)
            return None
        digest, payload = data[:_DIGEST_SIZE], memoryview(data)[_DIGEST_SIZE + 1 :]
        try:
            if digest.decode("ascii") != hashlib.sha256(payload).hexdigest():
                raise ValueError("its payload does not match its checksum")
            return torch.load(io.BytesIO(payload), weights_only=True)
        except Exception as error:  # any untrustworthy entry is a miss, never a failed run
            log.warning("cache: ignoring damaged entry %s (%s)", path, error)
            path.unlink(missing_ok=True)
            return None

    def write(self, name: str, key: str, entry: dict[str, Any]) -> Path | None:
        """Write ``entry`` under its final name only once it is complete on disk; return its
        path, or None when the folder cannot be written (warned once per cache)."""
        if not self.writable or not self._trusted():
            return None
        buffer = io.BytesIO()
        torch.save(entry, buffer)
        payload = buffer.getbuffer()
        final = self.path(name, key)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # this user's alone
            with atomic_file(final, "wb") as file:
                file.write(hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n")
                file.write(payload)
        except OSError as error:
            self.writable = False
            log.warning(
                "cache: cannot write to %s (%s); running without the data cache "
                "(set EXPERIMENTS_DATA_CACHE to a writable folder, or dataset.cache=false)",
                self.folder, error,
            )  # fmt: skip
            return None
        return final

    def _trusted(self) -> bool:
        """Whether only this user can write the folder; warned once when others can."""
        if self.trusted is None:
            reason = untrusted_reason(self.folder)
            self.trusted = reason is None
            if reason is not None:
                log.warning(
                    "cache: not using %s: %s, so its entries could have been changed by "
                    "someone else (a checksum only says an entry is whole); featurizing "
                    "instead. Point EXPERIMENTS_DATA_CACHE at a folder only you can write, "
                    "or chmod go-w it if no one else can",
                    self.folder, reason,
                )  # fmt: skip
        return self.trusted
