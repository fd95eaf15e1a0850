"""How the reports say things. Differences between two models in words: which side is better
and by how much, in the metric's units ("mlp's RMSE is 792 higher (worse) than
linear_regression's"), never a bare signed number whose sign the reader has to decode against
the metric's direction; and the data by what the user gave (``wine.csv``, ``pets/``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

from experiments.stats.metric_scale import base_name, metric_range

# How a metric is called in a sentence; other names as logged (``kappa``).
NAMES = {
    "acc": "accuracy", "accuracy": "accuracy", "balanced_acc": "balanced accuracy",
    "f1": "F1", "auroc": "ROC-AUC",
    "ap": "average precision", "rmse": "RMSE", "mae": "MAE", "mse": "MSE", "r2": "R²",
}  # fmt: skip


def metric_words(metric: str) -> str:
    """``test/rmse`` -> ``RMSE``, ``val/acc`` -> ``accuracy``."""
    name = base_name(metric)
    return NAMES.get(name, name)


def amount(metric: str, value: float) -> str:
    """``|value|`` in the metric's units: in points for metrics on a scale of 1 (0.011 ->
    ``1.1 points``), else 4 significant digits (``792.2``, ``1,532``)."""
    size = abs(value)
    if metric_range(metric)[1] == 1.0:
        points = 100 * size
        return f"{points:.1f} points" if points >= 0.1 or points == 0 else f"{points:.2g} points"
    return f"{size:,.4g}"


def compared(a: str, b: str, metric: str, difference: float, higher_is_better: bool) -> str:
    """``mlp's RMSE is 792.2 higher (worse) than linear_regression's``.

    Args:
        a, b: the two sides' names.
        metric: the metric's logged name.
        difference: a's value minus b's, in the metric's units.
        higher_is_better: the metric's direction.
    """
    words = metric_words(metric)
    if difference == 0:
        return f"{a}'s {words} is the same as {b}'s"
    higher = difference > 0
    verdict = "better" if higher == higher_is_better else "worse"
    return (
        f"{a}'s {words} is {amount(metric, difference)} {'higher' if higher else 'lower'} "
        f"({verdict}) than {b}'s"
    )


def data_name(dataset: Mapping[str, Any]) -> str | None:
    """The data as the user gave it, from a run's ``dataset`` config: the name of
    ``dataset.path`` (``wine.csv``; a folder with a slash, ``pets/``) when it reads local
    files, else ``dataset.name`` (``digits``); None when the config has neither."""
    path = dataset.get("path")
    if not path:
        return str(dataset["name"]) if dataset.get("name") else None
    name = PurePath(str(path)).name or str(path)
    folder = (
        str(path).endswith("/") or dataset.get("source") == "imagefolder" or Path(path).is_dir()
    )
    return f"{name}/" if folder else name
