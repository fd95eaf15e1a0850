"""CSV delimiters: detected from a file's head when the default does not cut its header, or
as set (``dataset.delimiter``), and logged; a semicolon-separated table loads."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from experiments.config import compose_config, instantiate_checked
from experiments.data.delimiter import delimiter_of, detect_delimiter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a;b;c\n1;2;3\n4;5;6\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('sms,label\n"see you; at 5",ham\n"win; now; free",spam\n', ","),  # text with ;
        ("label\nham\nspam\n", ","),  # one column: the default
    ],
)
def test_the_delimiter_is_detected(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    assert detect_delimiter(path) == expected


def test_the_delimiter_used_is_logged_and_a_set_one_wins(tmp_path: Path, caplog) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n")
    with caplog.at_level(logging.INFO, logger="experiments.data.delimiter"):
        assert delimiter_of(path, None, "dataset.path") == ";"
        assert delimiter_of(path, ",", "dataset.path") == ","
    assert "read with the semicolon delimiter ';' (detected)" in caplog.text
    assert "read with delimiter ',' (set)" in caplog.text


def test_a_semicolon_separated_table_loads(tmp_path: Path) -> None:
    path = tmp_path / "wine.csv"
    rows = "\n".join(f"{i};{i % 3};{'north' if i % 2 else 'south'}" for i in range(30))
    path.write_text("alcohol;cultivar;region\n" + rows + "\n")
    cfg = compose_config([
        "dataset=csv", f"dataset.path={path}", "dataset.task=classification",
        "dataset.target_column=cultivar", "dataset.cache=false",
    ])  # fmt: skip
    shapes = instantiate_checked(cfg.dataset, "dataset").load()
    assert shapes.class_names == ("0", "1", "2") and shapes.in_shape == (3,)  # alcohol + region
