"""``dataset.class_names``: the names a dataset gives its classes, as a list, a mapping or a
file, shown in place of the target's values (predictions, per-class results)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import experiments
from experiments.config import ConfigError
from experiments.data.class_names import named_classes

from ..conftest import train_run


@pytest.mark.parametrize(
    "given",
    [["ham", "spam"], {"0": "ham", "1": "spam"}, {0: "ham", 1: "spam"}, "names.txt", "names.yaml"],
)
def test_names_from_a_list_a_mapping_or_a_file(given, tmp_path: Path) -> None:
    (tmp_path / "names.txt").write_text("ham\nspam\n")
    (tmp_path / "names.yaml").write_text("0: ham\n1: spam\n")
    if isinstance(given, str):
        given = tmp_path / given
    assert named_classes(("0", "1"), given) == ("ham", "spam")


def test_a_mapping_may_leave_classes_out() -> None:
    assert named_classes(("0", "1", "2"), {2: "other"}) == ("0", "1", "other")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["ham"], "1 names for 2 classes (0, 1); expected one name per class"),
        ({"7": "x"}, "'7' is not a class of the target; the classes are 0, 1"),
        (["a", "a"], "a names more than one class"),
        ("missing.txt", "cannot read 'missing.txt'"),
    ],
)
def test_bad_names_are_one_message(given, message: str) -> None:
    with pytest.raises(ConfigError, match=r"dataset\.class_names: ") as error:
        named_classes(("0", "1"), given)
    assert message in str(error.value)


def test_a_run_shows_its_classes_by_name(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    frame = pd.DataFrame({"x": [float(i % 7) for i in range(60)], "y": [i % 2 for i in range(60)]})
    frame.to_csv(table, index=False)
    run = train_run(
        tmp_path / "run", "dataset=csv", f"dataset.path={table}", "dataset.task=classification",
        "dataset.target_column=y", "dataset.class_names={0: even, 1: odd}", "model=sk_logreg",
    )  # fmt: skip
    model = experiments.load(run)
    assert model.classes == ["even", "odd"]
    assert list(model.predict_proba(frame.drop(columns="y")).columns) == ["even", "odd"]
    assert set(model.predict(frame.drop(columns="y"))) <= {"even", "odd"}
