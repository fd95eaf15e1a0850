"""Sources: built-in sets, local files in every format, hub ids failing fast offline."""

from __future__ import annotations

from pathlib import Path

import datasets
import huggingface_hub
import pandas as pd
import pytest

from experiments.config.errors import ConfigError
from experiments.data import BagOfWords
from experiments.data.sources import resolve_source

from .conftest import table_csv, write


@pytest.mark.parametrize(
    ("source", "task", "rows", "features", "outputs"),
    [("builtin:breast_cancer", "classification", 569, 30, 2), ("builtin:diabetes", "regression", 442, 10, 1)],
)  # fmt: skip
def test_builtin_tables(make_data, source, task, rows, features, outputs) -> None:
    data = make_data(source=source, task=task, target_column="target", val_size=0.2, test_size=0.2)
    shapes = data.load()
    assert (shapes.kind, shapes.in_features, shapes.num_outputs) == ("tabular", features, outputs)
    assert sum(len(targets) for _, targets in data.tensors.values()) == rows


def test_csv_with_bom_and_quoted_commas_just_works(make_data, tmp_path: Path) -> None:
    lines = ["text,label"] + [f'"hello, world {i}",{"a" if i % 2 else "b"}' for i in range(20)]
    path = write(tmp_path / "t.csv", "\n".join(lines), encoding="utf-8-sig")
    data = make_data(path=str(path), features=BagOfWords(min_df=1))
    shapes = data.load()
    assert shapes.class_names == ("a", "b") and shapes.kind == "text"
    assert "world" in resolve_source("csv", str(path)).load()["train"][0]["text"]


@pytest.mark.parametrize("fmt", ["tsv", "parquet", "json"])
def test_other_local_formats(make_data, tmp_path: Path, fmt: str) -> None:
    frame = pd.read_csv(table_csv(tmp_path / "t.csv"))
    path = tmp_path / f"t.{fmt}"
    {"tsv": lambda: frame.to_csv(path, sep="\t", index=False),
     "parquet": lambda: frame.to_parquet(path),
     "json": lambda: frame.to_json(path, orient="records", lines=True)}[fmt]()  # fmt: skip
    shapes = make_data(source=fmt, path=str(path)).load()
    assert shapes.in_features == 1 + 2  # size, and colour one-hot (red, blue)


def test_folder_splits_come_from_file_names(make_data, tmp_path: Path) -> None:
    table_csv(tmp_path / "d" / "train.csv", rows=40)
    table_csv(tmp_path / "d" / "test.csv", rows=10)
    data = make_data(path=str(tmp_path / "d"))  # format inferred from the extension
    data.load()
    sizes = {name: len(targets) for name, (_, targets) in data.tensors.items()}
    assert sizes == {"train": 30, "val": 10, "test": 10}  # val = 25% of the source's train


def test_missing_path_names_it(make_data, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dataset.path: '.*nope.csv' does not exist"):
        make_data(path=str(tmp_path / "nope.csv")).load()


def test_local_format_without_path_and_unset_keys_reported_at_once(make_data) -> None:
    with pytest.raises(ConfigError) as error:
        make_data(task=None, target_column=None).load()
    assert [p.split(":")[0] for p in error.value.problems] == [
        "dataset.task", "dataset.target_column", "dataset.path",
    ]  # fmt: skip


# How fast these two fail is measured in benchmarks/hub_failure.py (no timing asserts here).
def test_hub_offline_fails_with_the_path_alternative(make_data) -> None:
    with pytest.raises(ConfigError, match=r"dataset.path=") as error:
        make_data(source="ucirvine/sms_spam", features=BagOfWords(text_column="sms")).load()
    assert "ucirvine/sms_spam" in str(error.value)


def test_hub_unreachable_online_fails_with_the_path_alternative(make_data, monkeypatch) -> None:
    # online mode against a closed local port: the probe must answer, not the retry loop
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(ConfigError, match=r"cannot reach the Hugging Face hub .*dataset.path="):
        make_data(source="ucirvine/sms_spam").load()


def test_builtin_takes_no_path(make_data, tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"dataset.path: built-in 'builtin:diabetes' reads no files"
    ):
        make_data(source="builtin:diabetes", path=str(tmp_path)).load()
