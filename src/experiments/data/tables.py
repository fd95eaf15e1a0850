"""Tables to float tensors with scikit-learn's `ColumnTransformer`, fitted on the train split:
numeric columns imputed and scaled, categorical ones imputed and one-hot encoded."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from datasets import ClassLabel, Dataset
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from experiments.config.errors import ConfigError

log = logging.getLogger(__name__)
IMPUTE_STRATEGIES = ("mean", "median")


@dataclass
class TableFeatures:
    """Featurizer for tabular columns.

    Args:
        feature_columns: the input columns; None takes every column but the target.
        categorical_columns: columns to one-hot encode; None detects them from the dtype
            (strings, booleans and class labels are categorical, numbers are not).
        impute: fill missing cells of numeric columns with the train ``mean`` or
            ``median`` (categorical ones with the most frequent train value); None makes a
            missing cell an error that names its rows.
        scale: standardize numeric columns with train mean and std.
        min_frequency: categories seen fewer times in train are merged into one
            "infrequent" column. Categories never seen in train encode as all zeros.
    """

    feature_columns: list[str] | None = None
    categorical_columns: list[str] | None = None
    impute: str | None = "median"
    scale: bool = True
    min_frequency: int | None = None
    kind: ClassVar[str] = "tabular"
    # Fitted on the train split by `fit_transform`: its input and categorical columns, and
    # the fitted transformer.
    inputs: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    categorical: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    transformer: ColumnTransformer | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for key in ("feature_columns", "categorical_columns"):
            if getattr(self, key) is not None:
                setattr(self, key, [str(column) for column in getattr(self, key)])
        if self.impute is not None and self.impute not in IMPUTE_STRATEGIES:
            raise ConfigError(
                f"dataset.features.impute: '{self.impute}' is not one of "
                f"{', '.join(IMPUTE_STRATEGIES)} or null"
            )

    @property
    def handles_missing(self) -> bool:
        return self.impute is not None

    def columns(self, available: list[str], target: str) -> list[str]:
        """The input columns.

        Raises:
            ConfigError: ``categorical_columns`` names a column that is not an input.
        """
        chosen = self.feature_columns or [c for c in available if c != target]
        strays = [c for c in self.categorical_columns or [] if c not in chosen]
        if strays:
            raise ConfigError(
                f"dataset.features.categorical_columns: {', '.join(strays)} not among the "
                f"input columns ({', '.join(chosen)})"
            )
        return chosen

    def fit_transform(self, train: Dataset) -> torch.Tensor:
        """Fit imputers, scalers and encoders on the train split (its columns are the
        inputs); its features."""
        self.inputs = train.column_names
        self.categorical = self.categorical_columns
        if self.categorical is None:
            self.categorical = [c for c in self.inputs if _is_categorical(train, c)]
        _warn_about_unencodable(train, self.categorical)
        numeric = [c for c in self.inputs if c not in self.categorical]
        numeric_steps = [SimpleImputer(strategy=self.impute)] if self.impute else []
        numeric_steps += [StandardScaler()] if self.scale else []
        categorical_steps = [SimpleImputer(strategy="most_frequent")] if self.impute else []
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist" if self.min_frequency else "ignore",
            min_frequency=self.min_frequency,
            sparse_output=False,
            dtype=np.float32,
        )
        self.transformer = ColumnTransformer(
            [
                (
                    "numeric",
                    make_pipeline(*numeric_steps) if numeric_steps else "passthrough",
                    numeric,
                ),
                ("categorical", make_pipeline(*categorical_steps, encoder), self.categorical),
            ],
            sparse_threshold=0.0,
        )
        try:
            self.transformer.fit(_frame(train, self.categorical))
        except ValueError as error:  # e.g. a "numeric" column of text given as categorical=[]
            raise ConfigError(f"dataset.features: cannot encode the table ({error})") from error
        return self.transform(train, "train")

    def fitted_state(self) -> dict[str, Any]:
        """What `fit_transform` learned (see `experiments.data.fitted`)."""
        return {
            "inputs": self.inputs,
            "categorical": self.categorical,
            "transformer": self.transformer,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.inputs, self.categorical = list(state["inputs"]), list(state["categorical"])
        self.transformer = state["transformer"]

    def transform(self, rows: Dataset, name: str) -> torch.Tensor:
        """Features of any rows (a split, or a new table) with the train fit; other columns
        are ignored.

        Raises:
            ConfigError: an input column is missing, or a numeric one holds text.
        """
        missing = [c for c in self.inputs if c not in rows.column_names]
        if missing:
            raise ConfigError(
                f"dataset.features: split '{name}' has no column {', '.join(missing)}; the "
                f"inputs are {', '.join(self.inputs)}"
            )
        frame = _frame(rows.select_columns(self.inputs), self.categorical)
        try:
            values = self.transformer.transform(frame)
        except ValueError as error:  # e.g. text in a numeric column
            raise ConfigError(
                f"dataset.features: cannot encode split '{name}' ({error})"
            ) from error
        return torch.from_numpy(np.asarray(values, dtype=np.float32))

    def shape_info(self) -> dict[str, int]:
        return {}


def _warn_about_unencodable(train: Dataset, categorical: list[str]) -> None:
    """Log a warning for categorical columns that one-hot encoding cannot use: an id (every
    train value distinct) or free text (most values distinct, several words long). They are
    kept, not dropped: the warning says how to leave them out."""
    rows = len(train)
    if rows < 10:  # too few rows to tell an id from a small table
        return
    for column in categorical:
        values = [str(v) for v in train[column] if v is not None]
        distinct = len(set(values))
        words = sum(len(v.split()) for v in values) / max(len(values), 1)
        if distinct > 0.5 * rows and words >= 3:
            what = f"looks like free text ({distinct} distinct values of ~{words:.0f} words)"
        elif distinct == rows:
            what = f"looks like an id (all {rows} train values differ)"
        else:
            continue
        others = [c for c in train.column_names if c != column]
        log.warning(
            "dataset.features: column '%s' %s; one-hot encoding it teaches a model nothing "
            "about new rows. Leave it out with dataset.features.feature_columns=[%s]%s",
            column, what, ",".join(others),
            " (or use dataset/features=tfidf for text)" if "text" in what else "",
        )  # fmt: skip


def _is_categorical(split: Dataset, column: str) -> bool:
    feature = split.features[column]
    if isinstance(feature, ClassLabel):
        return True
    dtype = getattr(feature, "dtype", "")
    return not (dtype.startswith(("int", "uint", "float")) or dtype == "double")


def _frame(split: Dataset, categorical: list[str]) -> pd.DataFrame:
    """The split as pandas; categorical cells as strings (NaN where missing), so that one
    encoder sees one type per column."""
    frame = split.to_pandas()
    for column in categorical:
        cells = [np.nan if pd.isna(value) else str(value) for value in frame[column]]
        frame[column] = pd.Series(cells, index=frame.index, dtype=object)
    return frame
