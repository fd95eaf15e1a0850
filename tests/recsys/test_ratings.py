"""Ratings tables: the reference split, the per-user splits, id indices, and bad input as one
message naming the column, rows and what was expected."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.config.errors import ConfigError
from experiments.recsys import RatingsDataModule
from experiments.recsys.ratings import IdIndex, check_ratings, split_ratings


def low_rank_ratings(
    users: int = 60, items: int = 40, factors: int = 3, seed: int = 0
) -> pd.DataFrame:
    """Ratings 3 + user bias + item bias + p_u . q_i + small noise, for half of the pairs,
    with timestamps: a table whose structure a factorization can recover."""
    rng = np.random.default_rng(seed)
    p = rng.normal(0, 0.8, (users, factors))
    q = rng.normal(0, 0.8, (items, factors))
    full = 3 + rng.normal(0, 0.3, (users, 1)) + rng.normal(0, 0.3, (1, items)) + p @ q.T
    user, item = np.nonzero(rng.random((users, items)) < 0.5)
    rating = full[user, item] + rng.normal(0, 0.1, len(user))
    return pd.DataFrame(
        {
            "uid": user + 100,
            "iid": item + 1000,
            "stars": rating.round(2),
            "ts": rng.permutation(len(user)),
        }
    )


def write_ratings(folder: Path, table: pd.DataFrame | None = None, name: str = "r.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    (low_rank_ratings() if table is None else table).to_csv(path, index=False)
    return path


def module(path: Path, **settings) -> RatingsDataModule:
    columns = {
        "user_column": "uid",
        "item_column": "iid",
        "rating_column": "stars",
        "timestamp_column": "ts",
    }
    return RatingsDataModule(name="r", path=str(path), **(columns | settings))


def standard(table: pd.DataFrame) -> pd.DataFrame:
    return table.rename(
        columns={"uid": "user", "iid": "item", "stars": "rating", "ts": "timestamp"}
    )


def test_random_split_is_the_reference_permutation() -> None:
    table = standard(low_rank_ratings())
    splits = split_ratings(table, "random", test_size=0.2, val_size=0.0, seed=0)
    order = np.random.default_rng(0).permutation(len(table))
    expected = table.iloc[order[: int(0.2 * len(table))]].reset_index(drop=True)
    pd.testing.assert_frame_equal(splits["test"], expected)
    assert len(splits["train"]) + len(splits["test"]) == len(table) and len(splits["val"]) == 0


def test_leave_last_out_holds_out_each_users_latest() -> None:
    table = standard(low_rank_ratings())
    splits = split_ratings(table, "leave_last_out", test_size=0.2, val_size=0.1, seed=0)
    latest = table.sort_values("timestamp").groupby("user").tail(1)
    assert set(zip(splits["test"].user, splits["test"].item, strict=True)) == set(
        zip(latest.user, latest.item, strict=True)
    )
    assert splits["val"].user.is_unique and len(splits["val"]) == table.user.nunique()
    assert (
        splits["train"].groupby("user").timestamp.max() < splits["val"].set_index("user").timestamp
    ).all()


def test_by_time_tests_on_the_future() -> None:
    table = standard(low_rank_ratings())
    splits = split_ratings(table, "by_time", test_size=0.2, val_size=0.1, seed=0)
    assert splits["train"].timestamp.max() < splits["val"].timestamp.min()
    assert splits["val"].timestamp.max() < splits["test"].timestamp.min()


def test_ids_unseen_in_training_map_to_index_zero() -> None:
    index = IdIndex.of(pd.Series([30, 10, 20, 10]))
    assert len(index) == 4
    assert index.indices(np.array([10, 20, 30, 99, 5])).tolist() == [1, 2, 3, 0, 0]
    assert index.id_of(3) == 30


def test_ranking_rows_hold_the_held_out_item_and_unseen_negatives(tmp_path: Path) -> None:
    data = module(
        write_ratings(tmp_path), split="leave_last_out", objective="ranking", eval_negatives=10
    )
    shapes = data.load()
    rows, _ = data.tensors["test"]
    assert shapes.objective == "ranking" and rows.shape == (60, 12)
    for user, positive, *negatives in rows.tolist():
        assert positive not in negatives and not set(negatives) & set(data.rated[user].tolist())


def test_duplicates_keep_the_latest_and_say_so(caplog: pytest.LogCaptureFixture) -> None:
    table = pd.DataFrame(
        {"user": [1, 1, 2], "item": [5, 5, 5], "rating": [4.0, 2.0, 3.0], "timestamp": [20, 10, 5]}
    )
    with caplog.at_level(logging.WARNING):
        kept = check_ratings(table, (1, 5), "last")
    assert kept.rating.tolist() == [4.0, 3.0]
    assert "2 rows repeat 1 (user, item) pairs; kept the last by timestamp" in caplog.text
    assert check_ratings(table, (1, 5), "mean").rating.tolist() == [3.0, 3.0]


@pytest.mark.parametrize(
    ("change", "settings", "message"),
    [
        (lambda t: t.rename(columns={"uid": "UID"}), {}, "dataset.user_column: no column 'uid' in r.csv (did you mean 'UID'?); its columns are UID, iid, stars, ts"),
        (lambda t: t.assign(stars=t.stars.where(t.index != 3, 9.5)), {"rating_scale": [-10, 9]}, "dataset.rating_column: 1 ratings outside the declared scale dataset.rating_scale=[-10, 9], rows 3 (0-based), e.g. 9.5"),
        (lambda t: t.assign(uid=t.uid.astype(float).where(t.index != 2, 1.5)), {}, "dataset.user_column: ids must be integers or strings, rows 2 (0-based) hold numbers such as 1.5"),
        (lambda t: pd.concat([t, t.iloc[:1]]), {"duplicates": "error"}, "dataset: 2 rows repeat 1 (user, item) pairs"),
        (lambda t: t[(t.uid != 100) | (t.index == t[t.uid == 100].index[0])], {"split": "leave_last_out"}, "dataset.split=leave_last_out: 1 users would have an empty training history; each needs 3 ratings (test, validation, train), these have fewer: 100 (1)"),
    ],
    ids=["misnamed column", "outside scale", "float id", "duplicates", "empty history"],
)  # fmt: skip
def test_bad_ratings_are_one_message(tmp_path: Path, change, settings, message) -> None:
    path = write_ratings(tmp_path, change(low_rank_ratings()))
    with pytest.raises(ConfigError) as caught:
        module(path, **settings).load()
    assert len(caught.value.problems) == 1
    assert message in caught.value.problems[0]


def test_ids_of_mixed_types_are_refused() -> None:
    table = pd.DataFrame({"user": [1, 2, "bob"], "item": [5, 5, 5], "rating": [4.0, 2.0, 3.0]})
    with pytest.raises(
        ConfigError, match=r"ids of mixed types \(int, str\); rows 2 \(0-based\) hold strs"
    ):
        check_ratings(table, None, "last")
