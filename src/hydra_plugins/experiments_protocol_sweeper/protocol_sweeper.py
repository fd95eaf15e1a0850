"""A Hydra sweeper that runs the fair-comparison protocol (`experiments.protocol`).

``experiments-train -m experiment=svm_vs_deep protocol=fair`` (or ``model=a,b,c``): the
sweep's ``model`` list names the models; each is searched with its own YAML's
``search_space`` inside every split (or once: ``protocol.tuning=once``), and each split's
chosen configuration re-trained with several seeds and scored on that split's test rows. The
jobs go through the configured launcher in batches, so ``launcher=parallel`` and
``launcher=slurm`` work; the second phase is decided from the first phase's ``result.json``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.errors import HydraException
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from experiments.config.model_keys import as_fixed, compose_each
from experiments.config.parse_once import parse_each_file_once

if TYPE_CHECKING:
    from experiments.protocol.jobs import Job

log = logging.getLogger(__name__)


class ProtocolSweeper(Sweeper):
    """Runs the protocol over the models of the sweep.

    Bad input (a single model, another swept key, a bad ``protocol`` value, a search space
    key the model does not take, splits that cannot be made) is reported at once, naming
    each key, and the process exits with status 2 before any job runs.

    Args:
        params: the sweep from config (experiment files set ``model: a,b,c``); command-line
            sweeps replace or add to it.
    """

    WHAT: ClassVar[str] = "protocol"  # in messages
    SWEPT: ClassVar[tuple[str, ...]] = ("model",)  # keys whose sweep the sweeper reads itself
    # Sweeps the protocol replaces with its own: it searches each model, and sets seeds itself.
    REPLACED: ClassVar[Mapping[str, str]] = MappingProxyType({"seed": "protocol.seeds"})

    def __init__(self, params: dict[str, str] | None = None) -> None:
        self.params = dict(params or {})
        self.job_index = 0

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )
        parse_each_file_once(hydra_context.config_loader)

    def sweep(self, arguments: list[str]) -> None:
        from experiments.config import ConfigError
        from experiments.protocol.checks import verdict_warning
        from experiments.protocol.run import run_protocol

        try:
            settings, models, fixed = self._plan(arguments)
        except ConfigError as error:
            log.error("Bad protocol:\n  %s", "\n  ".join(error.problems))
            sys.exit(2)
        if warning := verdict_warning(settings.splits):
            log.warning(warning)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        log.info(
            "protocol: %d models x %d trials (%s, %s tuning), %d splits x %d seeds; "
            "selecting on %s",
            len(models), settings.trials, settings.sampler, settings.tuning, settings.splits,
            settings.seeds, settings.monitor,
        )  # fmt: skip
        run_protocol(models, settings, sweep_dir, lambda jobs: self._launch(fixed, jobs))

    def _plan(self, arguments: list[str]) -> tuple[Any, list[Any], list[str]]:
        """The settings, each model's search and the overrides every job gets.

        Raises:
            ConfigError: every problem found, each naming its key.
        """
        from experiments.config import ConfigError
        from experiments.protocol.checks import check_splits

        swept, fixed, problems = self._split(arguments)
        names = swept["model"]
        problems += self._model_count_problems(names)
        settings, models, more = self._searches(names, fixed)
        if problems or more:
            raise ConfigError(problems + more)
        check_splits(self._compose(fixed).dataset, range(settings.splits))
        return settings, models, fixed

    def _model_count_problems(self, names: list[str]) -> list[str]:
        if len(names) >= 2:
            return []
        return [
            f"model: a {self.WHAT} compares several models, got {', '.join(names)}; "
            "give them as a sweep, e.g. model=svm_linear,mlp or experiment=svm_vs_deep"
        ]

    def _searches(
        self, names: list[str], fixed: list[str], dataset: DictConfig | None = None
    ) -> tuple[Any, list[Any], list[str]]:
        """The protocol's settings and each model's search, and the problems found, on the
        config's dataset (or ``dataset``, the composed one of a suite's datasets)."""
        from experiments.config import ConfigError
        from experiments.protocol.checks import model_search
        from experiments.protocol.settings import ProtocolSettings
        from experiments.tasks.monitor import resolve_monitor

        problems = []
        try:
            # monitor=auto follows the data's task, as each job resolves it (ratings data
            # has no task: its experiments name the monitor)
            task = (self.config.dataset if dataset is None else dataset).get("task")
            monitor, mode = resolve_monitor(
                self.config.monitor, self.config.monitor_mode, task, None,
                self.config.get("metrics"),
            )  # fmt: skip
            settings = ProtocolSettings.from_config(self.config.protocol, monitor, mode)
        except ConfigError as error:
            problems += error.problems
            settings = None
        pinned = {_key(line) for line in fixed}
        loader = self.hydra_context.config_loader
        try:  # a fixed key under model that some models lack: said once, naming them
            configs = compose_each(
                [[*fixed, f"model={name}"] for name in names],
                lambda overrides: loader.load_sweep_config(self.config, overrides),
            )
        except ConfigError as error:
            return settings, [], problems + error.problems
        models = []
        for config in configs:
            try:
                models.append(model_search(config, pinned))
            except ConfigError as error:
                problems += error.problems
        return settings, models, problems

    def _split(self, arguments: list[str]) -> tuple[dict[str, list[str]], list[str], list[str]]:
        """The values of each key of `SWEPT` that has a sweep (``model`` always: the
        config's model when none is swept), the overrides every job gets, and problems with
        the sweep."""
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        lines = [f"{key}={value}" for key, value in self.params.items()] + as_fixed(arguments)
        overrides = {}  # by key: the command line replaces the config's sweep
        for override in parser.parse_overrides(lines):
            overrides[override.get_key_element()] = override
        swept: dict[str, list[str]] = {"model": [str(self.config.model.name)]}
        fixed: list[str] = []
        problems = []
        for key, override in overrides.items():
            if key in self.SWEPT:
                values = (
                    override.sweep_string_iterator()
                    if override.is_sweep_override()
                    else [override.value()]
                )
                swept[key] = [str(value) for value in values]
            elif not override.is_sweep_override():
                fixed.append(override.input_line)
            elif key in self.REPLACED:
                log.info("%s: the sweep of %s is replaced by %s", self.WHAT, key, self.REPLACED[key])  # fmt: skip
            else:
                problems.append(self._sweep_problem(key))
        return swept, fixed, problems

    def _sweep_problem(self, key: str) -> str:
        """The message for a swept ``key`` the sweeper does not take."""
        return (
            f"{key}: a protocol sweeps models only; each model searches its own "
            f"model.search_space (give {key} one value, or put it in the search space)"
        )

    def _compose(self, overrides: list[str]) -> DictConfig:
        try:
            return self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        except HydraException as error:
            from experiments.config import ConfigError

            raise ConfigError(str(error)) from error

    def _launch(self, fixed: list[str], jobs: Sequence[Job]) -> None:
        if not jobs:
            return
        batch = [[*fixed, *job.overrides] for job in jobs]
        self.launcher.launch(batch, initial_job_idx=self.job_index)
        self.job_index += len(batch)


def _key(line: str) -> str:
    return line.split("=", 1)[0].lstrip("+~")
