"""Seeded train/val/test splits, stratified for classification."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from experiments.config.errors import ConfigError


def split_rows(
    targets: np.ndarray, fraction: float, seed: int, stratify: bool, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Split row indices into ``(kept, held_out)`` with ``fraction`` of the rows held out.

    Raises:
        ConfigError: the fraction leaves a side empty, or a class is too small to stratify.
    """
    rows = np.arange(len(targets))
    if round(fraction * len(rows)) < 1 or round((1 - fraction) * len(rows)) < 1:
        raise ConfigError(f"dataset.{what}: {fraction} of {len(rows)} rows leaves an empty split")
    try:
        kept, held_out = train_test_split(
            rows, test_size=fraction, random_state=seed, stratify=targets if stratify else None
        )
    except ValueError as error:  # scikit-learn: a class too small to stratify
        raise ConfigError(f"dataset.{what}: cannot split {len(rows)} rows: {error}") from error
    return np.sort(kept), np.sort(held_out)
