"""TensorBoard records beyond the curves: hyperparameters next to the final metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from experiments.compat.tensorboard import write_summaries


def flatten(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists and None become strings (TensorBoard
    takes only numbers, strings and booleans as hyperparameters)."""
    flat: dict[str, Any] = {}
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat |= flatten(value, f"{name}.")
        elif isinstance(value, bool | int | float | str):
            flat[name] = value
        else:
            flat[name] = str(value)
    return flat


def write_hparams(
    writer: SummaryWriter, params: Mapping[str, Any], metrics: Mapping[str, float]
) -> None:
    """Write the HPARAMS record of a run: ``params`` with the final ``metrics``.

    TensorBoard's HPARAMS tab shows, for each metric, the last scalar logged under that tag
    in the same run folder: the caller logs them as scalars too. Only the session records
    are written, not the experiment record: given none, TensorBoard builds the table's
    columns from every run below the log folder, so a sweep mixing models with different
    hyperparameters (an SVM's ``C``, an MLP's widths) shows all of them; given one per run,
    it would take one run's columns at random for the whole sweep.
    """
    _, session_start, session_end = hparams(dict(params), dict(metrics))
    write_summaries(writer, (session_start, session_end))
