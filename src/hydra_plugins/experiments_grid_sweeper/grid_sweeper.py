"""Hydra's basic sweeper with a cheaper up-front check.

Before launching, Hydra's `BasicSweeper` composes the config of every job, so that a bad
option (``model=mlp,nope``) fails before any job runs; the launcher then composes each again.
A composition costs about 0.1 s on a quiet 2-core machine, which is half the cost of a tiny
job in a sweep of many (issue 16). Jobs that differ only in numbers, booleans or nulls
(``seed=0,1,2``, ``model.C=0.1,1``) read the same config files and compose alike, so this
sweeper checks one job per shape: the same bad options still fail before any job runs.
Its compositions also share one parse of each config file (`experiments.config.parse_once`).

It takes the place of Hydra's (``hydra/sweeper: basic``, the default, stays the name): the
same keys and the same grid, so experiment files and command lines do not change.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from experiments.config.parse_once import parse_each_file_once


class GridSweeper(BasicSweeper):
    """Every combination of the sweep lists, as Hydra's basic sweeper; see the module."""

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)
        parse_each_file_once(hydra_context.config_loader)

    def sweep(self, arguments: list[str]) -> Any:
        """Hydra's sweep; a file Hydra cannot write (a job's ``.hydra/`` on a full disk) ends
        it with the summary of the jobs so far and one line, exit 1, not a traceback."""
        try:
            return super().sweep(arguments)
        except OSError as error:
            from experiments.report.sweep_end import finish_interrupted_sweep  # at the end only

            print(f"'{error.filename}' could not be written: {error.strerror}", file=sys.stderr)
            finish_interrupted_sweep("a file that could not be written (above)")
            sys.exit(1)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        super().validate_batch_is_legal(list(one_per_shape(batch)))


@dataclass
class GridSweeperConf(BasicSweeperConf):
    _target_: str = "hydra_plugins.experiments_grid_sweeper.grid_sweeper.GridSweeper"


# Stored after Hydra's own (Hydra imports its core plugins before the hydra_plugins packages).
ConfigStore.instance().store(
    group="hydra/sweeper", name="basic", node=GridSweeperConf, provider="experiments"
)


def one_per_shape(batch: Sequence[Sequence[str]]) -> Iterator[Sequence[str]]:
    """The first job of each shape in ``batch``, in order (see `job_shape`)."""
    seen = set()
    for overrides in batch:
        shape = job_shape(overrides)
        if shape not in seen:
            seen.add(shape)
            yield overrides


def job_shape(overrides: Sequence[str]) -> tuple[tuple[str, str | None], ...]:
    """Each override's key with its value, the value left out where it is a number, a
    boolean or null: such values choose no config file, so they cannot decide whether the
    config composes."""
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    return tuple(
        (
            override.get_key_element(),
            None
            if isinstance(override.value(), bool | int | float) or override.value() is None
            else override.get_value_element_as_str(),
        )
        for override in parsed
    )
