"""`experiments.load(folder)`: a run, a protocol or a sweep folder as a predictor with
``predict``/``predict_proba`` (class names as columns), through the same path and messages as
`experiments-predict`, whose ``out=`` writes the input rows with their predictions."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine

import experiments
from experiments.cli.predict import main as predict_main
from experiments.cli.predict import predict as cli_predict
from experiments.config.errors import ConfigError
from experiments.core import predictor as predictor_module

from ..conftest import train_run

NAMES = {0: "barolo", 1: "grignolino", 2: "barbera"}


def wine_table() -> pd.DataFrame:
    frame = load_wine(as_frame=True).frame
    frame["cultivar"] = frame.pop("target").map(NAMES)
    frame["region"] = np.where(np.arange(len(frame)) % 2, "north", "south")
    return frame


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two estimators on a semicolon-separated wine table with a categorical column."""
    root = tmp_path_factory.mktemp("predictor")
    table = root / "wine.csv"
    wine_table().to_csv(table, sep=";", index=False)
    data = [
        "dataset=csv", f"dataset.path={table}", "dataset.task=classification",
        "dataset.target_column=cultivar",
    ]  # fmt: skip
    return {
        "sk_logreg": train_run(root / "logreg", *data, "model=sk_logreg"),
        "sk_linear_svc": train_run(root / "svc", *data, "model=sk_linear_svc"),
        "root": root,
    }


def new_rows() -> pd.DataFrame:
    return wine_table().drop(columns="cultivar").iloc[[0, 70, 140]].set_index(pd.Index([7, 8, 9]))


def test_predict_and_predict_proba_name_the_classes(runs) -> None:
    model = experiments.load(runs["sk_logreg"])
    rows = new_rows()
    predicted = model.predict(rows)
    assert predicted.tolist() == ["barolo", "grignolino", "barbera"]
    assert predicted.index.tolist() == [7, 8, 9] and predicted.name == "cultivar"
    proba = model.predict_proba(rows)
    assert sorted(proba.columns) == sorted(NAMES.values())
    assert proba.sum(axis=1).to_numpy() == pytest.approx(1.0, abs=1e-5)
    assert (proba.idxmax(axis=1) == predicted).all()
    # the same answers from an array of rows in the input columns' order, and from a file
    assert model.predict(rows.to_numpy(dtype=object)).tolist() == predicted.tolist()
    path = runs["root"] / "new.csv"
    rows.to_csv(path, index=False)
    assert model.predict([str(path)]).tolist() == predicted.tolist()


def test_the_command_line_and_python_give_one_answer(runs) -> None:
    path = runs["root"] / "same.csv"
    new_rows().to_csv(path, index=False)
    report = cli_predict(str(runs["sk_logreg"]), [str(path)], [], top=3)
    proba = experiments.load(runs["sk_logreg"]).predict_proba(new_rows())
    for row, (_, expected) in zip(report["predictions"], proba.iterrows(), strict=True):
        assert row["probabilities"] == pytest.approx(expected.to_dict(), abs=1e-6)


def test_the_checks_and_messages_are_the_command_lines(runs, tmp_path: Path) -> None:
    model = experiments.load(runs["sk_logreg"])
    rows = new_rows().drop(columns="alcohol")
    with pytest.raises(ConfigError, match="has no column alcohol") as from_python:
        model.predict(rows)
    path = tmp_path / "rows.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(ConfigError) as from_cli:
        cli_predict(str(runs["sk_logreg"]), [str(path)], [], top=3)
    assert from_python.value.problems == from_cli.value.problems
    with pytest.raises(ConfigError, match="expected a pandas DataFrame"):
        model.predict("wine.csv")
    with pytest.raises(ConfigError, match="one column per input"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ConfigError, match="does not exist"):
        experiments.load(tmp_path / "nowhere")


def test_a_hinge_model_has_margins_not_probabilities(runs) -> None:
    model = experiments.load(runs["sk_linear_svc"])
    with pytest.raises(ConfigError, match=r"hinge loss.*decision_function"):
        model.predict_proba(new_rows())
    margins = model.decision_function(new_rows())
    assert (margins.idxmax(axis=1) == model.predict(new_rows())).all()
    with pytest.raises(ConfigError, match="use predict_proba"):
        experiments.load(runs["sk_logreg"]).decision_function(new_rows())


def test_out_writes_the_rows_with_their_predictions_in_chunks(
    runs, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(predictor_module, "CHUNK_ROWS", 2)  # 3 rows: two chunks
    rows = new_rows()
    source = tmp_path / "in.csv"
    rows.to_csv(source, sep=";", index=False)  # a semicolon-separated input, detected
    out = tmp_path / "out.csv"
    assert predict_main([f"ckpt={runs['sk_logreg']}", f"input={source}", f"out={out}"]) == 0
    assert capsys.readouterr().out.strip() == f"Wrote 3 predictions of sk_logreg to {out}"
    written = pd.read_csv(out)
    assert written.columns.tolist() == [
        *rows.columns,
        "predicted_cultivar",
        "p_barbera",
        "p_barolo",
        "p_grignolino",
    ]
    assert written["predicted_cultivar"].tolist() == ["barolo", "grignolino", "barbera"]
    assert written["region"].tolist() == rows["region"].tolist()
    proba = experiments.load(runs["sk_logreg"]).predict_proba(rows)
    assert written["p_barolo"].to_numpy() == pytest.approx(proba["barolo"].to_numpy(), abs=1e-6)


def test_out_leaves_nothing_on_bad_input(runs, tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.csv"
    new_rows().drop(columns="proline").to_csv(source, index=False)
    out = tmp_path / "out.csv"
    assert predict_main([f"ckpt={runs['sk_logreg']}", f"input={source}", f"out={out}"]) == 2
    assert "has no column proline" in capsys.readouterr().err
    assert not list(tmp_path.glob("*out.csv*"))


def test_a_sweep_folder_stands_for_its_leaderboards_best_run(runs, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    for name, val in (("sk_logreg", 0.90), ("sk_linear_svc", 0.95)):
        job = shutil.copytree(runs[name], sweep / f"model={name}")
        result = json.loads((job / "result.json").read_text())
        result["metrics"]["val/acc"] = val
        (job / "result.json").write_text(json.dumps(result | {"monitor": "val/acc"}))
    model = experiments.load(sweep)
    assert model.run.run_dir == sweep / "model=sk_linear_svc"
    assert model.note == (
        f"sweep folder: using its leaderboard's best run, model sk_linear_svc "
        f"({sweep / 'model=sk_linear_svc'})"
    )


def test_a_protocol_folder_without_its_winner_says_so(runs, tmp_path: Path) -> None:
    shutil.copytree(runs["sk_logreg"], tmp_path / "final" / "sk_logreg" / "split_0,seed_0")
    with pytest.raises(ConfigError, match="has no winner/ run"):
        experiments.load(tmp_path)


def test_unseen_categories_are_named_once_per_column(runs, caplog) -> None:
    model = experiments.load(runs["sk_logreg"])
    rows = new_rows().assign(region=["downtown", "north", "uptown"])
    with caplog.at_level(logging.WARNING, logger="experiments.data.tables"):
        model.predict(rows)
        model.predict(rows)
    warnings = [r.getMessage() for r in caplog.records if "train split did not" in r.getMessage()]
    assert len(warnings) == 1
    assert "column 'region'" in warnings[0] and "'downtown', 'uptown'" in warnings[0]
    assert "known: north, south" in warnings[0]
