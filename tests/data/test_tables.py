"""Tables: imputing, scaling and one-hot encoding fitted on train; regression targets scaled
for training and mapped back to the original units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from experiments.config.errors import ConfigError
from experiments.data import TableFeatures

from .conftest import write


def houses(tmp_path: Path) -> Path:
    """size (with gaps), pool (yes/no, a 'maybe' only in test), price = 1000 * size."""
    train = [
        f"{'' if i % 5 == 0 else i},{'yes' if i % 2 else 'no'},{1000.0 * i}" for i in range(1, 31)
    ]
    write(tmp_path / "h" / "train.csv", "size,pool,price\n" + "\n".join(train))
    write(tmp_path / "h" / "test.csv", "size,pool,price\n7,maybe,7000\n,no,9000\n")
    return tmp_path / "h"


def test_impute_scale_and_unseen_categories(make_data, tmp_path: Path) -> None:
    data = make_data(path=str(houses(tmp_path)), task="regression", target_column="price")
    shapes = data.load()
    assert shapes.in_features == 3  # size, pool=no, pool=yes
    train = data.tensors["train"][0]
    assert not torch.isnan(train).any()
    assert abs(float(train[:, 0].mean())) < 0.2  # size scaled with (imputed) train statistics
    test = data.tensors["test"][0]
    assert test[0, 1:].tolist() == [0.0, 0.0]  # 'maybe': never seen in train -> all zeros
    assert test[1, 1:].tolist() == [1.0, 0.0]  # 'no'


def test_missing_cells_are_an_error_without_imputation(make_data, tmp_path: Path) -> None:
    features = TableFeatures(impute=None)
    data = make_data(
        path=str(houses(tmp_path)), features=features, task="regression", target_column="price"
    )
    with pytest.raises(ConfigError) as error:
        data.load()
    message = str(error.value)
    assert "column 'size' has empty cells in split 'train', rows 4, 9, 14, 19, 24, 29" in message
    assert "split 'test', rows 1" in message


@pytest.mark.parametrize("log", [False, True])
def test_regression_targets_scaled_and_mapped_back(make_data, tmp_path: Path, log: bool) -> None:
    data = make_data(
        path=str(houses(tmp_path)), task="regression", target_column="price",
        target_standardize=True, target_log=log,
    )  # fmt: skip
    shapes = data.load()
    served = data.tensors["train"][1]
    assert abs(float(served.mean())) < 1e-5 and abs(float(served.std(unbiased=False)) - 1) < 1e-4
    original = shapes.original_units(data.tensors["test"][1])
    assert np.allclose(original.numpy(), [7000.0, 9000.0], rtol=1e-4)
    assert shapes.target_log is log and shapes.num_outputs == 1


def test_categorical_columns_override_and_feature_columns(make_data, tmp_path: Path) -> None:
    rows = [f"{i % 3},{i % 2},{i}" for i in range(24)]
    path = write(tmp_path / "rooms.csv", "rooms,floor,price\n" + "\n".join(rows))
    features = TableFeatures(feature_columns=["rooms"], categorical_columns=["rooms"])
    data = make_data(path=str(path), features=features, task="regression", target_column="price")
    assert data.load().in_features == 3  # rooms one-hot (0, 1, 2); floor not used


def test_categorical_column_must_be_an_input(make_data, tmp_path: Path) -> None:
    features = TableFeatures(feature_columns=["size"], categorical_columns=["pool"])
    data = make_data(
        path=str(houses(tmp_path)), features=features, task="regression", target_column="price"
    )
    with pytest.raises(ConfigError, match="categorical_columns: pool not among the input columns"):
        data.load()


def test_id_and_free_text_columns_are_reported(make_data, tmp_path: Path, caplog) -> None:
    notes = ["great view of the park", "needs a new roof soon", "quiet street near school"]
    lines = ["house_id,size,note,colour,price"] + [
        f"H{i:03d},{50 + i},{notes[i % 3]} number {i},{'red' if i % 2 else 'blue'},{100 + 3 * i}"
        for i in range(40)
    ]
    path = write(tmp_path / "houses.csv", "\n".join(lines) + "\n")
    with caplog.at_level("WARNING", logger="experiments.data.tables"):
        make_data(path=str(path), task="regression", target_column="price").load()
    warned = "\n".join(r.getMessage() for r in caplog.records)
    assert "column 'house_id' looks like an id" in warned
    assert "column 'note' looks like free text" in warned
    assert "dataset.features.feature_columns=[size,note,colour]" in warned  # not the id
    assert "'colour'" not in warned and "'size'" not in warned
