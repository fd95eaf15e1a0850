"""The contact sheet of style runs: each output beside its content photo and style image, in
one PNG; written at the end of a sweep by the Hydra callback `ContactSheet`."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import PIL.Image
from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from PIL import ImageDraw, ImageFont

from experiments.io.atomic import atomic_file
from experiments.style.images import CONTENT, OUTPUT, STYLE

SHEET_FILE = "contact_sheet.png"
LABEL_HEIGHT = 16  # pixels of text above each picture
GAP = 4  # pixels between pictures
Cell = tuple[Path, str] | None  # a picture and its label, or an empty cell


def contact_sheet(
    folder: Path, out: Path | None = None, thumbnail: int = 256, per_line: int = 4
) -> Path | None:
    """Write one picture of every style run below ``folder`` that saved its output: for each
    pair of content photo and style image (a sweep over the style weight has one pair), the
    two, then the outputs of its runs, ``per_line`` to a line. An output is labelled with
    its run's folder below ``folder`` (a sweep's job name: its overrides), less the
    comma-separated parts that every run's name shares.

    Args:
        folder: a run or a sweep folder.
        out: the PNG to write; None: ``<folder>/contact_sheet.png``.
        thumbnail: the longer side of each picture, in pixels.
        per_line: outputs per line.

    Returns:
        The file written, or None when no run below ``folder`` saved an output.
    """
    runs = sorted(path.parents[len(OUTPUT.parts) - 1] for path in folder.rglob(str(OUTPUT)))
    if not runs:
        return None
    labels = _labels([str(run.relative_to(folder)) if run != folder else run.name for run in runs])
    pairs: dict[str, list[tuple[Path, str]]] = {}
    for run, label in zip(runs, labels, strict=True):  # runs of the same two images
        key = hashlib.sha256(b"".join((run / p).read_bytes() for p in (CONTENT, STYLE)))
        pairs.setdefault(key.hexdigest(), []).append((run, label))
    lines: list[list[Cell]] = []
    for pair in pairs.values():
        first = pair[0][0]
        inputs: list[Cell] = [(first / CONTENT, "content"), (first / STYLE, "style")]
        outputs = [(run / OUTPUT, label) for run, label in pair]
        for start in range(0, len(outputs), per_line):
            lines.append(
                [*(inputs if start == 0 else [None, None]), *outputs[start : start + per_line]]
            )
    with atomic_file(out or folder / SHEET_FILE, "wb") as file:
        _draw(lines, thumbnail).save(file, format="PNG", optimize=True)
    return out or folder / SHEET_FILE


def _labels(names: list[str]) -> list[str]:
    """Each name less the comma-separated parts that all ``names`` share (itself when
    nothing is left)."""
    parts = [name.split(",") for name in names]
    shared = set.intersection(*map(set, parts)) if len(names) > 1 else set()
    return [
        ",".join(p for p in split if p not in shared) or name
        for name, split in zip(names, parts, strict=True)
    ]


def _draw(lines: list[list[Cell]], thumbnail: int) -> PIL.Image.Image:
    """The lines of labelled pictures on a white sheet, each picture scaled so that its
    longer side is ``thumbnail`` pixels, centred in its cell; a line is as high as its
    highest picture; an empty cell stays white."""
    font = ImageFont.load_default()
    pictures = [
        [cell and (_scaled(cell[0], thumbnail), cell[1]) for cell in line] for line in lines
    ]
    heights = [max(cell[0].height for cell in line if cell) for line in pictures]
    width = GAP + (thumbnail + GAP) * max(len(line) for line in lines)
    height = GAP + sum(h + LABEL_HEIGHT + GAP for h in heights)
    sheet = PIL.Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    top = GAP
    for line, line_height in zip(pictures, heights, strict=True):
        for column, cell in enumerate(line):
            if cell is None:
                continue
            picture, label = cell
            left = GAP + column * (thumbnail + GAP)
            draw.text((left, top + 2), _fit(label, font, thumbnail), fill="black", font=font)
            x = left + (thumbnail - picture.width) // 2
            y = top + LABEL_HEIGHT + (line_height - picture.height) // 2
            sheet.paste(picture, (x, y))
        top += line_height + LABEL_HEIGHT + GAP
    return sheet


def _scaled(path: Path, side: int) -> PIL.Image.Image:
    """The picture at ``path``, scaled (up or down) so that its longer side is ``side``."""
    with PIL.Image.open(path) as opened:
        picture = opened.convert("RGB")
    scale = side / max(picture.size)
    size = tuple(max(1, round(n * scale)) for n in picture.size)
    return picture.resize(size, PIL.Image.Resampling.LANCZOS)


def _fit(text: str, font: Any, width: int) -> str:
    """``text``, cut at the start with an ellipsis when wider than ``width`` pixels (a job
    name's last overrides are the ones that differ)."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength("..." + text) > width:
        text = text[1:]
    return "..." + text


class ContactSheet(Callback):
    """Hydra callback: at the end of a multirun, `contact_sheet` into the sweep folder
    (``experiment=style_transfer`` brings it), and its path printed."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        written = contact_sheet(Path(config.hydra.sweep.dir))
        if written is not None:
            print(f"Contact sheet: {written}")
