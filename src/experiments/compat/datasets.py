"""`datasets`' internals this package relies on (datasets 5.2; pinned ``<5.3`` in
pyproject.toml), each tested by name in ``tests/compat/test_datasets.py``:

- ``Dataset._fingerprint``: the hash `datasets` keys its own cache on, derived from the
  files a split was read from (or its data) and the transforms applied since; there is no
  public one. `fingerprint` reads it, so that the data cache knows a hub dataset's files
  without hashing them again.
"""

from __future__ import annotations

from datasets import Dataset


def fingerprint(split: Dataset) -> str:
    """``split``'s fingerprint: equal for the same files (or data) and transforms."""
    return split._fingerprint
