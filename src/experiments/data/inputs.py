"""New inputs to predict, read into rows in the columns a fitted featurizer reads."""

from __future__ import annotations

from pathlib import Path

import datasets
import pandas as pd
from datasets import Dataset

from experiments.config.errors import ConfigError
from experiments.data.datamodule import Featurizer
from experiments.data.sources import IMAGE_EXTENSIONS


def read_inputs(
    featurizer: Featurizer, files: list[str], texts: list[str]
) -> tuple[list[str], Dataset]:
    """The rows to predict and a label for each (for printing).

    Args:
        featurizer: the run's featurizer; its ``kind`` says what inputs mean.
        files: text models: files with one text per line (blank lines skipped); image
            models: image files, or folders of them; tabular models: CSV files with the
            input columns (others, e.g. the target, are ignored).
        texts: texts to classify (text models only).

    Raises:
        ConfigError: no inputs, a missing or unreadable file, or inputs of the wrong kind.
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
        labels, rows = _texts(featurizer.text_column, [Path(p) for p in files], texts)
    elif featurizer.kind == "image":
        labels, rows = _images(featurizer.image_column, [Path(p) for p in files])
    else:
        labels, rows = _tables([Path(p) for p in files])
    if not labels:
        raise ConfigError("input: nothing to predict; give input=<file> (or text=<text>)")
    return labels, rows


def _texts(column: str, files: list[Path], texts: list[str]) -> tuple[list[str], Dataset]:
    lines = list(texts)
    for path in files:
        try:
            lines += [
                line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"input: cannot read '{path}' as UTF-8 text ({error})") from error
    return lines, Dataset.from_dict({column: lines})


def _images(column: str, files: list[Path]) -> tuple[list[str], Dataset]:
    paths = []
    for path in files:
        if path.is_dir():
            paths += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
        else:
            paths.append(path)
    labels = [str(path) for path in paths]
    rows = Dataset.from_dict({column: labels}).cast_column(column, datasets.Image())
    return labels, rows


def _tables(files: list[Path]) -> tuple[list[str], Dataset]:
    frames, labels = [], []
    for path in files:
        try:
            frame = pd.read_csv(path)
        except (OSError, ValueError) as error:  # pandas' parser and empty-file errors
            raise ConfigError(f"input: cannot read '{path}' as CSV ({error})") from error
        frames.append(frame)
        labels += [f"{path} row {row}" for row in range(len(frame))]
    if not frames:
        return [], Dataset.from_dict({})
    return labels, Dataset.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
