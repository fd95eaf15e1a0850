"""What the rest of the package knows of a data set without loading it: its shapes
(`DataShapes`, which size a network and a task) and the featurizer contract (`Featurizer`).
No Lightning and no `datasets` here: predicting with a saved run imports this module and
not the data module (`experiments.data.fitted.load_fitted`)."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Any, Protocol

import torch

if TYPE_CHECKING:
    from datasets import Dataset


@dataclass(frozen=True)
class DataShapes:
    """What a network (and a task) needs to know about the data to size itself."""

    kind: str
    task: str
    in_shape: tuple[int, ...]
    num_outputs: int
    class_names: tuple[str, ...] | None
    # Regression targets are served as (f(y) - target_mean) / target_std, with f = log1p
    # when target_log, else identity; metrics undo it (see `original_units`).
    target_mean: float = 0.0
    target_std: float = 1.0
    # Token-id inputs (int64, padding id 0) come with the size of their vocabulary.
    vocab_size: int | None = None
    max_length: int | None = None
    target_log: bool = False
    # Tables: (column, first feature, end feature) of each one-hot encoded categorical
    # column, for models that take categories natively (`experiments.data.tables`).
    one_hot_groups: tuple[tuple[str, int, int], ...] = ()
    # The target's values per class where ``dataset.class_names`` renames them (labeled
    # data to score holds the values); None: ``class_names`` are the values.
    class_values: tuple[str, ...] | None = None

    @property
    def in_features(self) -> int:
        return prod(self.in_shape)

    def original_units(self, targets: torch.Tensor) -> torch.Tensor:
        """Regression targets or predictions as served -> the data's original units."""
        values = targets * self.target_std + self.target_mean
        return torch.expm1(values) if self.target_log else values


class Featurizer(Protocol):
    """Turns input columns into one tensor of rows: fitted on the train split, then applied
    to any rows (the other splits, or new inputs to predict).

    A featurizer is a dataclass: its init fields are its settings, part of the cache key of
    the tensors it makes. Implementations: `ImageFeatures`, `BagOfWords`, `TokenIds`,
    `TableFeatures`. Splits come as Hugging Face `Dataset`s, or as `TableRows` (one
    pyarrow table each) to a featurizer whose class sets ``columnar = True``: tables of many
    plain columns, which `datasets` handles in time proportional to their columns per step."""

    kind: str  # image | text | tabular
    # True: the featurizer fills or reports missing input cells itself; False: the data
    # module reports them (by split and row) before featurizing.
    handles_missing: bool

    def columns(self, available: list[str], target: str) -> list[str]: ...

    def fit_transform(self, train: Dataset) -> torch.Tensor:
        """Fit on the train split's input columns; return its features."""
        ...

    def transform(self, rows: Dataset, name: str) -> torch.Tensor:
        """Features of ``rows`` (named ``name`` in errors) with the fit of `fit_transform`."""
        ...

    def shape_info(self) -> dict[str, Any]:
        """What the fit tells models beyond the shape (`DataShapes` fields by name)."""
        ...

    def fitted_state(self) -> dict[str, Any]:
        """What the fit learned: scikit-learn objects, numpy arrays and plain values only
        (saved with `experiments.data.fitted`, which loads no other types)."""
        ...

    def restore(self, state: dict[str, Any]) -> None:
        """Take back a `fitted_state`: the featurizer is then fitted."""
        ...
