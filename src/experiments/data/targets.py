"""Targets as tensors: class indices for classification, scaled floats for regression."""

from __future__ import annotations

import numpy as np
import torch
from datasets import ClassLabel, Dataset

from experiments.config.errors import ConfigError
from experiments.data.checks import row_list
from experiments.data.columns import column_values


def class_names(train: Dataset, column: str) -> tuple[str, ...]:
    """The class names: a `ClassLabel`'s names, else the sorted distinct train values."""
    feature = train.features[column]
    if isinstance(feature, ClassLabel):
        return tuple(feature.names)
    return tuple(str(value) for value in sorted(set(column_values(train, column))))


def class_indices(
    splits: dict[str, Dataset], column: str, names: tuple[str, ...]
) -> dict[str, torch.Tensor]:
    """Each split's targets as int64 indices into ``names`` (a `ClassLabel` column already
    holds them).

    Raises:
        ConfigError: the train split holds fewer than two classes (nothing to tell apart),
            or a class in val or test never occurs in train (no model could learn it).
    """
    seen = set()
    targets, problems = {}, []
    for name in ("train", *(n for n in splits if n != "train")):
        split = splits[name]
        raw = column_values(split, column)
        if isinstance(split.features[column], ClassLabel):
            values = np.asarray(raw, dtype=np.int64)
        else:
            index = {class_name: i for i, class_name in enumerate(names)}
            values = np.asarray([index.get(str(v), -1) for v in raw], dtype=np.int64)
        if name == "train":
            seen = set(np.unique(values).tolist())
            if len(seen) < 2:
                raise ConfigError(
                    _one_class(column, [names[i] for i in seen if 0 <= i < len(names)])
                )
        unseen = [row for row, value in enumerate(values) if value not in seen]
        if unseen:
            labels = sorted({str(raw[row]) for row in unseen})
            problems.append(
                f"dataset.target_column '{column}': class {', '.join(labels)} in split "
                f"'{name}' (rows {row_list(unseen)}) never occurs in the train split"
            )
        targets[name] = torch.from_numpy(values)
    if problems:
        raise ConfigError(problems)
    return targets


def _one_class(column: str, present: list[str]) -> str:
    found = f"one class, '{present[0]}'" if present else "no class"
    return (
        f"dataset.target_column '{column}': the train split holds {found}; a classifier needs "
        "at least two (another target column? dataset.task=regression for numbers?)"
    )


def numeric_targets(splits: dict[str, Dataset], column: str) -> dict[str, np.ndarray]:
    """Each split's targets as float64.

    Raises:
        ConfigError: a target is not a number (regression needs numbers).
    """
    values, problems = {}, []
    for name, split in splits.items():
        if isinstance(split.features[column], ClassLabel):
            problems.append(
                f"dataset.target_column '{column}': holds class labels, but dataset.task is "
                "regression; expected numbers (or dataset.task=classification)"
            )
            continue
        raw = column_values(split, column)
        bad = [row for row, value in enumerate(raw) if not _is_number(value)]
        if bad:
            problems.append(
                f"dataset.target_column '{column}': regression needs numbers, but split "
                f"'{name}' has {raw[bad[0]]!r} (rows {row_list(bad)}, 0-based)"
            )
            continue
        values[name] = np.asarray([float(v) for v in raw], dtype=np.float64)
    if problems:
        raise ConfigError(problems)
    return values


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def scale_targets(
    values: dict[str, np.ndarray], log: bool, standardize: bool
) -> tuple[dict[str, torch.Tensor], dict[str, float | bool]]:
    """Regression targets as the model trains on them, and how to undo that.

    ``z = (f(y) - mean) / std`` with ``f = log1p`` when ``log`` else identity, and mean and
    std measured on the train split when ``standardize`` (else 0 and 1). Metrics must be
    computed on ``y = f^-1(z * std + mean)``: the original units.

    Returns:
        float32 targets per split, and ``{"target_mean", "target_std", "target_log"}``.

    Raises:
        ConfigError: ``log`` with a target below 0.
    """
    if log:
        negative = {name: np.flatnonzero(v < 0) for name, v in values.items()}
        problems = [
            f"dataset.target_log: log(1 + y) needs targets >= 0, but split '{name}' has "
            f"negative ones (rows {row_list(rows)})"
            for name, rows in negative.items()
            if len(rows)
        ]
        if problems:
            raise ConfigError(problems)
        values = {name: np.log1p(v) for name, v in values.items()}
    mean, std = 0.0, 1.0
    if standardize:
        mean = float(values["train"].mean())
        std = float(values["train"].std()) or 1.0  # a constant target stays unscaled
    scaled = {
        name: torch.from_numpy(((v - mean) / std).astype(np.float32)) for name, v in values.items()
    }
    return scaled, {"target_mean": mean, "target_std": std, "target_log": log}
