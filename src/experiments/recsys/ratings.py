"""Ratings tables: read one (CSV or parquet), check it, split it, index it.

A ratings table has one row per (user, item) interaction: a user id, an item id, and
optionally a rating (explicit feedback) and a timestamp. Without a rating column every row
is an interaction (implicit feedback: clicks, purchases).
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.config.errors import ConfigError
from experiments.data.checks import row_list

log = logging.getLogger(__name__)
SPLITS = ("random", "by_time", "leave_last_out")
DUPLICATES = ("last", "mean", "error")
# The standard columns of a checked table, whatever the source's names.
USER, ITEM, RATING, TIME = "user", "item", "rating", "timestamp"


def _did_you_mean(name: str, available: list[str]) -> str:
    close = [c for c in available if c.lower() == name.lower()]
    close = close or difflib.get_close_matches(name, available, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def read_table(path: Path) -> pd.DataFrame:
    """The rows of a ``.csv``/``.tsv``/``.parquet`` file.

    Raises:
        ConfigError: no such file, or a format other than those.
    """
    if not path.is_file():
        raise ConfigError(f"dataset.path: no file {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".csv", ".tsv"):
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    raise ConfigError(f"dataset.path: {path} is a '{suffix}' file; expected .csv, .tsv or .parquet")


def select_columns(
    table: pd.DataFrame,
    source: str,
    user_column: str,
    item_column: str,
    rating_column: str | None,
    timestamp_column: str | None,
) -> pd.DataFrame:
    """The table with its columns renamed to ``user``, ``item``, ``rating``, ``timestamp``
    (those configured; the others dropped).

    Raises:
        ConfigError: every configured column that the table lacks, with the columns it has.
    """
    available = [str(c) for c in table.columns]
    wanted = {
        "user_column": (user_column, USER),
        "item_column": (item_column, ITEM),
        "rating_column": (rating_column, RATING),
        "timestamp_column": (timestamp_column, TIME),
    }
    problems = [
        f"dataset.{key}: no column '{column}' in {source}{_did_you_mean(column, available)}; "
        f"its columns are {', '.join(available)}"
        for key, (column, _) in wanted.items()
        if column is not None and column not in available
    ]
    if problems:
        raise ConfigError(problems)
    renames = {column: name for column, name in wanted.values() if column is not None}
    return table[list(renames)].rename(columns=renames)


def _check_ids(values: pd.Series, key: str) -> list[str]:
    """Problems of an id column: missing cells, or values that are not integers or strings."""
    problems = []
    missing = np.flatnonzero(values.isna().to_numpy())
    if len(missing):
        problems.append(f"dataset.{key}: empty ids in rows {row_list(missing)} (0-based)")
    present = values.dropna()
    if pd.api.types.is_float_dtype(present) and not (present == present.round()).all():
        bad = np.flatnonzero((values.notna() & (values != values.round())).to_numpy())
        problems.append(
            f"dataset.{key}: ids must be integers or strings, rows {row_list(bad)} (0-based) "
            f"hold numbers such as {values.iloc[bad[0]]}"
        )
    elif present.dtype == object:
        kinds = present.map(lambda v: type(v).__name__)
        if kinds.nunique() > 1:
            odd = kinds.value_counts().index[-1]
            rows = np.flatnonzero((values.map(lambda v: type(v).__name__) == odd).to_numpy())
            problems.append(
                f"dataset.{key}: ids of mixed types ({', '.join(sorted(kinds.unique()))}); "
                f"rows {row_list(rows)} (0-based) hold {odd}s; expected one type"
            )
    elif pd.api.types.is_bool_dtype(present):
        problems.append(f"dataset.{key}: ids are booleans; expected integers or strings")
    return problems


def check_ratings(
    table: pd.DataFrame,
    rating_scale: tuple[float, float] | None,
    duplicates: str,
) -> pd.DataFrame:
    """The table with ids checked, ratings checked against ``rating_scale`` and duplicate
    (user, item) rows resolved by ``duplicates``.

    Args:
        table: columns ``user``, ``item`` and optionally ``rating``, ``timestamp``.
        rating_scale: ``(lowest, highest)`` allowed rating, or None for no check.
        duplicates: ``last`` keeps the last row of each (user, item) pair (by timestamp when
            there is one, else by row order); ``mean`` averages its ratings; ``error`` refuses.

    Raises:
        ConfigError: every problem found, naming the rows.
    """
    problems = _check_ids(table[USER], "user_column") + _check_ids(table[ITEM], "item_column")
    if RATING in table:
        ratings = pd.to_numeric(table[RATING], errors="coerce")
        bad = np.flatnonzero(ratings.isna().to_numpy())
        if len(bad):
            problems.append(
                f"dataset.rating_column: rows {row_list(bad)} (0-based) hold no number "
                f"(e.g. {table[RATING].iloc[bad[0]]!r})"
            )
        elif rating_scale is not None:
            low, high = rating_scale
            outside = np.flatnonzero(((ratings < low) | (ratings > high)).to_numpy())
            if len(outside):
                problems.append(
                    f"dataset.rating_column: {len(outside)} ratings outside the declared scale "
                    f"dataset.rating_scale=[{low}, {high}], rows {row_list(outside)} (0-based), "
                    f"e.g. {ratings.iloc[outside[0]]}; fix the data or the scale"
                )
        table = table.assign(**{RATING: ratings})
    if problems:
        raise ConfigError(problems)
    return _resolve_duplicates(table, duplicates)


def _resolve_duplicates(table: pd.DataFrame, duplicates: str) -> pd.DataFrame:
    repeated = table.duplicated([USER, ITEM], keep=False)
    count = int(repeated.sum())
    if not count:
        return table
    pairs = int(table[repeated].groupby([USER, ITEM]).ngroups)
    if duplicates == "error":
        rows = np.flatnonzero(repeated.to_numpy())
        raise ConfigError(
            f"dataset: {count} rows repeat {pairs} (user, item) pairs, rows {row_list(rows)} "
            "(0-based); dataset.duplicates=error refuses them (last: keep the latest rating, "
            "mean: average them)"
        )
    if duplicates == "mean" and RATING in table:
        first = table.drop_duplicates([USER, ITEM], keep="first").set_index([USER, ITEM])
        first[RATING] = table.groupby([USER, ITEM])[RATING].mean()
        kept = first.reset_index()[table.columns]
    else:
        order = table.sort_values(TIME, kind="stable") if TIME in table else table
        kept = order.drop_duplicates([USER, ITEM], keep="last").sort_index()
    how = "averaged" if duplicates == "mean" and RATING in table else "kept the last"
    by = " by timestamp" if how == "kept the last" and TIME in table else ""
    log.warning(
        "dataset: %d rows repeat %d (user, item) pairs; %s%s (dataset.duplicates=%s): %d rows left",
        count, pairs, how, by, duplicates, len(kept),
    )  # fmt: skip
    return kept.reset_index(drop=True)


def split_ratings(
    table: pd.DataFrame, split: str, test_size: float, val_size: float, seed: int
) -> dict[str, pd.DataFrame]:
    """Train, validation and test rows of a checked table.

    - ``random``: rows in the order of ``numpy.random.default_rng(seed).permutation(n)``; the
      first ``int(test_size * n)`` are test (scikit-surprise's reference split of
      MovieLens uses exactly this with seed 0). Validation: the first ``int(val_size * m)``
      of the ``m`` remaining rows in the order of ``default_rng(seed + 1).permutation(m)``.
    - ``by_time``: the latest ``test_size`` of all rows by timestamp are test, the latest
      ``val_size`` of the rest validation: the model predicts the future from the past.
    - ``leave_last_out``: each user's latest rating (by timestamp, then row order) is test,
      the one before validation (none when ``val_size`` is 0); the rest trains. Each
      user needs 3 ratings (2 without validation).

    ``val_size`` is a fraction of what test leaves (0: no validation split).

    Raises:
        ConfigError: an unknown split, no timestamp where one is needed, an empty split, or
            users whose training history would be empty.
    """
    if split != "random" and TIME not in table:
        raise ConfigError(
            f"dataset.split={split} orders rows by time, but no dataset.timestamp_column is "
            "set; set it, or use dataset.split=random"
        )
    if split == "random":
        order = np.random.default_rng(seed).permutation(len(table))
        n_test = int(test_size * len(table))
        test, rest = table.iloc[order[:n_test]], table.iloc[order[n_test:]]
        rest_order = np.random.default_rng(seed + 1).permutation(len(rest))
        n_val = int(val_size * len(rest))
        splits = {
            "train": rest.iloc[rest_order[n_val:]],
            "val": rest.iloc[rest_order[:n_val]],
            "test": test,
        }
    elif split == "by_time":
        ordered = table.sort_values(TIME, kind="stable")
        n_test = int(test_size * len(ordered))
        rest, test = ordered.iloc[: len(ordered) - n_test], ordered.iloc[len(ordered) - n_test :]
        n_val = int(val_size * len(rest))
        splits = {
            "train": rest.iloc[: len(rest) - n_val],
            "val": rest.iloc[len(rest) - n_val :],
            "test": test,
        }
    else:
        splits = _leave_last_out(table, with_val=val_size > 0)
    empty = [
        name
        for name, rows in splits.items()
        if len(rows) == 0 and not (name == "val" and val_size == 0)
    ]
    if empty:
        raise ConfigError(
            f"dataset.split={split}: split {', '.join(empty)} has no rows "
            f"({', '.join(f'{n}={len(r)}' for n, r in splits.items())}); expected rows in each"
        )
    return {name: rows.reset_index(drop=True) for name, rows in splits.items()}


def _leave_last_out(table: pd.DataFrame, with_val: bool) -> dict[str, pd.DataFrame]:
    needed = 3 if with_val else 2
    counts = table.groupby(USER).size()
    short = counts[counts < needed]
    if len(short):
        shown = ", ".join(f"{u!r} ({n})" for u, n in short.head(5).items())
        more = f" and {len(short) - 5} more" if len(short) > 5 else ""
        raise ConfigError(
            f"dataset.split=leave_last_out: {len(short)} users would have an empty training "
            f"history; each needs {needed} ratings (test, {'validation, ' if with_val else ''}"
            f"train), these have fewer: {shown}{more}; drop them or use dataset.split=random"
        )
    ordered = table.sort_values([USER, TIME], kind="stable")
    from_end = ordered.groupby(USER).cumcount(ascending=False).to_numpy()
    splits = {"test": ordered[from_end == 0]}
    splits["val"] = ordered[from_end == 1] if with_val else ordered.iloc[:0]
    splits["train"] = ordered[from_end >= (2 if with_val else 1)]
    return {name: splits[name] for name in ("train", "val", "test")}


@dataclass(frozen=True)
class IdIndex:
    """Contiguous indices of the ids seen in training: index 0 stands for any id that training
    never saw (a cold-start user or item), the known ids are 1..n in sorted order."""

    ids: np.ndarray  # ids[k - 1] is the id of index k

    @classmethod
    def of(cls, values: pd.Series) -> IdIndex:
        return cls(np.sort(values.unique()))

    def __len__(self) -> int:
        """Indices, the unknown one included."""
        return len(self.ids) + 1

    def indices(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """The index of each id; 0 for ids that training never saw."""
        values = np.asarray(values)
        found = np.searchsorted(self.ids, values)
        found = np.minimum(found, len(self.ids) - 1)
        known = self.ids[found] == values
        return np.where(known, found + 1, 0).astype(np.int64)

    def id_of(self, index: int) -> object:
        value = self.ids[index - 1]
        return value.item() if hasattr(value, "item") else value
