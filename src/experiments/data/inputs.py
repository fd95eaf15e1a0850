"""New inputs to predict, read into rows in the columns a fitted featurizer reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import pandas as pd
import PIL.Image
from datasets import Dataset

from experiments.config.errors import ConfigError
from experiments.data.delimiter import read_table
from experiments.data.shapes import Featurizer
from experiments.data.sources import IMAGE_EXTENSIONS


@dataclass(frozen=True)
class Inputs:
    """Rows to predict: a ``label`` per row (for printing), the ``rows`` in the featurizer's
    columns, and ``notes`` on what was changed to fit the model (photos resized or
    converted), for the user to hear once."""

    labels: list[str]
    rows: Dataset
    notes: list[str] = field(default_factory=list)


def read_inputs(featurizer: Featurizer, files: list[str], texts: list[str]) -> Inputs:
    """The rows to predict, each with a label.

    Args:
        featurizer: the run's fitted featurizer; its ``kind`` says what inputs mean.
        files: text models: files with one text per line (blank lines skipped); image
            models: image files, or folders of them (any size and mode: see
            `ImageFeatures.conform`); tabular models: CSV files with the input columns
            (others, e.g. the target, are ignored).
        texts: texts to classify (text models only).

    Raises:
        ConfigError: no inputs, a missing or unreadable file, a file that is not an image or
            a folder without images (image models), or inputs of the wrong kind.
    """
    missing = [path for path in files if not Path(path).exists()]
    if missing:
        raise ConfigError(f"input: {', '.join(repr(p) for p in missing)} does not exist")
    if texts and featurizer.kind != "text":
        raise ConfigError(
            f"text: this run's model reads {featurizer.kind} data, not text; give files "
            "with input=<file>"
        )
    if featurizer.kind == "text":
        inputs = _texts(featurizer.text_column, [Path(p) for p in files], texts)
    elif featurizer.kind == "image":
        inputs = _images(featurizer, [Path(p) for p in files])
    else:
        inputs = _tables([Path(p) for p in files])
    if not inputs.labels:
        raise ConfigError("input: nothing to predict; give input=<file> (or text=<text>)")
    return inputs


def _texts(column: str, files: list[Path], texts: list[str]) -> Inputs:
    lines = list(texts)
    for path in files:
        try:
            lines += [
                line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"input: cannot read '{path}' as UTF-8 text ({error})") from error
    return Inputs(lines, Dataset.from_dict({column: lines}))


def _images(featurizer: Featurizer, files: list[Path]) -> Inputs:
    paths = []
    for path in files:
        if not path.is_dir():
            paths.append(path)
            continue
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
        if not found:
            raise ConfigError(
                f"input: folder '{path}' holds no images (files ending in "
                f"{', '.join(sorted(IMAGE_EXTENSIONS))})"
            )
        paths += found
    images, unreadable = [], []
    for path in paths:
        try:
            image = PIL.Image.open(path)
            image.load()
            images.append(image)
        except (OSError, ValueError, PIL.Image.DecompressionBombError) as error:
            unreadable.append(f"'{path}' ({error})")  # UnidentifiedImageError is an OSError
    if unreadable:
        raise ConfigError(f"input: not an image PIL can read: {', '.join(unreadable)}")
    images, notes = featurizer.conform(images)
    column = featurizer.image_column
    rows = Dataset.from_dict(
        {column: images}, features=datasets.Features({column: datasets.Image()})
    )
    return Inputs([str(path) for path in paths], rows, notes)


def table_chunks(files: list[str], rows: int) -> Iterator[pd.DataFrame]:
    """The rows of CSV files, ``rows`` at a time, each file's delimiter detected
    (`read_table`).

    Raises:
        ConfigError: (before any chunk) no file, or a missing one; (when reached) a file
            that cannot be read as CSV.
    """
    if not files:
        raise ConfigError("input: nothing to predict; give input=<file>")
    missing = [path for path in files if not Path(path).exists()]
    if missing:
        raise ConfigError(f"input: {', '.join(repr(p) for p in missing)} does not exist")
    return (chunk for path in files for chunk in _chunks(Path(path), rows))


def _chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    try:
        yield from read_table(path, "input", chunksize=rows)
    except (OSError, ValueError) as error:  # pandas' parser and empty-file errors
        raise ConfigError(f"input: cannot read '{path}' as CSV ({error})") from error


def _tables(files: list[Path]) -> Inputs:
    frames, labels = [], []
    for path in files:
        try:
            frame = read_table(path, "input")
        except (OSError, ValueError) as error:  # pandas' parser and empty-file errors
            raise ConfigError(f"input: cannot read '{path}' as CSV ({error})") from error
        frames.append(frame)
        labels += [f"{path} row {row}" for row in range(len(frame))]
    if not frames:
        return Inputs([], Dataset.from_dict({}))
    rows = Dataset.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    return Inputs(labels, rows)
