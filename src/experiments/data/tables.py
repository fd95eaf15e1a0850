"""Tables to float tensors with scikit-learn's `ColumnTransformer`, fitted on the train split:
numeric columns imputed and scaled, categorical ones imputed and one-hot encoded; and the
one-hot blocks as category codes again, for estimators that split on categories natively."""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
from experiments.data.checks import row_list

log = logging.getLogger(__name__)
IMPUTE_STRATEGIES = ("mean", "median")
SHOWN_UNSEEN = 10  # unseen (and known) categories named in a warning
# A one-hot block of the features: (input column, first feature, end feature).
OneHotGroup = tuple[str, int, int]


@dataclass
class TableFeatures:
    """Featurizer for tabular columns.

    Args:
        feature_columns: the input columns; None takes every column but the target.
        categorical_columns: columns to one-hot encode; None detects them from the dtype
            (strings, booleans and class labels are categorical, numbers are not).
        impute: fill missing cells of numeric columns with the train ``mean`` or
            ``median`` (categorical ones with the most frequent train value); None makes a
            missing cell an error that names its rows. A column without any value in the
            train split is left out, with a warning.
        missing_indicator: with ``impute``, one more 0/1 feature per numeric column with
            missing train cells, 1 where the cell was imputed.
        scale: standardize numeric columns with train mean and std.
        min_frequency: categories seen fewer times in train are merged into one
            "infrequent" column. Categories never seen in train encode as all zeros (or as
            the infrequent column), with a warning naming them, once per column.
    """

    feature_columns: list[str] | None = None
    categorical_columns: list[str] | None = None
    impute: str | None = "median"
    missing_indicator: bool = False
    scale: bool = True
    min_frequency: int | None = None
    kind: ClassVar[str] = "tabular"
    columnar: ClassVar[bool] = True  # splits come as `TableRows`: wide tables in seconds
    # Fitted on the train split by `fit_transform`: its input columns, the categorical and
    # numeric ones it encodes, and the fitted transformer.
    inputs: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    categorical: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    numeric: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    transformer: ColumnTransformer | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # Columns whose unseen categories were warned about (`_warn_about_unseen`): once each.
    warned: set[str] = field(default_factory=set, init=False, repr=False, compare=False)

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
        inputs = set(chosen)  # sets, not lists: tables may have 100,000 columns
        strays = [c for c in self.categorical_columns or [] if c not in inputs]
        if strays:
            raise ConfigError(
                f"dataset.features.categorical_columns: {', '.join(strays)} not among the "
                f"input columns ({', '.join(chosen)})"
            )
        return chosen

    def fit_transform(self, train: Dataset) -> torch.Tensor:
        """Fit imputers, scalers and encoders on the train split (its columns are the
        inputs); its features.

        Raises:
            ConfigError: a numeric column holds text or infinite values (named, with rows).
        """
        self.inputs = train.column_names
        categorical = self.categorical_columns
        if categorical is None:
            features = train.features  # read once: each read copies every column's definition
            categorical = [c for c in self.inputs if _is_categorical(features[c])]
        frame = _frame(train, categorical)
        empty = _empty_columns(frame) if self.handles_missing else set()
        self.categorical = [c for c in categorical if c not in empty]
        taken = set(categorical)
        self.numeric = [c for c in self.inputs if c not in taken and c not in empty]
        _check_numbers(frame, self.numeric, "train", self.handles_missing)
        _warn_about_unencodable(frame, self.categorical)
        self.transformer = self._transformer()
        try:
            self.transformer.fit(_by_position(frame))
        except ValueError as error:  # e.g. mixed numbers and text in one categorical column
            raise ConfigError(f"dataset.features: cannot encode the table ({error})") from error
        return self._encode(frame, "train")

    def _transformer(self) -> ColumnTransformer:
        """The transformer of the input frame with its columns by position (`_by_position`)."""
        position = {column: i for i, column in enumerate(self.inputs)}
        numeric_steps = (
            [SimpleImputer(strategy=self.impute, add_indicator=self.missing_indicator)]
            if self.impute
            else []
        )
        numeric_steps += [StandardScaler()] if self.scale else []
        categorical_steps = [SimpleImputer(strategy="most_frequent")] if self.impute else []
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist" if self.min_frequency else "ignore",
            min_frequency=self.min_frequency,
            sparse_output=False,
            dtype=np.float32,
        )
        return ColumnTransformer(
            [
                (
                    "numeric",
                    make_pipeline(*numeric_steps) if numeric_steps else "passthrough",
                    np.array([position[c] for c in self.numeric], dtype=np.int64),
                ),
                (
                    "categorical",
                    make_pipeline(*categorical_steps, encoder),
                    np.array([position[c] for c in self.categorical], dtype=np.int64),
                ),
            ],
            sparse_threshold=0.0,
        )

    def fitted_state(self) -> dict[str, Any]:
        """What `fit_transform` learned (see `experiments.data.fitted`); column names as
        numpy arrays, which skops stores as one array each (a list as one node per name:
        42 s for 100,000 names)."""
        return {
            "inputs": np.array(self.inputs, dtype=str),
            "categorical": np.array(self.categorical, dtype=str),
            "numeric": np.array(self.numeric, dtype=str),
            "transformer": self.transformer,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.inputs = [str(c) for c in state["inputs"]]
        self.categorical = [str(c) for c in state["categorical"]]
        taken = set(self.categorical)
        # states saved before empty columns were left out hold no "numeric": every other input
        numeric = state.get("numeric", [c for c in self.inputs if c not in taken])
        self.numeric = [str(c) for c in numeric]
        self.transformer = state["transformer"]

    def transform(self, rows: Dataset, name: str) -> torch.Tensor:
        """Features of any rows (a split, or a new table) with the train fit; other columns
        are ignored.

        Raises:
            ConfigError: an input column is missing, or a numeric one holds text, infinite
                values, or (without ``impute``) empty cells.
        """
        available = set(rows.column_names)
        missing = [c for c in self.inputs if c not in available]
        if missing:
            raise ConfigError(
                f"dataset.features: split '{name}' has no column {', '.join(missing)}; the "
                f"inputs are {', '.join(self.inputs)}"
            )
        frame = _frame(rows.select_columns(self.inputs), self.categorical)
        _check_numbers(frame, self.numeric, name, self.handles_missing)
        self._warn_about_unseen(frame, name)
        return self._encode(frame, name)

    def _warn_about_unseen(self, frame: pd.DataFrame, name: str) -> None:
        """Log, once per column, the categories of ``frame`` the train split did not have:
        they encode as if the column were empty (all zeros), which changes predictions."""
        if not self.categorical:
            return
        encoder = self.transformer.named_transformers_["categorical"][-1]
        for column, known in zip(self.categorical, encoder.categories_, strict=True):
            if column in self.warned:
                continue
            values = frame[column].dropna().unique()
            unseen = sorted(str(v) for v in values[~np.isin(values, known)])
            if unseen:
                self.warned.add(column)
                shown = ", ".join(repr(v) for v in unseen[:SHOWN_UNSEEN])
                more = (
                    f" and {len(unseen) - SHOWN_UNSEEN} more" if len(unseen) > SHOWN_UNSEEN else ""
                )
                log.warning(
                    "dataset.features: column '%s' in split '%s' has %d value%s the train split "
                    "did not have (%s%s), encoded as no known category; known: %s",
                    column, name, len(unseen), "s" if len(unseen) > 1 else "", shown, more,
                    ", ".join(map(str, known[:SHOWN_UNSEEN])),
                )  # fmt: skip

    def _encode(self, frame: pd.DataFrame, name: str) -> torch.Tensor:
        # transformers fitted before columns went by position (older runs) take names
        named = hasattr(self.transformer, "feature_names_in_")
        try:
            values = self.transformer.transform(frame if named else _by_position(frame))
        except ValueError as error:  # e.g. a category of another type than in train
            raise ConfigError(
                f"dataset.features: cannot encode split '{name}' ({error})"
            ) from error
        return torch.from_numpy(np.asarray(values, dtype=np.float32))

    def shape_info(self) -> dict[str, Any]:
        """``one_hot_groups``: where each categorical column's one-hot block lies in the
        features (`OneHotGroup` each, in order), for models that take categories natively."""
        return {"one_hot_groups": self._one_hot_groups()}

    def _one_hot_groups(self) -> list[OneHotGroup]:
        if not self.categorical:
            return []
        encoder = self.transformer.named_transformers_["categorical"][-1]
        start = self.transformer.output_indices_["categorical"].start
        # with min_frequency, the rare categories of a column share one feature
        merged = (
            encoder.infrequent_categories_ if self.min_frequency else [None] * len(self.categorical)
        )
        groups = []
        for column, categories, rare in zip(
            self.categorical, encoder.categories_, merged, strict=True
        ):
            width = len(categories) - (len(rare) - 1 if rare is not None else 0)
            groups.append((column, start, start + width))
            start += width
        return groups


def category_codes(features: np.ndarray, groups: Sequence[OneHotGroup]) -> pd.DataFrame:
    """``features`` with each one-hot block as one column of pandas categories, for
    estimators that read categorical columns from the dtype (scikit-learn's
    HistGradientBoosting with ``categorical_features="from_dtype"``).

    Args:
        features: rows of table features (``TableFeatures`` output).
        groups: the blocks (``DataShapes.one_hot_groups``).

    Returns:
        The numeric features as they are, then one column per block: the position of its
        hot feature (categories ``0 .. width - 1``, the encoder's sorted order), missing
        where none is hot (a category never seen in train). Column ``x<j>`` holds feature
        ``j`` or the block starting there: names only have to agree between fit and predict.
    """
    in_block = np.zeros(features.shape[1], dtype=bool)
    for _, start, stop in groups:
        in_block[start:stop] = True
    numeric = np.flatnonzero(~in_block)
    columns = {f"x{j}": features[:, j] for j in numeric}
    for _, start, stop in groups:
        block = features[:, start:stop]
        codes = np.where(block.any(axis=1), block.argmax(axis=1), -1)
        columns[f"x{start}"] = pd.Categorical.from_codes(codes, categories=range(stop - start))
    return pd.DataFrame(columns)


def _empty_columns(frame: pd.DataFrame) -> set[str]:
    """Columns without a value in the train split, reported: imputing has nothing to go on,
    and a constant column teaches a model nothing."""
    empty = frame.columns[frame.isna().all().to_numpy()].tolist()
    if empty:
        log.warning(
            "dataset.features: column%s %s ha%s no value in the train split; left out",
            "s" if len(empty) > 1 else "", ", ".join(f"'{c}'" for c in empty),
            "ve" if len(empty) > 1 else "s",
        )  # fmt: skip
    return set(empty)


def _check_numbers(
    frame: pd.DataFrame, numeric: list[str], split: str, missing_allowed: bool
) -> None:
    """Raise one `ConfigError` naming every numeric column that holds text, infinite values,
    or (when ``missing_allowed`` is false) empty cells, with its rows."""
    problems = []
    numbers = []
    for column, dtype in zip(numeric, frame.dtypes[numeric].tolist(), strict=True):
        if pd.api.types.is_numeric_dtype(dtype):
            numbers.append(column)
            continue
        values = frame[column]
        text = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        rows = np.flatnonzero(text.to_numpy())
        if not len(rows):  # numbers in a column of objects (a loader's list with None)
            numbers.append(column)
            continue
        problems.append(
            f"dataset.features: column '{column}' holds text in split '{split}' "
            f"({values.iloc[rows[0]]!r}, rows {row_list(rows)}, 0-based); expected numbers, "
            "or the column in dataset.features.categorical_columns"
        )
    values = frame[numbers].to_numpy(dtype=np.float64)
    faults = {"infinite values": np.isinf(values)}
    if not missing_allowed:
        faults["empty cells"] = np.isnan(values)
    for what, found in faults.items():
        for index in np.flatnonzero(found.any(axis=0)):
            problems.append(
                f"dataset.features: column '{numbers[index]}' has {what} in split '{split}', "
                f"rows {row_list(np.flatnonzero(found[:, index]))} (0-based); expected "
                + ("finite numbers" if what == "infinite values" else "a value in every row")
            )
    if problems:
        raise ConfigError(problems)


def _warn_about_unencodable(frame: pd.DataFrame, categorical: list[str]) -> None:
    """Log a warning for categorical columns that one-hot encoding cannot use: an id (every
    train value distinct) or free text (most values distinct, several words long). They are
    kept, not dropped: the warning says how to leave them out."""
    rows = len(frame)
    if rows < 10:  # too few rows to tell an id from a small table
        return
    for column in categorical:
        values = frame[column].dropna()
        distinct = values.nunique()
        if distinct <= 0.5 * rows:  # neither (counting words is the slow part: skip it)
            continue
        words = values.str.split().str.len().mean()
        if words >= 3:
            what = f"looks like free text ({distinct} distinct values of ~{words:.0f} words)"
        elif distinct == rows:
            what = f"looks like an id (all {rows} train values differ)"
        else:
            continue
        others = [c for c in frame.columns if c != column]
        log.warning(
            "dataset.features: column '%s' %s; one-hot encoding it teaches a model nothing "
            "about new rows. Leave it out with dataset.features.feature_columns=[%s]%s",
            column, what, ",".join(others),
            " (or use dataset/features=tfidf for text)" if "text" in what else "",
        )  # fmt: skip


def _is_categorical(feature: Any) -> bool:
    if isinstance(feature, ClassLabel):
        return True
    dtype = getattr(feature, "dtype", "")
    return not (dtype.startswith(("int", "uint", "float")) or dtype == "double")


def _by_position(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its columns labelled 0, 1, ...: scikit-learn looks up each column named
    by the `ColumnTransformer` with ``list.index`` (52 s for 100,000 names) and keeps copies
    of all names in the fitted objects; positions are looked up at once and not kept."""
    return frame.set_axis(range(frame.shape[1]), axis=1)


def _frame(split: Dataset, categorical: list[str]) -> pd.DataFrame:
    """The split as pandas; categorical cells as strings (NaN where missing), so that one
    encoder sees one type per column."""
    frame = split.to_pandas()
    if categorical:
        cells = frame[categorical]
        frame[categorical] = cells.astype(str).astype(object).where(cells.notna(), np.nan)
    return frame
