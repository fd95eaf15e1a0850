"""Where rows come from: built-in offline data sets, loaded as Hugging Face `datasets`."""

from __future__ import annotations

import numpy as np
from datasets import Array2D, ClassLabel, Dataset, DatasetDict, Features

from experiments.errors import ConfigError

BUILTIN_PREFIX = "builtin:"


def _digits() -> DatasetDict:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    features = Features(
        {
            "image": Array2D(shape=(8, 8), dtype="float32"),
            "label": ClassLabel(names=[str(d) for d in range(10)]),
        }
    )
    table = {"image": bunch.images.astype(np.float32), "label": bunch.target.tolist()}
    return DatasetDict({"all": Dataset.from_dict(table, features=features)})


BUILTIN_SOURCES = {"digits": _digits}


def load_source(source: str) -> DatasetDict:
    """Load a data source as a `DatasetDict` of the source's own splits.

    Args:
        source: ``builtin:<name>`` for a data set shipped with installed packages.

    Returns:
        The splits the source defines; a source without splits has one split, ``all``.

    Raises:
        ConfigError: the source is unknown.
    """
    if source.startswith(BUILTIN_PREFIX):
        name = source.removeprefix(BUILTIN_PREFIX)
        if name not in BUILTIN_SOURCES:
            known = ", ".join(BUILTIN_PREFIX + n for n in sorted(BUILTIN_SOURCES))
            raise ConfigError(
                f"dataset.source: unknown built-in '{source}'; expected one of {known}"
            )
        return BUILTIN_SOURCES[name]()
    raise ConfigError(f"dataset.source: '{source}' is not supported yet; expected builtin:<name>")
