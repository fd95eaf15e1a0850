"""Training-set sizes for learning curves: seeded, nested, stratified subsets of the train
split, with the same validation and test rows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hydra.utils import instantiate

from experiments.config import ConfigError
from experiments.data.splits import training_subset

TARGETS = np.repeat(np.arange(3), [50, 30, 20])  # unbalanced classes, 100 rows


def test_subsets_are_nested_and_stratified() -> None:
    sizes = [10, 25, 50, 100]
    subsets = [set(training_subset(TARGETS, n, seed=4, stratify=True)) for n in sizes]
    for smaller, larger in itertools.pairwise(subsets):
        assert smaller < larger
    for n, rows in zip(sizes, subsets, strict=True):
        counts = np.bincount(TARGETS[sorted(rows)], minlength=3)
        assert np.all(np.abs(counts - n * np.array([0.5, 0.3, 0.2])) <= 1), (n, counts)


def test_a_fraction_is_a_share_of_the_split_and_the_seed_decides_the_rows() -> None:
    assert len(training_subset(TARGETS, 0.25, seed=0, stratify=True)) == 25
    a = training_subset(TARGETS, 20, seed=0, stratify=False)
    assert np.array_equal(a, training_subset(TARGETS, 20, seed=0, stratify=False))
    assert not np.array_equal(a, training_subset(TARGETS, 20, seed=1, stratify=False))


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (0, "dataset.train_size: 0 is not a count of rows between 1 and 100"),
        (101, "dataset.train_size: 101 is not a count of rows between 1 and 100"),
        (2, "dataset.train_size: 2 rows leave class(es) 2 without rows; expected at least 3"),
    ],
)
def test_bad_sizes_are_one_message(size: int, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        training_subset(TARGETS, size, seed=0, stratify=True)
    assert str(error.value).startswith(message)


def test_every_model_and_seed_sees_the_same_rows_at_a_size(make_cfg) -> None:
    # The rows follow dataset.split_seed only: the training seed (shuffle_seed) and the
    # model change how a run trains, not what it trains on.
    first, second = (
        instantiate(
            make_cfg(f"model={m}", "dataset.train_size=200", "dataset.cache=false").dataset,
            shuffle_seed=seed,
        )
        for m, seed in (("mlp", 0), ("sk_svc", 1))
    )
    first.load(), second.load()
    assert len(first.tensors["train"][0]) == 200
    assert all(
        np.array_equal(first.tensors[s][0], second.tensors[s][0]) for s in ("train", "val", "test")
    )
