"""A thin Hydra sweeper on Optuna's ask-and-tell API (current Optuna, any storage).

The official hydra-optuna-sweeper pins Optuna below 3, whose SQLite storage breaks with
SQLAlchemy 2. This one asks Optuna for trials, launches them as Hydra jobs through the
configured launcher, and tells Optuna each job's result. The search space is written in
Hydra's sweep syntax (`experiments.protocol.space`).
"""

from __future__ import annotations

import logging
import math
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.errors import HydraException
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from experiments.config.model_keys import as_fixed
from experiments.config.parse_once import parse_each_file_once
from experiments.protocol.space import distribution

if TYPE_CHECKING:
    import optuna

log = logging.getLogger(__name__)
TRIAL_KEY = "search.trial"  # the root config key that tells a job its trial number
DIRECTIONS = {"max": "maximize", "min": "minimize", "maximize": "maximize", "minimize": "minimize"}


class OptunaSweeper(Sweeper):
    """Runs an Optuna study as a Hydra multirun.

    Each trial is one job, launched with the sampled values and ``search.trial=<number>``
    (jobs use it to name their folder and to report to the pruner). The study lives in
    ``storage``: re-running the same command resumes it, and several processes may work on
    one study at once. The study records what it searches (`experiments.search.study`: data,
    model and settings, metric, direction, search space); a study of the same name made for
    another search is refused (exit 2) with the command that starts a new study. When ``n_trials`` trials of the study have finished (complete or
    pruned), the best trial is written next to the study as ``best_trial.yaml`` and its
    composed config as ``best_config.yaml``. A job that fails is told to Optuna as failed.
    Interrupted (Ctrl-C), the trials in flight are told as failed before exiting.

    Args:
        study_name: the study's name in ``storage``.
        storage: an Optuna storage URL (``sqlite:///path/study.db``), or ``journal:<path>``
            for a journal file on a filesystem that processes on several nodes share.
        metric: the key of the job result's ``metrics`` to optimize (the ``monitor``).
        direction: ``max``/``maximize`` or ``min``/``minimize``.
        n_trials: finished trials the study should reach; a resumed study runs the rest. Several
            processes end together, possibly a few trials over.
        n_jobs: trials launched at once (asked together; parallel with a parallel launcher).
        sampler: an ``optuna.samplers.BaseSampler`` (TPE by default).
        params: the search space, key to override text; command-line sweeps add to it.
    """

    def __init__(
        self,
        study_name: str,
        storage: str,
        metric: str,
        direction: str,
        n_trials: int,
        n_jobs: int = 1,
        sampler: Any = None,
        params: dict[str, str] | None = None,
    ) -> None:
        if direction not in DIRECTIONS:
            raise HydraException(
                f"hydra.sweeper.direction: expected one of {', '.join(DIRECTIONS)}, got {direction!r}"
            )
        self.study_name = study_name
        self.storage = storage
        self.metric = metric
        self.direction = DIRECTIONS[direction]
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.sampler = sampler
        self.params = dict(params or {})

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
        import optuna
        from optuna.trial import TrialState

        from experiments.search.storage import open_storage

        space, fixed = self._split(arguments)
        if not space:
            raise HydraException(
                "the Optuna sweeper has nothing to search: give hydra.sweeper.params or a sweep "
                "override such as 'optimizer.lr=tag(log, interval(1e-4, 1e-1))'"
            )
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        study = optuna.create_study(
            study_name=self.study_name,
            storage=open_storage(self.storage),
            sampler=self.sampler,
            direction=self.direction,
            load_if_exists=True,
        )
        self._check_study(study, space)
        finished = (TrialState.COMPLETE, TrialState.PRUNED)
        job_index = 0
        trials: list[optuna.trial.Trial] = []  # asked and not yet told
        try:
            while (done := len(study.get_trials(deepcopy=False, states=finished))) < self.n_trials:
                trials = [study.ask(space) for _ in range(min(self.n_jobs, self.n_trials - done))]
                batch = [
                    [*fixed, *self._overrides(trial.params, space), f"{TRIAL_KEY}={trial.number}"]
                    for trial in trials
                ]
                returns = self.launcher.launch(batch, initial_job_idx=job_index)
                for trial, job in zip(trials, returns, strict=True):
                    self._tell(study, trial, job)
                trials = []
                job_index += len(batch)
        except BaseException:
            # Interrupted: the trials in flight will not finish; a resumed search asks anew.
            for trial in trials:
                study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
            raise
        self._write_best(study, sweep_dir)

    def _check_study(self, study: optuna.Study, space: dict[str, Any]) -> None:
        """Record what the search is in a new study; exit 2 when the study was made for
        another search (`experiments.search.study.check_study`)."""
        from experiments.config import ConfigError
        from experiments.search.study import check_study, search_identity

        identity = search_identity(self.config, self.metric, self.direction, space)
        try:
            check_study(study, identity, sys.argv)
        except ConfigError as error:
            log.error("Bad search:\n  %s", "\n  ".join(error.problems))
            sys.exit(2)

    def _split(self, arguments: list[str]) -> tuple[dict[str, Any], list[str]]:
        """Config ``params`` and command-line arguments: sweeps into the search space
        (key -> distribution), the rest into overrides every trial gets."""
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        lines = [f"{key}={value}" for key, value in self.params.items()] + as_fixed(arguments)
        space: dict[str, Any] = {}
        fixed: list[str] = []
        for override in parser.parse_overrides(lines):
            if override.is_sweep_override():
                space[override.get_key_element()] = distribution(override)
            else:
                fixed.append(override.input_line)
        return space, fixed

    @staticmethod
    def _overrides(params: dict[str, Any], space: dict[str, Any]) -> list[str]:
        return [f"{key}={params[key]}" for key in space]

    def _tell(self, study: optuna.Study, trial: optuna.trial.Trial, job: JobReturn) -> None:
        from optuna.trial import TrialState

        # Where the trial's run folder is, for best_config.yaml, even after a resume.
        trial.set_user_attr("run_dir", str(job.hydra_cfg.hydra.runtime.output_dir))
        result = job.return_value if job.status == JobStatus.COMPLETED else None
        status = result.get("status") if isinstance(result, dict) else None
        value = (result or {}).get("metrics", {}).get(self.metric) if status == "done" else None
        if status == "pruned":
            study.tell(trial, state=TrialState.PRUNED)
        elif value is not None and math.isfinite(value):
            study.tell(trial, value)
        else:
            log.warning("trial %d failed (%s)", trial.number, status or "no result")
            study.tell(trial, state=TrialState.FAIL)

    def _write_best(self, study: optuna.Study, sweep_dir: Path) -> None:
        from optuna.trial import TrialState

        if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            log.warning("no trial of study %s completed: no best trial", self.study_name)
            return
        best = study.best_trial
        summary = {
            "study": self.study_name,
            "metric": self.metric,
            "direction": self.direction,
            "trial": best.number,
            "value": best.value,
            "params": best.params,
            "trials_finished": len(
                study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
            ),
        }
        OmegaConf.save(OmegaConf.create(summary), sweep_dir / "best_trial.yaml")
        config = Path(best.user_attrs.get("run_dir", "")) / ".hydra" / "config.yaml"
        if config.is_file():  # absent when the trial ran on a machine without this folder
            shutil.copyfile(config, sweep_dir / "best_config.yaml")
        log.info(
            "best of %s: trial %d, %s=%.4f, %s",
            self.study_name, best.number, self.metric, best.value, best.params,
        )  # fmt: skip
