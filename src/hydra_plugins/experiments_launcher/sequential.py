"""The default launcher (``hydra/launcher: basic``): the jobs of a sweep one after another in
this process, as Hydra's own, keeping only a lean return of each.

Hydra's `BasicLauncher` keeps every job's `JobReturn` until the sweep ends, and each holds
two copies of the job's composed config (``cfg``, and ``hydra_cfg`` with Hydra's own node):
about 0.19 MB a job, so a sweep of 2,000 tiny jobs grew by some 400 MB before it wrote its
leaderboard (issue 32). `SequentialLauncher` runs each job as Hydra's does and keeps what a
sweeper reads of it: `lean_return`. Every launcher (this one, the parallel and the SLURM
one) hands back each job through `settled`, which turns an error Hydra would keep silently
into a failed job.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.utils import (
    JobReturn,
    JobStatus,
    configure_log,
    filter_overrides,
    run_job,
    setup_globals,
)
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict

from experiments.compat.hydra import stored_return

log = logging.getLogger(__name__)


def lean_return(job: JobReturn) -> JobReturn:
    """``job`` without the two copies of its config: its overrides, status, return value and
    working folder, and of ``hydra_cfg`` only ``hydra.runtime.output_dir`` (the job's folder,
    which the Optuna sweeper records)."""
    output_dir = (
        OmegaConf.select(job.hydra_cfg, "hydra.runtime.output_dir") if job.hydra_cfg else None
    )
    return JobReturn(
        overrides=job.overrides,
        hydra_cfg=OmegaConf.create({"hydra": {"runtime": {"output_dir": output_dir}}}),
        working_dir=job.working_dir,
        task_name=job.task_name,
        status=job.status,
        _return_value=stored_return(job),
    )


def settled(job: JobReturn, idx: int) -> JobReturn:
    """`lean_return` of ``job``; first, when its task function raised past the run's own
    handling (an import failing at the job's start, a folder it could not lock), which Hydra
    keeps in the return and says nothing of: the error logged with its traceback (call this
    while the job's logging is on, and it lands in its run.log too), the job recorded
    ``failed`` (`record_failure`), and returned as a job that recorded its own failure, so
    that the sweep goes on and its summary counts the job, names it and exits 1."""
    if job.status != JobStatus.FAILED:
        return lean_return(job)
    error = stored_return(job)
    run_dir = Path(str(OmegaConf.select(job.hydra_cfg, "hydra.runtime.output_dir")))
    reason = f"{type(error).__name__}: {error}"
    log.error("job #%d failed: %s  (%s)", idx, reason, run_dir, exc_info=error)
    result = record_failure(run_dir, job.overrides or [], reason)
    return lean_return(dataclasses.replace(job, status=JobStatus.COMPLETED, _return_value=result))


def record_failure(run_dir: Path, overrides: Sequence[str], reason: str) -> dict[str, Any]:
    """Record the job of ``run_dir`` (``overrides``) ``failed`` for ``reason`` in its
    ``result.json``, unless its run recorded how it ended; return the record."""
    # here: Hydra imports this plugin at every start, `--help` included
    from experiments.runs.result import launch_id, now_iso, read_result, record_result

    result = read_result(run_dir) or {}
    if result.get("status") in (None, "running", "interrupted"):
        result = (
            {"overrides": [o for o in overrides if not o.startswith("resume=")]}
            | result
            | {"status": "failed", "error": reason, "finished": now_iso(), "launch": launch_id()}
        )
        record_result(run_dir, result)
    return result


class SequentialLauncher(Launcher):
    """Hydra launcher: each job in this process, in order, as Hydra's basic launcher runs
    it (composition, folder, logging, callbacks); returns `lean_return` of each."""

    def __init__(self) -> None:
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        assert self.config is not None and self.hydra_context is not None
        assert self.task_function is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        log.info("Launching %d jobs locally", len(job_overrides))
        returns = []
        for idx, overrides in enumerate(job_overrides, start=initial_job_idx):
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
            sweep_config = self.hydra_context.config_loader.load_sweep_config(
                self.config, list(overrides)
            )
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = idx
                sweep_config.hydra.job.num = idx
            job = run_job(
                hydra_context=self.hydra_context,
                task_function=self.task_function,
                config=sweep_config,
                job_dir_key="hydra.sweep.dir",
                job_subdir_key="hydra.sweep.subdir",
            )
            returns.append(settled(job, idx))  # the job's logging still on: into its run.log
            configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return returns


@dataclass
class SequentialLauncherConf:
    _target_: str = "hydra_plugins.experiments_launcher.sequential.SequentialLauncher"


# Stored after Hydra's own (Hydra imports its core plugins before the hydra_plugins packages):
# `hydra/launcher: basic`, the default, stays the name.
ConfigStore.instance().store(
    group="hydra/launcher", name="basic", node=SequentialLauncherConf, provider="experiments"
)
