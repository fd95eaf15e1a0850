"""A table's rows as one pyarrow table, for featurizers of plain columns (`TableFeatures`).

`datasets` builds Python objects for every column whenever it makes a new `Dataset` (a
split, a selection of columns, a column read): at 100,000 columns 3 to 7 s each, and a load
makes about fifteen. `TableRows` holds the pyarrow table and the source's column definitions,
shared and never copied, and offers the few methods of `Dataset` that the data module and
`TableFeatures` use, each one pyarrow call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from datasets import Dataset, Features


class TableRows:
    """Rows of a table: a pyarrow table and the column definitions of its source.

    Args:
        table: the rows.
        features: the source's column definitions (a `ClassLabel` says a column holds
            class indices); it may define more columns than ``table`` holds.
    """

    def __init__(self, table: pa.Table, features: Features) -> None:
        self.table = table
        self.features = features

    @classmethod
    def of(cls, split: Dataset) -> TableRows:
        """The rows of a loaded split, in its order."""
        return cls(split.with_format("arrow")[:], split.features)

    @property
    def column_names(self) -> list[str]:
        return self.table.column_names

    def __len__(self) -> int:
        return self.table.num_rows

    def __getitem__(self, column: str) -> list[Any]:
        """The values of ``column`` in row order (class labels as their indices)."""
        return self.table.column(column).to_pylist()

    def select(self, indices: Sequence[int] | np.ndarray) -> TableRows:
        """The rows at ``indices``, in that order."""
        return TableRows(self.table.take(np.asarray(indices, dtype=np.int64)), self.features)

    def select_columns(self, columns: list[str]) -> TableRows:
        return TableRows(self.table.select(columns), self.features)

    def to_pandas(self) -> pd.DataFrame:
        return self.table.to_pandas()
