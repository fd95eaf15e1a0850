"""Small data files written by the tests themselves, and a data-module factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from experiments.data import DataModule, TableFeatures


@pytest.fixture
def make_data(tmp_path: Path) -> Callable[..., DataModule]:
    """A `DataModule` over local files, its cache in ``tmp_path``; keywords override."""

    def make(**settings) -> DataModule:
        defaults = {
            "name": "test", "source": "csv", "features": TableFeatures(),
            "task": "classification", "target_column": "label",
            "cache_dir": str(tmp_path / "cache"), "val_size": 0.25, "test_size": 0.25,
        }  # fmt: skip
        return DataModule(**(defaults | settings))

    return make


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def table_csv(path: Path, rows: int = 40) -> Path:
    """A table with a numeric, a categorical and a label column; label = size > 20."""
    lines = ["size,colour,label"]
    lines += [
        f"{i},{'red' if i % 2 else 'blue'},{'big' if i > rows // 2 else 'small'}"
        for i in range(rows)
    ]
    return write(path, "\n".join(lines) + "\n")
