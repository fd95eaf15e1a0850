"""Seeded train/val/test splits of a loaded source, stratified for classification."""

from __future__ import annotations

import numpy as np
from datasets import Dataset, DatasetDict
from sklearn.model_selection import train_test_split

from experiments.config.errors import ConfigError
from experiments.data.columns import column_values


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


def split_source(
    source: DatasetDict,
    target_column: str,
    stratify: bool,
    val_size: float,
    test_size: float,
    split_seed: int,
) -> dict[str, Dataset]:
    """The ``train``, ``val`` and ``test`` splits of a loaded source: its own splits where it
    has them (``train``/``validation``/``test``), else seeded (stratified) cuts of
    ``test_size`` and ``val_size`` of all rows (``val_size`` of the source's own train split
    when it has a test split but no validation split).

    Raises:
        ConfigError: a fraction leaves a split empty, or a class is too small to stratify.
    """
    val_fraction = val_size
    if "train" in source and "test" in source:
        train, test = source["train"], source["test"]
    else:
        first = source["train"] if "train" in source else next(iter(source.values()))
        targets = np.asarray(column_values(first, target_column))
        keep, held = split_rows(targets, test_size, split_seed, stratify, "test_size")
        train, test = first.select(keep), first.select(held)
        # val_size is a fraction of all rows; here it is taken from what test left
        val_fraction = val_size / (1.0 - test_size)
    if "validation" in source:
        splits = {"train": train, "val": source["validation"], "test": test}
    else:
        targets = np.asarray(column_values(train, target_column))
        keep, held = split_rows(targets, val_fraction, split_seed, stratify, "val_size")
        splits = {"train": train.select(keep), "val": train.select(held), "test": test}
    empty = [name for name, split in splits.items() if len(split) == 0]
    if empty:
        raise ConfigError(
            f"dataset: split {', '.join(empty)} has no rows after splitting "
            f"({', '.join(f'{n}={len(s)}' for n, s in splits.items())}); expected rows in each"
        )
    return splits


def training_subset(
    targets: np.ndarray, size: int | float, seed: int, stratify: bool
) -> np.ndarray:
    """Sorted row indices of a seeded subset of ``size`` rows of a train split (a count, or a
    fraction of the split), for learning curves.

    Nested: for the same seed, the rows of a smaller size are among those of a larger one
    (every size is a prefix of one seeded order). Stratified for classification: the order
    interleaves the classes by their within-class rank over their count, so any prefix holds
    each class in proportion, within one row.

    Raises:
        ConfigError: a size of no rows, more rows than the split has, or one that leaves a
            class without rows.
    """
    total = len(targets)
    count = round(size * total) if isinstance(size, float) and size <= 1.0 else size
    if isinstance(count, bool) or not isinstance(count, int | float) or not 1 <= count <= total:
        raise ConfigError(
            f"dataset.train_size: {size!r} is not a count of rows between 1 and {total} (the "
            "train split) or a fraction in (0, 1]"
        )
    order = np.random.default_rng(seed).permutation(total)
    if stratify:
        rank = np.empty(total)
        for value in np.unique(targets):
            members = order[targets[order] == value]  # this class, in the seeded order
            rank[members] = (np.arange(len(members)) + 0.5) / len(members)
        order = order[np.argsort(rank[order], kind="stable")]
    chosen = np.sort(order[: int(count)])
    missing = sorted(set(np.unique(targets)) - set(np.unique(targets[chosen])), key=str)
    if stratify and missing:
        raise ConfigError(
            f"dataset.train_size: {int(count)} rows leave class(es) "
            f"{', '.join(map(str, missing))} without rows; expected at least "
            f"{len(np.unique(targets))} rows (one per class)"
        )
    return chosen
