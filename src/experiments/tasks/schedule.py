"""`Schedule`: a learning-rate schedule as a run configures it. No Lightning here: the
network builder checks a ``scheduler`` config with it before any task is built."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

SCHEDULE_INTERVALS = ("epoch", "step")


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: the scheduler's factory, when it steps and what it watches.

    Args:
        factory: builds the scheduler from the optimizer (a Hydra partial). What the run
            knows is passed by parameter name where the factory takes it and the config
            left it unset: ``total_steps`` (optimizer steps of the whole run),
            ``steps_per_epoch`` and ``epochs`` (e.g. `torch.optim.lr_scheduler.OneCycleLR`).
        interval: ``epoch`` or ``step``: when the scheduler steps.
        monitor: the logged metric a scheduler such as ``ReduceLROnPlateau`` watches.
        frequency: intervals between steps of the scheduler.
    """

    factory: Callable[..., Any]
    interval: str = "epoch"
    monitor: str | None = None
    frequency: int = 1

    def create(self, optimizer: torch.optim.Optimizer, total_steps: int, epochs: int) -> Any:
        """The scheduler for ``optimizer`` in a run of ``epochs`` epochs and ``total_steps``
        optimizer steps."""
        known = {
            "total_steps": total_steps,
            "epochs": epochs,
            "steps_per_epoch": max(total_steps // max(epochs, 1), 1),
        }
        parameters = inspect.signature(self.factory).parameters
        given = getattr(self.factory, "keywords", {})
        offered = {k: v for k, v in known.items() if k in parameters and given.get(k) is None}
        return self.factory(optimizer, **offered)
