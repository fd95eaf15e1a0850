"""The contact sheet: the outputs of style runs beside their content and style images, one
row per pair of images, labelled with what differs between the runs."""

from __future__ import annotations

from pathlib import Path

import PIL.Image
import pytest

from experiments.style import contact_sheet
from experiments.style.images import CONTENT, OUTPUT, STYLE
from experiments.style.sheet import _labels

COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "grey": (128,) * 3}


def style_run(folder: Path, content: str, style: str, output: str) -> Path:
    """A run folder with the three images of a style run, in flat colours, 40x20 pixels."""
    for path, colour in ((CONTENT, content), (STYLE, style), (OUTPUT, output)):
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        PIL.Image.new("RGB", (40, 20), COLOURS[colour]).save(folder / path)
    return folder


def middle(sheet: PIL.Image.Image, line: int, column: int) -> tuple[int, ...]:
    """The colour at the middle of a 40x20 picture in a sheet of 40-pixel thumbnails."""
    return sheet.getpixel((4 + column * 44 + 20, 4 + line * 40 + 16 + 10))


def test_runs_of_the_same_two_images_share_a_row(tmp_path: Path) -> None:
    style_run(tmp_path / "model.style_weight=1,seed=0", "red", "green", "blue")
    style_run(tmp_path / "model.style_weight=10,seed=0", "red", "green", "grey")
    style_run(tmp_path / "other" / "model.style_weight=10,seed=0", "blue", "green", "red")
    sheet = PIL.Image.open(contact_sheet(tmp_path, thumbnail=40, per_line=2))
    assert sheet.size == (4 + 4 * 44, 4 + 2 * (20 + 16 + 4))  # 2 + 2 pictures wide, 2 rows
    assert [middle(sheet, 0, c) for c in range(4)] == [
        COLOURS[c] for c in ("red", "green", "blue", "grey")
    ]
    assert [middle(sheet, 1, c) for c in range(3)] == [COLOURS[c] for c in ("blue", "green", "red")]
    assert (tmp_path / "contact_sheet.png").is_file()


def test_outputs_wrap_after_per_line(tmp_path: Path) -> None:
    for n, colour in enumerate(("blue", "grey", "red")):
        style_run(tmp_path / f"job{n}", "red", "green", colour)
    sheet = PIL.Image.open(contact_sheet(tmp_path, tmp_path / "out.png", thumbnail=40, per_line=2))
    assert sheet.size == (4 + 4 * 44, 4 + 2 * (20 + 16 + 4))
    assert middle(sheet, 1, 0) == (255, 255, 255)  # the inputs are not repeated
    assert middle(sheet, 1, 2) == COLOURS["red"]


@pytest.mark.parametrize(
    ("names", "labels"),
    [
        (["model.style_weight=1,seed=0", "model.style_weight=10,seed=0"], ["model.style_weight=1", "model.style_weight=10"]),
        (["vgg19_random", "cnn_cats_dogs"], ["vgg19_random", "cnn_cats_dogs"]),
        (["seed=0"], ["seed=0"]),
    ],
)  # fmt: skip
def test_labels_keep_what_differs(names: list[str], labels: list[str]) -> None:
    assert _labels(names) == labels


def test_no_style_run_no_sheet(tmp_path: Path) -> None:
    assert contact_sheet(tmp_path) is None
    assert not (tmp_path / "contact_sheet.png").exists()
