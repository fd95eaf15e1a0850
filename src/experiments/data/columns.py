"""One column of a loaded split as a Python list, read in one slice."""

from __future__ import annotations

from typing import Any

from datasets import Dataset


def column_values(split: Dataset, column: str) -> list[Any]:
    """The values of ``column`` in row order.

    Since `datasets` 4, ``split[column]`` is a lazy column that decodes one row per step
    when iterated: a column of 24,421 strings (half of adult's rows) took 0.46 s that way
    and 0.04 s in one slice (``[:]``). With `datasets` 3 the same expression copies a list.
    """
    return split[column][:]
