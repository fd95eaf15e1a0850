"""A Hydra sweeper that runs a suite (`experiments.protocol.suite`): the fair protocol on each
of several datasets.

``experiments-train -m suite=uci`` (models from the suite file, or ``model=a,b,c``): every
dataset of the suite gets the protocol of ``protocol=fair`` (the suite file selects it), into
``<sweep>/<dataset>/``. The batches of all datasets go through the configured launcher
together (with random draws: one launch for every search job, one for every final job), so
``launcher=parallel`` or ``launcher=slurm`` keeps its workers busy across datasets. The
report across datasets is written by the end-of-sweep callback (`experiments.report.suite`).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from omegaconf import OmegaConf

from hydra_plugins.experiments_protocol_sweeper.protocol_sweeper import ProtocolSweeper

if TYPE_CHECKING:
    from experiments.protocol.jobs import Job
    from experiments.protocol.suite import SuiteDataset

log = logging.getLogger(__name__)
# Set by the suite for every dataset: a fixed override of one would be silently replaced.
SUITE_SETS = ("dataset", "dataset.path", "dataset.name")


@dataclasses.dataclass(frozen=True)
class _Plan:
    """What a suite runs: its datasets, and for each its protocol's settings and searches."""

    datasets: list[SuiteDataset]
    settings: dict[str, Any]  # dataset name -> ProtocolSettings
    searches: dict[str, list[Any]]  # dataset name -> [ModelSearch]
    configs: dict[str, Any]  # dataset name -> its composed config
    fixed: list[str]  # what every job gets


class SuiteSweeper(ProtocolSweeper):
    """Runs the fair protocol over the sweep's models on every dataset of the suite.

    Bad input (what the protocol refuses, on any dataset; no datasets, a table that is not
    there, a dataset key the suite sets itself, a learning curve) is reported at once, each
    problem named, and the process exits with status 2 before any job runs.
    """

    WHAT: ClassVar[str] = "suite"

    def sweep(self, arguments: list[str]) -> None:
        from experiments.config import ConfigError
        from experiments.protocol.run import protocol_batches
        from experiments.protocol.suite import run_suite

        try:
            plan = self._plan_suite(arguments)
        except ConfigError as error:
            log.error("Bad suite:\n  %s", "\n  ".join(error.problems))
            sys.exit(2)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        self._write_plan(sweep_dir, plan)
        first = next(iter(plan.settings.values()))
        log.info(
            "suite %s: %d datasets (%s) x %d models, each the protocol: %d trials (%s, %s "
            "tuning), %d splits x %d seeds",
            self.config.suite.name, len(plan.datasets),
            ", ".join(d.name for d in plan.datasets), len(next(iter(plan.searches.values()))),
            first.trials, first.sampler, first.tuning, first.splits, first.seeds,
        )  # fmt: skip
        overrides = {d.name: d.overrides for d in plan.datasets}
        protocols = {
            name: protocol_batches(plan.searches[name], settings, sweep_dir, prefix=f"{name}/")
            for name, settings in plan.settings.items()
        }
        run_suite(protocols, lambda round_: self._launch_round(plan.fixed, overrides, round_))

    def _plan_suite(self, arguments: list[str]) -> _Plan:
        """Every dataset's protocol settings and model searches, checked as the protocol
        checks them (splits included) on every dataset.

        Raises:
            ConfigError: every problem found, each naming its key (and its dataset where
                only that dataset has it).
        """
        from experiments.config import ConfigError
        from experiments.protocol.suite import SuiteSettings, budget_overrides, suite_datasets

        swept, fixed, problems = self._split(arguments)
        problems += self._model_count_problems(swept["model"])
        problems += [
            f"{_key(line)}: a suite sets it for each of its datasets; give the datasets in "
            "suite.path (a folder of tables, read with suite.dataset) or suite.configs "
            "(dataset configs)"
            for line in fixed
            if _key(line) in SUITE_SETS
        ]
        if self.config.get("curve") is not None:
            problems.append("curve: a suite runs the protocol on each dataset, not a learning curve")  # fmt: skip
        try:
            suite = SuiteSettings.from_config(self.config.suite)
            datasets = suite_datasets(suite, Path.cwd())
        except ConfigError as error:
            raise ConfigError(problems + error.problems) from None
        fixed = [*fixed, *budget_overrides(suite)]
        plan = _Plan(datasets, {}, {}, {}, fixed)
        for dataset in datasets:
            problems += self._plan_dataset(plan, dataset, swept["model"])
        if problems:
            raise ConfigError(list(dict.fromkeys(problems)))  # a model's problem once
        return plan

    def _plan_dataset(self, plan: _Plan, dataset: SuiteDataset, models: list[str]) -> list[str]:
        """Fill in ``plan`` for ``dataset``; return the problems found."""
        from experiments.config import ConfigError
        from experiments.protocol.checks import check_splits

        overrides = [*plan.fixed, *dataset.overrides]
        try:
            plan.configs[dataset.name] = config = self._compose(overrides)
        except ConfigError as error:
            return [f"{dataset.name}: {problem}" for problem in error.problems]
        settings, searches, problems = self._searches(models, overrides, config.dataset)
        if settings is None or problems:
            return problems
        plan.settings[dataset.name], plan.searches[dataset.name] = settings, searches
        try:
            check_splits(config.dataset, range(settings.splits))
        except ConfigError as error:
            return [f"{dataset.name}: {problem}" for problem in error.problems]
        return []

    def _write_plan(self, sweep_dir: Path, plan: _Plan) -> None:
        """``multirun.yaml`` and ``suite.yaml`` in the sweep folder, and each dataset's
        composed config as its protocol folder's ``multirun.yaml`` (its report reads the
        protocol's settings there)."""
        from experiments.io.atomic import write_atomic
        from experiments.protocol.suite import SUITE_FILE

        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        suite = OmegaConf.to_container(self.config.suite, resolve=True)
        record = {"suite": suite, "datasets": {d.name: d.source for d in plan.datasets}}
        write_atomic(sweep_dir / SUITE_FILE, OmegaConf.to_yaml(record))
        for name, config in plan.configs.items():
            (sweep_dir / name).mkdir(exist_ok=True)
            OmegaConf.save(config, sweep_dir / name / "multirun.yaml")

    def _launch_round(
        self, fixed: list[str], overrides: Mapping[str, Sequence[str]], round_: Mapping[str, Sequence[Job]]
    ) -> None:  # fmt: skip
        """One launch of every dataset's next batch, each job with its dataset's overrides."""
        jobs = [
            dataclasses.replace(job, overrides=(*overrides[name], *job.overrides))
            for name, batch in round_.items()
            for job in batch
        ]
        self._launch(fixed, jobs)


def _key(line: str) -> str:
    return line.split("=", 1)[0].lstrip("+~")
