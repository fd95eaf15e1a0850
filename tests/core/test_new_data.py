"""`experiments-eval ckpt=<run> data=<labeled file>`: a run scored on data it has never seen,
with the test split's metrics, per-class table and confusion matrix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments.cli.evaluate import main as evaluate_main
from experiments.config.errors import ConfigError
from experiments.core.new_data import score_on
from experiments.core.saved import load_run

from ..conftest import train_run
from .test_predictor import runs, wine_table  # noqa: F401 (the module's trained runs)


def test_labeled_data_is_scored_like_the_test_split(runs, tmp_path: Path, capsys) -> None:  # noqa: F811
    table = wine_table().iloc[::3]
    data = tmp_path / "labeled.csv"
    table.to_csv(data, sep=";", index=False)
    assert evaluate_main([f"ckpt={runs['sk_logreg']}", f"data={data}"]) == 0
    out = capsys.readouterr().out
    assert f"{len(table)} rows of {data}" in out
    assert "Confusion matrix (rows: true class, columns: predicted):" in out
    written = json.loads((runs["sk_logreg"] / "eval-data-labeled.json").read_text())
    predicted = experiments.load(runs["sk_logreg"]).predict(table.drop(columns="cultivar"))
    accuracy = float(np.mean(predicted.to_numpy() == table["cultivar"].to_numpy()))
    assert written["metrics"]["test/acc"] == pytest.approx(accuracy)
    assert set(written["metrics"]) >= {"test/acc", "test/balanced_acc", "test/f1"}
    assert list(written["per_class"]) == ["barbera", "barolo", "grignolino"]
    assert np.sum(written["confusion_matrix"]) == written["rows"] == len(table)
    assert (runs["sk_logreg"] / "eval-data-labeled.confusion.png").is_file()


def test_bad_labeled_data_is_one_message(runs, tmp_path: Path, capsys) -> None:  # noqa: F811
    run = load_run(runs["sk_logreg"], with_data=False)
    unlabeled = tmp_path / "unlabeled.csv"
    wine_table().drop(columns="cultivar").to_csv(unlabeled, index=False)
    with pytest.raises(ConfigError, match="has no column 'cultivar'"):
        score_on(run, unlabeled)
    other = tmp_path / "other.csv"
    wine_table().assign(cultivar="nebbiolo").to_csv(other, index=False)
    with pytest.raises(ConfigError, match="class nebbiolo in 'cultivar', which the run never"):
        score_on(run, other)
    assert evaluate_main([f"ckpt={runs['sk_logreg']}", f"data={tmp_path / 'none.csv'}"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_renamed_classes_score_data_that_holds_the_values(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    frame = pd.DataFrame({"x": [float(i % 2) for i in range(60)], "y": [i % 2 for i in range(60)]})
    frame.to_csv(table, index=False)
    run = train_run(
        tmp_path / "run", "dataset=csv", f"dataset.path={table}", "dataset.task=classification",
        "dataset.target_column=y", "dataset.class_names=[even, odd]", "model=sk_logreg",
    )  # fmt: skip
    report = score_on(load_run(run, with_data=False), table)
    assert list(report["per_class"]) == ["even", "odd"]
    assert report["metrics"]["test/acc"] == 1.0
