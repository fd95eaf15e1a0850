"""A trained run scored on labeled data it has never seen (``experiments-eval data=``): the
same metrics as its test split, and for classifiers the same per-class results and
confusion matrix (`experiments.report.per_class`).

The data is read as a dataset's files are (`experiments.data.sources.resolve_source`: a CSV,
TSV, Parquet or JSON file or folder, or a folder of images in one sub-folder per class), all
its rows scored, through the run's own fitted featurizer (the training data is not read).
The target is the run's ``dataset.target_column`` (``label`` for image folders); a class the
run never saw is an error that names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
from datasets import ClassLabel, Dataset

from experiments.config.errors import ConfigError
from experiments.core.saved import SavedRun
from experiments.data.columns import column_values
from experiments.data.sources import resolve_source
from experiments.kinds.metrics import build_metrics
from experiments.report.per_class import per_class_results
from experiments.tasks.metrics import classification_metrics, regression_metrics


def score_on(run: SavedRun, path: str | Path) -> dict[str, Any]:
    """``run``'s model scored on every row of the labeled data at ``path``.

    Returns:
        ``data`` (the path), ``rows``, ``metrics`` (``test/<name>``, as the run's test
        split), and for classifiers ``per_class`` and ``confusion_matrix`` (rows: true
        class, columns: predicted, in the run's class order), with the run's class names.

    Raises:
        ConfigError: the data cannot be read, has no target or input column, or holds a
            class the run never saw.
    """
    rows = _rows(Path(path), run.cfg.dataset.get("delimiter"))
    target = run.cfg.dataset.target_column
    if target not in rows.column_names:
        raise ConfigError(
            f"data: '{path}' has no column '{target}' (the run's target); its columns are "
            f"{', '.join(rows.column_names)}"
        )
    featurizer = run.features
    if featurizer.kind == "image":  # photos of any size, made like the train images
        column = featurizer.image_column
        images, _ = featurizer.conform(list(rows[column]))
        rows = rows.remove_columns(column).add_column(column, images)
        rows = rows.cast_column(column, datasets.Image())
    outputs = run.predict(featurizer.transform(rows, "data"))
    shapes = run.shapes
    extra = build_metrics(run.cfg.get("metrics"), shapes)
    report: dict[str, Any] = {"data": str(path), "rows": len(rows)}
    if shapes.task != "classification":
        values = torch.as_tensor(np.asarray(column_values(rows, target), dtype=np.float32))
        metrics = regression_metrics(extra)
        metrics.update(outputs.values.float().reshape(values.shape), values)
        return report | {"metrics": _named(metrics.compute())}
    truth = _class_indices(rows, target, shapes.class_values or shapes.class_names, str(path))
    predicted = outputs.values.argmax(dim=1)
    metrics = classification_metrics(shapes.num_outputs, extra)
    metrics.update(predicted, truth)
    per_class = per_class_results(
        {"predicted": predicted.numpy(), "target": truth.numpy(), "scores": outputs.values.numpy()},
        shapes.class_names,
    )
    return report | {
        "metrics": _named(metrics.compute()) | per_class["metrics"],
        "per_class": per_class["per_class"],
        "confusion_matrix": per_class["confusion_matrix"],
    }


def _rows(path: Path, delimiter: str | None) -> Dataset:
    """Every row of the labeled data at ``path``, its splits (if any) together."""
    if not path.exists():
        raise ConfigError(f"data: '{path}' does not exist; expected a labeled file or folder")
    try:
        loaded = resolve_source("data", str(path), delimiter=delimiter).load()
    except ConfigError as error:
        raise ConfigError(
            [problem.replace("dataset.path", "data") for problem in error.problems]
        ) from None
    return datasets.concatenate_datasets(list(loaded.values()))


def _class_indices(
    rows: Dataset, column: str, classes: tuple[str, ...], where: str
) -> torch.Tensor:
    """The target of each row as an index into the run's ``classes`` (values as strings)."""
    feature = rows.features[column]
    raw = column_values(rows, column)
    values = [feature.int2str(int(v)) for v in raw] if isinstance(feature, ClassLabel) else raw
    index = {name: i for i, name in enumerate(classes)}
    unseen = sorted({str(v) for v in values} - set(index))
    if unseen:
        raise ConfigError(
            f"data: '{where}' holds class {', '.join(unseen)} in '{column}', which the run "
            f"never saw; its classes are {', '.join(classes)}"
        )
    return torch.tensor([index[str(v)] for v in values], dtype=torch.int64)


def _named(computed: dict[str, torch.Tensor]) -> dict[str, float]:
    return {f"test/{name}": float(value) for name, value in sorted(computed.items())}
