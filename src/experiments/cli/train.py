"""`experiments-train`: one run, or with ``-m`` a sweep, from the composed Hydra config.

A thin entry over the core run (`experiments.core`): Hydra composes the config and names the
job's folder; `experiments.core.job.start` skips, trains and records it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from omegaconf import DictConfig

import experiments.runs.config_folder  # noqa: F401  (registers `unless_done`: Hydra resolves it before the job)
from experiments.cli.train_help import help_request, help_text
from experiments.config.errors import ConfigError
from experiments.config.model_keys import hide_from_first_composition
from experiments.runs.interrupt import Interrupted, install_handlers
from experiments.runs.reentry import reentry_argv

# Torch, Lightning and the data libraries are imported by the job that needs them, not at
# start: `--help`, a sweep's launching process and a skipped job never pay for them.
if TYPE_CHECKING:
    from experiments.core.job import Job

log = logging.getLogger(__name__)


def current_job() -> Job:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from experiments.core.job import Job

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
    _import_lightning()
    from pytorch_lightning.utilities import rank_zero_only

    from experiments.core.job import start
    from experiments.io.lock import folder_lock
    from experiments.runs.ddp import report_child_errors
    from experiments.runs.gpus import claim_gpu

    job = current_job()
    if cfg.get("gpus"):  # launcher=gpus: before CUDA starts, see only this job's own GPU
        log.info("GPU %s", claim_gpu(cfg.gpus))
    install_handlers()  # Ctrl-C and SIGTERM end the run as `interrupted`, not killed
    if rank_zero_only.rank != 0:  # a DDP child: its parent holds the folder
        report_child_errors()  # its parent fails the job with them
        return start(cfg, job)
    with folder_lock(job.run_dir):  # a second sweep into this folder waits here, then skips
        return start(cfg, job)


def _import_lightning() -> None:
    """Import Lightning under the job's logging. On import Lightning sets its logger's level
    to INFO (keep the level Hydra's ``job_logging`` gave), and attaches its own console
    handler when imported before Hydra configured logging (the Python API, tests): hand its
    records to the root logger so that they reach run.log too."""
    lightning_log = logging.getLogger("pytorch_lightning")
    level = lightning_log.level
    import pytorch_lightning  # noqa: F401

    lightning_log.setLevel(level)
    lightning_log.handlers.clear()
    lightning_log.propagate = True


def cli() -> None:
    """Console entry of ``experiments-train``: ``resume=<run folder>`` and DDP child
    processes become single runs of their recorded job (`experiments.runs.reentry`), a
    sweep's fixed keys under ``model`` go to each job's model
    (`experiments.config.model_keys`), then Hydra takes over. A plain ``--help`` is
    answered from the config folders without Hydra's composition (`train_help`)."""
    help_folders = help_request(sys.argv)
    if help_folders is not None:
        print(help_text(help_folders))
        return
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
        from experiments.report.sweep_end import finish_interrupted_sweep

        finish_interrupted_sweep(stop.reason)
        sys.exit(stop.exit_code)


if __name__ == "__main__":
    cli()
