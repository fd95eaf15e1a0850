"""Tables: imputing, scaling and one-hot encoding fitted on train; regression targets scaled
for training and mapped back to the original units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from datasets import Features

from experiments.config.errors import ConfigError
from experiments.data import TableFeatures
from experiments.data.tables import category_codes

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


def wide_csv(path: Path, columns: int, rows: int = 12) -> Path:
    """``columns`` numeric columns c0, c1, ... and a two-class ``label``."""
    header = ",".join(f"c{j}" for j in range(columns)) + ",label"
    lines = [",".join(str(i + j) for j in range(columns)) + f",{'ab'[i % 2]}" for i in range(rows)]
    return write(path, header + "\n" + "\n".join(lines) + "\n")


def test_work_per_table_does_not_grow_with_its_columns(make_data, tmp_path: Path, monkeypatch):
    """Each `datasets` Dataset made or column-definitions read copies every column's
    definition (100,000 columns: seconds each), so their number must not grow with the
    columns: it did, once per column (10,000 columns never finished featurizing)."""
    copies = []
    original = Features.copy
    monkeypatch.setattr(Features, "copy", lambda self: copies.append(1) or original(self))
    counts = {}
    for columns in (5, 200):
        copies.clear()
        path = wide_csv(tmp_path / f"wide{columns}.csv", columns)
        shapes = make_data(path=str(path), target_column="label", cache=False).load()
        assert shapes.in_features == columns
        counts[columns] = len(copies)
    assert counts[200] == counts[5], counts


def test_duplicate_column_names_are_reported(make_data, tmp_path: Path, caplog) -> None:
    rows = [f"{i},{2 * i},{i % 3},{'ab'[i % 2]}" for i in range(20)]
    path = write(tmp_path / "dup.csv", "a,a,b,label\n" + "\n".join(rows) + "\n")
    with caplog.at_level("WARNING", logger="experiments.data"):
        shapes = make_data(path=str(path)).load()
    assert f"'{path}' names column 'a' 2 times; they are read as 'a', 'a.1'" in caplog.text
    assert shapes.in_features == 3  # both kept


def test_infinite_and_text_cells_of_numeric_columns_are_named(make_data, tmp_path: Path):
    folder = houses(tmp_path)
    write(folder / "test.csv", "size,pool,price\n7,no,7000\ninf,no,9000\n-inf,yes,100\n")
    with pytest.raises(ConfigError) as error:
        make_data(path=str(folder), task="regression", target_column="price").load()
    assert str(error.value) == (
        "dataset.features: column 'size' has infinite values in split 'test', rows 1, 2 "
        "(0-based); expected finite numbers"
    )
    features = TableFeatures(categorical_columns=[])  # 'pool' (yes/no) taken as a number
    data = make_data(
        path=str(houses(tmp_path)), features=features, task="regression", target_column="price"
    )
    with pytest.raises(ConfigError, match="column 'pool' holds text in split 'train' \\('"):
        data.load()


def test_a_column_without_values_in_train_is_left_out(make_data, tmp_path: Path, caplog):
    rows = [f"{i},,{'ab'[i % 2]}" for i in range(20)]
    path = write(tmp_path / "empty.csv", "size,unmeasured,label\n" + "\n".join(rows) + "\n")
    with caplog.at_level("WARNING", logger="experiments.data.tables"):
        shapes = make_data(path=str(path)).load()
    assert "column 'unmeasured' has no value in the train split; left out" in caplog.text
    assert shapes.in_features == 1


def test_missing_indicator_marks_imputed_cells(make_data, tmp_path: Path) -> None:
    features = TableFeatures(missing_indicator=True, scale=False)
    data = make_data(
        path=str(houses(tmp_path)), features=features, task="regression", target_column="price"
    )
    assert data.load().in_features == 4  # size, size imputed?, pool=no, pool=yes
    test = data.tensors["test"][0]  # sizes 7 and (missing)
    assert test[:, :2].tolist()[0] == [7.0, 0.0] and test[1, 1] == 1.0


def test_one_hot_groups_give_back_the_categories(make_data, tmp_path: Path) -> None:
    colours = ["red", "green", "blue"]
    rows = [f"{i},{colours[i % 3]},{'xy'[i % 2]},{'ab'[i % 2]}" for i in range(40)]
    path = write(tmp_path / "colours.csv", "size,colour,shape,label\n" + "\n".join(rows) + "\n")
    data = make_data(path=str(path), features=TableFeatures(scale=False))
    shapes = data.load()
    assert shapes.one_hot_groups == (("colour", 1, 4), ("shape", 4, 6))
    features = data.tensors["train"][0].numpy()
    codes = category_codes(features, shapes.one_hot_groups)
    assert list(codes.columns) == ["x0", "x1", "x4"]
    assert codes["x0"].tolist() == features[:, 0].tolist()  # sizes as they were
    encoder = data.features.transformer.named_transformers_["categorical"][-1]
    decoded = [encoder.categories_[0][code] for code in codes["x1"].cat.codes]
    assert decoded == [colours[int(size) % 3] for size in features[:, 0]]
    unseen = features[:1].copy()
    unseen[0, 1:4] = 0.0  # a colour never seen in train encodes as zeros: a missing category
    assert category_codes(unseen, shapes.one_hot_groups)["x1"].isna().tolist() == [True]


def test_rare_categories_share_one_feature_in_their_group(make_data, tmp_path: Path) -> None:
    colours = ["red"] * 12 + ["green"] * 12 + ["blue", "pink", "grey", "teal"] * 3
    rows = [f"{i},{colour},{'ab'[i % 2]}" for i, colour in enumerate(colours)]
    path = write(tmp_path / "rare.csv", "size,colour,label\n" + "\n".join(rows) + "\n")
    features = TableFeatures(min_frequency=4)
    shapes = make_data(path=str(path), features=features, test_size=0.1, val_size=0.1).load()
    assert shapes.one_hot_groups == (("colour", 1, 4),)  # green, red, infrequent
