from __future__ import annotations

import numpy as np
import pytest
import torch

from experiments.config.errors import ConfigError
from experiments.data import DataModule, ImageFeatures


def digits(**kwargs) -> DataModule:
    settings = {
        "name": "digits", "source": "builtin:digits",
        "task": "classification", "features": ImageFeatures(), "target_column": "label",
    } | kwargs  # fmt: skip
    return DataModule(**settings)


def test_digits_split_shapes_and_classes() -> None:
    data = digits()
    shapes = data.load()
    assert shapes.in_shape == (1, 8, 8) and shapes.in_features == 64
    assert shapes.num_outputs == 10 and shapes.class_names == tuple("0123456789")
    sizes = {split: len(tensors[1]) for split, tensors in data.tensors.items()}
    assert sizes == {"train": 1077, "val": 360, "test": 360}  # 1797 rows, 20% test, 20% val


def test_split_is_stratified_and_disjoint() -> None:
    data = digits()
    data.load()
    for _, targets in data.tensors.values():
        counts = torch.bincount(targets, minlength=10)
        assert counts.min() >= 0.8 * counts.max()
    rows = {split: {tuple(x.flatten().tolist()) for x in t[0]} for split, t in data.tensors.items()}
    # digits has a few duplicate images; the splits share almost none
    assert len(rows["train"] & rows["test"]) < 5


def test_split_depends_on_split_seed_only() -> None:
    a, b, c = digits(shuffle_seed=1), digits(shuffle_seed=2), digits(split_seed=1)
    for data in (a, b, c):
        data.load()
    assert torch.equal(a.tensors["test"][1], b.tensors["test"][1])
    assert not torch.equal(a.tensors["test"][1], c.tensors["test"][1])


def test_inputs_are_standardized_with_train_statistics() -> None:
    data = digits()
    data.load()
    train = data.tensors["train"][0].numpy()
    assert abs(train.mean()) < 1e-4 and np.isclose(train.std(), 1.0, atol=1e-3)
    assert abs(data.tensors["test"][0].mean()) > 1e-4  # test is scaled with train's numbers


def test_bad_settings_are_all_reported() -> None:
    with pytest.raises(ConfigError) as error:
        digits(task="ranking", batch_size=0, val_size=1.5)
    assert len(error.value.problems) == 3
    assert "dataset.task: 'ranking' is not one of classification, regression" in str(error.value)


def test_unknown_builtin_lists_the_known_ones() -> None:
    with pytest.raises(
        ConfigError, match="expected one of builtin:breast_cancer, builtin:diabetes, builtin:digits"
    ):
        digits(source="builtin:nope").load()
