"""Hydra's basic sweeper with a cheaper up-front check.

Before launching, Hydra's `BasicSweeper` composes the config of every job, so that a bad
option (``model=mlp,nope``) fails before any job runs; the launcher then composes each again.
A composition costs about 0.1 s on a quiet 2-core machine, which is half the cost of a tiny
job in a sweep of many (issue 16). Jobs that differ only in numbers, booleans or nulls
(``seed=0,1,2``, ``model.C=0.1,1``) read the same config files and compose alike, so this
sweeper checks one job per shape: the same bad options still fail before any job runs.
Its compositions also share one parse of each config file (`experiments.config.parse_once`).

Its name is ``hydra/sweeper: grid`` (conf/hydra/sweeper/grid.yaml), which the package's
``train.yaml`` selects: the same keys and the same grid as Hydra's ``basic``, which every
other Hydra app in the environment keeps.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from experiments.compat.hydra import basic_sweeper
from experiments.config.model_keys import as_fixed, compose_each
from experiments.config.parse_once import parse_each_file_once


class GridSweeper(basic_sweeper()):
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
            return super().sweep(as_fixed(arguments))
        except OSError as error:
            if error.errno is None:  # Hydra's MissingConfigException is an OSError too
                raise
            from experiments.report.sweep_end import finish_interrupted_sweep  # at the end only

            print(f"'{error.filename}' could not be written: {error.strerror}", file=sys.stderr)
            finish_interrupted_sweep("a file that could not be written (above)")
            sys.exit(1)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Compose one job per shape (a bad option fails here); then, for jobs that run on
        this machine, load each distinct dataset once and check each model against it:
        a problem that every job of a shape would meet stops the sweep before any job, each
        said once (exit 2)."""
        from experiments.config import ConfigError  # at sweep time only

        loader = self.hydra_context.config_loader
        try:  # a fixed key under model that some models lack: said once, naming them
            configs = compose_each(
                list(one_per_shape(batch)),
                lambda overrides: loader.load_sweep_config(self.config, overrides),
            )
        except ConfigError as error:
            problems = error.problems
        else:
            if "slurm" in str(self.config.hydra.launcher.get("_target_", "")).lower():
                return  # its data may be where only the cluster's nodes see it
            problems = data_problems(configs)
        if problems:
            print("Bad configuration, found before any job ran:\n  " + "\n  ".join(problems))
            sys.exit(2)


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


# An experiment that compares models of each task, for the message of a mismatch.
TASK_EXPERIMENTS = {
    "regression": "experiment=regression",
    "classification": "experiment=svm_vs_deep",
}


def data_problems(configs: Sequence[DictConfig]) -> list[str]:
    """What the jobs of ``configs`` would fail on before training that their data decides:
    the dataset itself (each distinct one loaded once, in this process; the data cache
    hands the jobs the same tensors) and each model against its data (its kind's
    ``check_data`` and ``check_task``). Each problem once, in order, with the experiment
    that fits the data's task when models do not."""
    from experiments.config import ConfigError, instantiate_checked  # at sweep time only
    from experiments.kinds import model_kind

    problems: list[str] = []
    loaded: dict[str, Any] = {}
    for cfg in configs:
        key = OmegaConf.to_yaml(cfg.dataset, resolve=True)
        try:
            if key not in loaded:
                loaded[key] = None  # a dataset that fails is reported once
                datamodule = instantiate_checked(cfg.dataset, "dataset", shuffle_seed=cfg.seed)
                loaded[key] = (datamodule, datamodule.load())
            if loaded[key] is None:
                continue
            datamodule, shapes = loaded[key]
            kind = model_kind(cfg.model)
            kind.check_data(cfg.model, datamodule)
            if callable(check := getattr(kind, "check_task", None)):
                check(cfg.model, shapes)
        except ConfigError as error:
            problems += [p for p in error.problems if p not in problems]
    tasks = {entry[1].task for entry in loaded.values() if entry}
    if any("(dataset.task)" in p for p in problems) and len(tasks) == 1:
        (task,) = tasks
        problems.append(f"the data is a {task} task: for its models, {TASK_EXPERIMENTS[task]}")
    return problems
