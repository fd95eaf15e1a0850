"""The processed-data cache: featurized tensors on disk, so a second run skips featurizing.

Entries are keyed by a hash of (source fingerprint, featurizer settings, split settings) and
written atomically (a temporary file, then `os.replace`), so a crash while featurizing or
writing never leaves a half-written entry under a real key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import torch

from experiments.runs.atomic import atomic_file

log = logging.getLogger(__name__)
# Bump when the layout of an entry or the meaning of a setting changes.
CACHE_VERSION = 2  # 2: entries hold the fitted featurizer


def default_cache_dir() -> Path:
    """``$EXPERIMENTS_DATA_CACHE``, else ``~/.cache/experiments/data``."""
    default = Path.home() / ".cache" / "experiments" / "data"
    return Path(os.environ.get("EXPERIMENTS_DATA_CACHE", default)).expanduser()


def cache_key(parts: dict[str, Any]) -> str:
    """A short stable hash of JSON-serializable ``parts``."""
    text = json.dumps({"version": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class TensorCache:
    """A folder of ``<name>-<key>.pt`` files, each one `torch.save`d dict of tensors and
    plain values (loaded with ``weights_only=True``: a cache file cannot run code).

    Args:
        folder: where entries live; created on the first write.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, name: str, key: str) -> Path:
        return self.folder / f"{name}-{key}.pt"

    def read(self, name: str, key: str) -> dict[str, Any] | None:
        """The entry, or None when there is none or it cannot be read (then it is removed,
        so that this run rewrites it)."""
        path = self.path(name, key)
        if not path.is_file():
            return None
        try:
            return torch.load(path, weights_only=True)
        except Exception as error:  # any unreadable file is a miss, never a failed run
            log.warning("ignoring unreadable cache entry %s (%s)", path, error)
            path.unlink(missing_ok=True)
            return None

    def write(self, name: str, key: str, entry: dict[str, Any]) -> Path:
        """Write ``entry`` under its final name only once it is complete on disk."""
        final = self.path(name, key)
        with atomic_file(final, "wb") as file:
            torch.save(entry, file)
        return final
