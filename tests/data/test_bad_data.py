"""Bad data: one clear message naming the key, file, column or rows, before training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.config.errors import ConfigError
from experiments.core import train
from experiments.data import BagOfWords

from .conftest import table_csv, write


def test_misspelled_column_lists_the_columns(make_data, tmp_path: Path) -> None:
    path = str(table_csv(tmp_path / "t.csv"))
    with pytest.raises(ConfigError) as error:
        make_data(path=path, target_column="lable", features=BagOfWords(text_column="txt")).load()
    assert error.value.problems == [
        "dataset.target_column: no column 'lable' (did you mean 'label'?); the data has size, colour, label",
        "dataset.features: no column 'txt'; the data has size, colour, label",
    ]


def test_non_numeric_regression_target(make_data, tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.csv",
        "size,price\n" + "\n".join(f"{i},{i * 10}" for i in range(9)) + "\n9,cheap\n",
    )
    with pytest.raises(
        ConfigError,
        match=r"target_column 'price': regression needs numbers, but split 'train' has 'cheap' \(rows 9",
    ):
        make_data(path=str(path), task="regression", target_column="price").load()


def test_class_only_in_test(make_data, tmp_path: Path) -> None:
    table_csv(tmp_path / "d" / "train.csv")
    write(tmp_path / "d" / "test.csv", "size,colour,label\n1,red,big\n2,red,huge\n")
    with pytest.raises(
        ConfigError, match=r"class huge in split 'test' \(rows 1\) never occurs in the train split"
    ):
        make_data(path=str(tmp_path / "d")).load()


def test_empty_text_cells_are_named_by_row(make_data, tmp_path: Path) -> None:
    rows = [f'"message {i}",{"a" if i % 2 else "b"}' for i in range(12)]
    rows[3], rows[7] = '"",a', ",a"
    path = write(tmp_path / "t.csv", "text,label\n" + "\n".join(rows))
    with pytest.raises(
        ConfigError,
        match=r"dataset.features: column 'text' has empty cells in split 'train', rows 3, 7",
    ):
        make_data(path=str(path), features=BagOfWords(min_df=1)).load()


def test_empty_test_file_is_an_empty_split(make_data, tmp_path: Path) -> None:
    table_csv(tmp_path / "d" / "train.csv")
    write(tmp_path / "d" / "test.csv", "size,colour,label\n")
    with pytest.raises(ConfigError, match=r"cannot read '.*d' as csv: split 'test' has no rows"):
        make_data(path=str(tmp_path / "d")).load()


def test_too_few_rows_to_split(make_data, tmp_path: Path) -> None:
    path = table_csv(tmp_path / "t.csv", rows=2)
    with pytest.raises(
        ConfigError, match=r"dataset.test_size: 0.25 of 2 rows leaves an empty split"
    ):
        make_data(path=str(path), task="regression", target_column="size").load()


def test_bad_data_fails_the_run_before_training(make_cfg, tmp_path: Path) -> None:
    path = table_csv(tmp_path / "t.csv")
    overrides = [
        "dataset=csv", f"dataset.path={path}", "dataset.task=classification",
        "dataset.target_column=colour_name",
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="no column 'colour_name'"):
        train(make_cfg(*overrides), tmp_path / "run", overrides)
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["status"] == "failed" and "colour_name" in result["error"]
    assert not (tmp_path / "run" / "tb").exists()


@pytest.mark.slow
def test_cli_exits_nonzero_on_bad_data(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "size,price\n1,10\n2,cheap\n3,30\n4,40\n5,50\n")
    done = subprocess.run(
        [sys.executable, "-m", "experiments.cli.train", "dataset=csv", f"dataset.path={path}",
         "dataset.task=regression", "dataset.target_column=price", "model=mlp",
         f"output_root={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=120, env=os.environ | {"HYDRA_FULL_ERROR": "0"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "regression needs numbers, but split 'train' has 'cheap'" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
