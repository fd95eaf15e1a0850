"""A learning curve's sizes: checked against the train split before any job runs, resolved
to counts of rows; and its jobs, one folder per size, model and seed."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from experiments.config import ConfigError
from experiments.protocol.curve import CurveSettings, defaults_jobs, resolve_sizes

TARGETS = np.repeat(np.arange(4), [40, 30, 20, 10])  # 100 training rows, 4 classes


def test_sizes_resolve_to_ascending_counts() -> None:
    assert resolve_sizes([40, 0.1, 1.0, 20], TARGETS, stratify=True, split_seed=0) == [
        10,
        20,
        40,
        100,
    ]


def test_every_bad_size_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as error:
        resolve_sizes([0, 50, 101, 3, 0.5], TARGETS, stratify=True, split_seed=0)
    assert error.value.problems == [
        "curve.sizes[0]: 0 is not a count of rows between 1 and 100 (the train split) or a fraction in (0, 1]",
        "curve.sizes[2]: 101 is not a count of rows between 1 and 100 (the train split) or a fraction in (0, 1]",
        "curve.sizes[3]: 3 rows leave class(es) 3 without rows; expected at least 4 rows (one per class)",
        "curve.sizes[4]: 0.5 is 50 of the 100 training rows, as curve.sizes[1] is; expected distinct sizes",
    ]


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        (
            [],
            "curve.sizes: expected a list of training-set sizes, e.g. [250, 500, 1000], got an empty list",
        ),
        (
            None,
            "curve.sizes: expected a list of training-set sizes, e.g. [250, 500, 1000], got None",
        ),
        (500, "curve.sizes: expected a list of training-set sizes, e.g. [250, 500, 1000], got 500"),
        (
            [250, "big"],
            "curve.sizes[1]: expected a number (a count of rows or a fraction), got 'big'",
        ),
    ],
)
def test_the_size_list_must_be_numbers(sizes, message) -> None:
    with pytest.raises(ConfigError) as error:
        CurveSettings.from_config(OmegaConf.create({"sizes": sizes}))
    assert str(error.value) == message


def test_each_size_runs_every_model_and_seed_in_its_own_folder() -> None:
    jobs = defaults_jobs(["svm_linear", "cnn"], split_seed=0, seeds=[0, 1], size=250)
    assert [job.folder for job in jobs] == [
        "size_250/final/svm_linear/split_0,seed_0", "size_250/final/svm_linear/split_0,seed_1",
        "size_250/final/cnn/split_0,seed_0", "size_250/final/cnn/split_0,seed_1",
    ]  # fmt: skip
    assert "model=cnn" in jobs[3].overrides and "seed=1" in jobs[3].overrides
