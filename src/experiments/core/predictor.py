"""A trained run as a predictor: what `experiments.load` returns and `experiments-predict`
uses, so that Python and the shell share one path from inputs to answers.

    predictor = experiments.load("outputs/wine/<date>_<uid>")   # a run, protocol or sweep
    predictor.predict(frame)          # the predicted class (or value) per row
    predictor.predict_proba(frame)    # one column per class, named by the class

Inputs go through the run's own featurizer, fitted on its train split and saved with it
(the training data is not read); the checks and messages are the command line's
(`experiments.data.inputs.read_inputs`, the featurizer's ``transform``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from datasets import Dataset

from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust
from experiments.core.saved import SavedRun, load_run
from experiments.data.inputs import Inputs, read_inputs, table_chunks
from experiments.io.atomic import atomic_file
from experiments.kinds import Outputs

MARGINS_NOTE = (
    "trained with a hinge loss: margins (class scores; the largest wins), not probabilities"
)
CHUNK_ROWS = 50_000  # table rows read and predicted at once by `Predictor.write`
# An input for `Predictor`: a table, texts or file paths, or an array of rows.
Rows = pd.DataFrame | Sequence[str] | np.ndarray


@dataclass
class Predictor:
    """A run's model with its fitted featurizer; make one with `load`.

    Attributes:
        run: the loaded run (`experiments.core.saved.SavedRun`).
        note: which run a protocol or sweep folder stood for (`load_run`'s choice), or None.
    """

    run: SavedRun
    note: str | None = None

    @property
    def classes(self) -> list[str] | None:
        """The class names, in the order of the probability columns; None for regression."""
        names = self.run.shapes.class_names
        return list(names) if names else None

    @property
    def target(self) -> str:
        """The predicted column's name (several targets: joined by commas)."""
        target = self.run.cfg.dataset.target_column
        return target if isinstance(target, str) else ",".join(map(str, target))

    def predict(self, x: Rows) -> pd.Series | pd.DataFrame:
        """The predicted class name (classifiers) or value in the data's original units
        (regression; a DataFrame with a column per target when there are several), one per
        row of ``x``; a DataFrame ``x`` keeps its index.

        Raises:
            ConfigError: inputs the run's model cannot read (see `outputs`).
        """
        outputs, index = self._answer(x)
        return predicted(outputs, self.classes, self.target, index)

    def predict_proba(self, x: Rows) -> pd.DataFrame:
        """Class probabilities, one column per class (named by the class), one row per row of
        ``x``.

        Raises:
            ConfigError: a regression model, or a hinge-loss one (it has margins:
                `decision_function`); inputs the model cannot read.
        """
        outputs, index = self._answer(x)
        if outputs.kind != "probabilities":
            raise ConfigError(self._no(outputs.kind, "probabilities"))
        return pd.DataFrame(outputs.values.numpy(), columns=self.classes, index=index)

    def decision_function(self, x: Rows) -> pd.DataFrame:
        """Class margins of a hinge-loss model (``svm_*``, LinearSVC), one column per class.

        Raises:
            ConfigError: a model with probabilities (`predict_proba`) or values; inputs the
                model cannot read.
        """
        outputs, index = self._answer(x)
        if outputs.kind != "margins":
            raise ConfigError(self._no(outputs.kind, "margins"))
        return pd.DataFrame(outputs.values.numpy(), columns=self.classes, index=index)

    def outputs(self, files: list[str], texts: list[str]) -> tuple[Outputs, Inputs]:
        """The model's outputs for input files and texts, as `experiments-predict` reads
        them (`read_inputs`), with the inputs read.

        Raises:
            ConfigError: a missing or unreadable file, inputs of the wrong kind, a table
                without an input column.
        """
        featurizer = self.run.features
        inputs = read_inputs(featurizer, files, texts)
        return self.run.predict(featurizer.transform(inputs.rows, "input")), inputs

    def rows_outputs(self, rows: Dataset) -> Outputs:
        """The model's outputs for rows in the featurizer's columns (a chunk of a table)."""
        return self.run.predict(self.run.features.transform(rows, "input"))

    def write(self, files: list[str], texts: list[str], out: Path) -> int:
        """Write ``out`` (CSV): the input rows, then `output_columns`. Tables are read and
        predicted `CHUNK_ROWS` rows at a time, so that a large file needs little memory;
        texts and images are one row each, their ``input`` (the text, or the file). The
        file appears complete or not at all. Returns the rows written.

        Raises:
            ConfigError: as `outputs`; nothing is written.
        """
        if self.run.features.kind != "tabular":
            outputs, inputs = self.outputs(files, texts)
            frame = pd.DataFrame({"input": inputs.labels})
            frame = frame.assign(**output_columns(outputs, self.classes, self.target))
            with atomic_file(out) as file:
                frame.to_csv(file, index=False)
            return len(frame)
        chunks = table_chunks(files, CHUNK_ROWS)  # checks every file before any is read
        written = 0
        with atomic_file(out) as file:
            for chunk in chunks:
                outputs = self.rows_outputs(Dataset.from_pandas(chunk, preserve_index=False))
                chunk = chunk.assign(**output_columns(outputs, self.classes, self.target))
                chunk.to_csv(file, index=False, header=written == 0)
                written += len(chunk)
        return written

    def _answer(self, x: Rows) -> tuple[Outputs, pd.Index | None]:
        """The outputs for ``x``, and its index when it is a DataFrame."""
        if isinstance(x, pd.DataFrame):
            return self.rows_outputs(Dataset.from_pandas(x, preserve_index=False)), x.index
        if isinstance(x, np.ndarray) and x.ndim == 2:
            return self._answer(self._frame(x))
        if isinstance(x, str | Path) or not isinstance(x, Sequence | np.ndarray):
            raise ConfigError(
                f"x: expected a pandas DataFrame, a list of {self._list_items()} or a 2-D "
                f"array of rows, got {type(x).__name__}"
            )
        items = [str(item) for item in x]
        texts = items if self.run.features.kind == "text" else []
        outputs, _ = self.outputs([] if texts else items, texts)
        return outputs, None

    def _frame(self, array: np.ndarray) -> pd.DataFrame:
        columns = list(getattr(self.run.features, "inputs", None) or [])
        if self.run.features.kind != "tabular" or array.shape[1] != len(columns):
            raise ConfigError(
                f"x: a {array.shape[0]} x {array.shape[1]} array; expected "
                + (
                    f"one column per input ({len(columns)}: {', '.join(columns)})"
                    if columns and self.run.features.kind == "tabular"
                    else f"a list of {self._list_items()}"
                )
            )
        return pd.DataFrame(array, columns=columns)

    def _list_items(self) -> str:
        return {"text": "texts", "image": "image files or folders"}.get(
            self.run.features.kind, "CSV files"
        )

    def _no(self, kind: str, wanted: str) -> str:
        model = self.run.cfg.model.name
        if kind == "margins":
            return f"model '{model}' was {MARGINS_NOTE}; use decision_function(x)"
        if kind == "values":
            return f"model '{model}' predicts values (regression), not {wanted}; use predict(x)"
        return f"model '{model}' gives probabilities, not {wanted}; use predict_proba(x)"


def load(folder: str | Path, trust: Trust | None = None) -> Predictor:
    """The predictor of a run folder, a model file in one, a protocol folder (its
    ``winner/``) or a sweep folder (the leaderboard's best run): see `load_run`.

    Args:
        folder: the run, protocol or sweep folder, or a checkpoint file in a run.
        trust: what the user trusts in the folder beyond the allow-list (`Trust`); None:
            nothing.

    Raises:
        ConfigError: as `load_run`: no such run, an untrusted config or model file, a run
            whose saved featurizer cannot be read.
    """
    run = load_run(folder, with_data=False, trust=trust)
    return Predictor(run, run.note)


def predicted(
    outputs: Outputs, classes: list[str] | None, target: str, index: pd.Index | None = None
) -> pd.Series | pd.DataFrame:
    """The answer per row: the class name with the largest score, or the value(s)."""
    values = outputs.values.numpy()
    if outputs.kind == "values":
        if values.ndim == 2 and values.shape[1] > 1:
            return pd.DataFrame(values, columns=target.split(","), index=index)
        return pd.Series(values.reshape(len(values)), name=target, index=index)
    names = np.asarray(classes, dtype=object)
    return pd.Series(names[values.argmax(axis=1)], name=target, index=index)


def output_columns(outputs: Outputs, classes: list[str] | None, target: str) -> dict[str, Any]:
    """The columns `experiments-predict --out` adds to each input row: ``predicted_<target>``,
    then per class ``p_<class>`` (probabilities) or ``margin_<class>`` (hinge models)."""
    answer = predicted(outputs, classes, target)
    if isinstance(answer, pd.DataFrame):
        columns = {f"predicted_{name}": answer[name].to_numpy() for name in answer.columns}
    else:
        columns = {f"predicted_{target}": answer.to_numpy()}
    if outputs.kind != "values":
        prefix = "p" if outputs.kind == "probabilities" else "margin"
        values = outputs.values.numpy()
        columns |= {f"{prefix}_{name}": values[:, i] for i, name in enumerate(classes or [])}
    return columns
