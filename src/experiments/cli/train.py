"""`experiments-train`: one run, or with ``-m`` a sweep, from the composed Hydra config.

A thin entry over the core run (`experiments.core`): Hydra composes the config and names the
job's folder; `experiments.core.job.start` skips, trains and records it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig
from pytorch_lightning.utilities import rank_zero_only

from experiments.config import ConfigError
from experiments.config.model_keys import hide_from_first_composition
from experiments.core.job import Job, start
from experiments.io.lock import folder_lock
from experiments.report.sweep_end import finish_interrupted_sweep
from experiments.runs.ddp import report_child_errors
from experiments.runs.gpus import claim_gpu
from experiments.runs.interrupt import Interrupted, install_handlers
from experiments.runs.reentry import reentry_argv

log = logging.getLogger(__name__)


def current_job() -> Job:
    hydra_cfg = HydraConfig.get()
    return Job(
        run_dir=Path(hydra_cfg.runtime.output_dir),
        in_sweep=hydra_cfg.mode == RunMode.MULTIRUN,
        overrides=[
            o for o in hydra_cfg.overrides.task if not o.startswith(("resume=", "protocol.job="))
        ],
        hydra=hydra_cfg,
    )


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> dict[str, Any] | None:
    """Entry point of ``experiments-train``: one job, skipped when its folder says ``done``.

    Returns:
        The run's result as in ``result.json`` (for sweepers that read it), or None when the
        run left none.
    """
    _route_lightning_logs()
    job = current_job()
    if cfg.get("gpus"):  # launcher=gpus: before CUDA starts, see only this job's own GPU
        log.info("GPU %s", claim_gpu(cfg.gpus))
    install_handlers()  # Ctrl-C and SIGTERM end the run as `interrupted`, not killed
    if rank_zero_only.rank != 0:  # a DDP child: its parent holds the folder
        report_child_errors()  # its parent fails the job with them
        return start(cfg, job)
    with folder_lock(job.run_dir):  # a second sweep into this folder waits here, then skips
        return start(cfg, job)


def _route_lightning_logs() -> None:
    """Lightning attaches its own console handler when imported before Hydra configures
    logging; hand its records to the root logger so that they reach run.log too."""
    lightning_log = logging.getLogger("pytorch_lightning")
    lightning_log.handlers.clear()
    lightning_log.propagate = True


def cli() -> None:
    """Console entry of ``experiments-train``: ``resume=<run folder>`` and DDP child
    processes become single runs of their recorded job (`experiments.runs.reentry`), a
    sweep's fixed keys under ``model`` go to each job's model
    (`experiments.config.model_keys`), then Hydra takes over."""
    try:
        sys.argv = hide_from_first_composition(reentry_argv(sys.argv, os.environ))
    except ConfigError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    install_handlers()  # also for a sweep's launching process, between and around its jobs
    try:
        main()
    except Interrupted as stop:
        print(f"interrupted: {stop.reason}", file=sys.stderr)
        finish_interrupted_sweep(stop.reason)
        sys.exit(stop.exit_code)


if __name__ == "__main__":
    cli()
