"""experiments-predict: new texts, images and table rows through a run's own featurizer;
probabilities, margins for hinge-loss models, values in the data's units; bad input is one
message and exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from sklearn.datasets import load_diabetes

from experiments.cli.predict import main, predict, readable
from experiments.config.errors import ConfigError

from .conftest import train_run
from .data.test_images import image_folder
from .data.test_text import messages
from .test_bad_input import bomb_png
from .test_evaluate import PRECIOUS, attacks, poisoned

LEARN = ["optimizer.lr=0.1", "trainer.max_epochs=20"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny runs on text, image and table data, trained once for this module."""
    root = tmp_path_factory.mktemp("runs")
    text = [
        "dataset=csv", f"dataset.path={messages(root)}", "dataset.task=classification",
        "dataset.target_column=label", "dataset/features=tfidf",
        "dataset.features.text_column=sms", "dataset.features.min_df=1",
    ]  # fmt: skip
    images = ["dataset=imagefolder", f"dataset.path={image_folder(root / 'img')}"]
    return {
        "logreg": train_run(root / "logreg", *text, "model=logreg", *LEARN),
        "svm_linear": train_run(root / "svm", *text, "model=svm_linear", *LEARN),
        "sk_linear_svc": train_run(root / "sk_svc", *text, "model=sk_linear_svc"),
        "images": train_run(root / "images", *images, "model=logreg", *LEARN),
        "sk_ridge": train_run(root / "ridge", "dataset=diabetes", "model=sk_ridge"),
        "linear_regression": train_run(
            root / "linreg",
            "dataset=diabetes",
            "model=linear_regression",
            "monitor=val/rmse",
            "monitor_mode=min",
            *LEARN,
        ),
        "root": root,
    }


def test_text_probabilities(runs) -> None:
    report = predict(runs["logreg"], [], ["win free cash now", "see you at lunch"], top=2)
    assert report["kind"] == "probabilities"
    first, second = report["predictions"]
    assert (first["class"], second["class"]) == ("spam", "ham")
    assert sum(first["probabilities"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize("model", ["svm_linear", "sk_linear_svc"])
def test_hinge_models_give_margins_not_probabilities(runs, model: str, tmp_path: Path) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_text("win free cash now\n\nsee you at lunch\n")
    report = predict(runs[model], [str(lines)], [], top=2)
    assert report["kind"] == "margins" and "not probabilities" in report["note"]
    assert [p["class"] for p in report["predictions"]] == ["spam", "ham"]  # blank line skipped
    assert "probabilities" not in report["predictions"][0]


def test_printed_line_and_json(runs, capsys) -> None:
    assert main([f"ckpt={runs['logreg']}", "text=win free cash now"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("win free cash now: ") and "% spam, " in line
    assert main([f"ckpt={runs['svm_linear']}", "text=hello", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "margins"


def test_images_through_the_train_statistics(runs) -> None:
    folder = runs["root"] / "img" / "light"
    report = predict(runs["images"], [str(folder / "0.png"), str(folder)], [], top=1)
    assert len(report["predictions"]) == 9  # one file, then the folder's 8
    assert {p["class"] for p in report["predictions"]} == {"light"}


@pytest.mark.parametrize("model", ["sk_ridge", "linear_regression"])
def test_regression_values_in_original_units(runs, model: str, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    load_diabetes(as_frame=True).frame.head(5).to_csv(table, index=False)  # target ignored
    report = predict(runs[model], [str(table)], [], top=3)
    values = [p["value"] for p in report["predictions"]]
    assert report["kind"] == "values" and report["target"] == "target"
    assert len(values) == 5 and all(25 < v < 346 for v in values)  # not standardized units


def _image(tmp_path: Path, size: int) -> str:
    path = tmp_path / f"{size}.png"
    PIL.Image.fromarray(np.full((size, size), 200, np.uint8), "L").save(path)
    return str(path)


@pytest.mark.parametrize(
    ("run", "arguments", "message"),
    [
        ("images", lambda tmp: [f"input={tmp / 'gone.png'}"], "does not exist"),
        ("images", lambda tmp: ["text=hello"], "reads image data, not text"),
        ("logreg", lambda tmp: [], "nothing to predict"),
        ("sk_ridge", lambda tmp: [f"input={_image(tmp, 9)}"], "cannot read"),
    ],
    ids=["missing file", "text to image model", "no input", "image as table"],
)
def test_bad_input_is_one_message(runs, tmp_path: Path, capsys, run, arguments, message) -> None:
    assert main([f"ckpt={runs[run]}", *arguments(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert message in error and error.startswith("experiments-predict: ")
    assert "Traceback" not in error


def test_table_without_an_input_column(runs, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    load_diabetes(as_frame=True).frame.drop(columns=["bmi"]).head(2).to_csv(table, index=False)
    with pytest.raises(ConfigError, match="split 'input' has no column bmi"):
        predict(runs["sk_ridge"], [str(table)], [], top=1)


def test_predict_needs_no_training_data(tmp_path: Path) -> None:
    data = messages(tmp_path / "data")
    run = train_run(
        tmp_path / "run", "dataset=csv", f"dataset.path={data}", "dataset.task=classification",
        "dataset.target_column=label", "dataset/features=tfidf",
        "dataset.features.text_column=sms", "dataset.features.min_df=1", "model=logreg", *LEARN,
    )  # fmt: skip
    before = predict(run, [], ["win free cash now"], top=2)
    data.rename(tmp_path / "moved")
    assert predict(run, [], ["win free cash now"], top=2) == before


@pytest.mark.parametrize(
    ("value", "shown"),
    [(459400.4, "459,400"), (-12345.6, "-12,346"), (152.13, "152.1"), (0.0123456, "0.01235"),
     ([1500.0, 2.5], "[1,500, 2.5]")],
)  # fmt: skip
def test_values_are_printed_for_people(value, shown: str) -> None:
    assert readable(value) == shown


@pytest.mark.parametrize("attack", ["savetxt", "open"])
def test_a_poisoned_run_folder_runs_nothing(runs, tmp_path: Path, capsys, attack) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text(PRECIOUS)
    key, node = attacks(victim)[attack]
    folder = poisoned(runs["logreg"], tmp_path / "from-a-colleague", key, node)
    assert main([f"ckpt={folder}", "text=win free cash now"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"experiments-predict: {key}._target_: ")
    assert "--trust " in captured.err and not captured.out
    assert victim.read_text() == PRECIOUS


def test_a_decompression_bomb_is_one_message(runs, tmp_path: Path, capsys) -> None:
    bomb = bomb_png(tmp_path / "huge.png")
    assert main([f"ckpt={runs['images']}", f"input={bomb}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"experiments-predict: input: not an image PIL can read: '{bomb}' (")
    assert "decompression bomb" in err and len(err.strip().splitlines()) == 1
