"""Checks of loaded rows that name the split and rows at fault."""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from datasets import Dataset

from experiments.config.errors import ConfigError
from experiments.data.columns import column_values

log = logging.getLogger(__name__)


def row_list(rows: Sequence[int] | np.ndarray, limit: int = 10) -> str:
    """``3, 7, 12`` (0-based), cut after ``limit`` with a count of the rest."""
    rows = [int(r) for r in rows]
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def empty_cells(split: Dataset, column: str) -> list[int]:
    """Rows whose ``column`` is missing: None, NaN, or a blank string."""
    values = column_values(split, column)
    return [
        row
        for row, value in enumerate(values)
        if value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    ]


def check_no_empty_cells(splits: dict[str, Dataset], columns: list[tuple[str, str]]) -> None:
    """Raise one `ConfigError` listing every column with empty cells, per split.

    Args:
        splits: the source's splits by name.
        columns: ``(config key, column name)`` pairs, e.g. ``("dataset.target_column", "label")``.
    """
    problems = [
        f"{key}: column '{column}' has empty cells in split '{name}', rows {row_list(rows)} "
        "(0-based); expected a value in every row"
        for key, column in columns
        for name, split in splits.items()
        if (rows := empty_cells(split, column))
    ]
    if problems:
        raise ConfigError(problems)


def warn_about_duplicate_columns(files: Sequence[Path], delimiter: str) -> None:
    """Log a warning for each delimited text file whose header names a column more than
    once: the reader keeps them all, the second ``a`` renamed ``a.1`` (pandas' rule), so a
    config that names ``a`` gets the first one without a word otherwise."""
    for path in files:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as file:
            header = next(csv.reader(file, delimiter=delimiter), [])
        counts = Counter(name.strip() for name in header)
        repeated = [name for name, count in counts.items() if count > 1]
        for name in repeated:
            copies = [f"'{name}.{i}'" for i in range(1, counts[name])]
            log.warning(
                "dataset.path: '%s' names column '%s' %d times; they are read as '%s', %s "
                "(in file order)",
                path, name, counts[name], name, ", ".join(copies),
            )  # fmt: skip
