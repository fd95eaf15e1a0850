"""A job around the core run: skip it when its folder holds a finished run of the same job,
set aside a finished run of another job, start it over or resume it, and map how it ended to
log lines and exit statuses (the one wrapper that owns them, as lightning-hydra-template's
``task_wrapper``)."""

from __future__ import annotations

import logging
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict
from pytorch_lightning.utilities import rank_zero_only

from experiments.config import ConfigError
from experiments.core.training import train
from experiments.kinds import model_files
from experiments.protocol.jobs import DEFAULT, FINAL
from experiments.runs.identity import differences, identity_of
from experiments.runs.interrupt import Interrupted, interruption
from experiments.runs.result import ending, read_result
from experiments.runs.resume import (
    clear_previous_attempt,
    finished_result,
    requeued,
    save_config,
    set_aside,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """This process's job: its folder, whether it is one job of a sweep, and the overrides
    that define it (``resume`` says how an attempt started, not what the run is: left out; a
    protocol job's record is kept on its own, as result.json's ``protocol``), and under Hydra
    its Hydra config (written into ``.hydra/`` when the job replaces a finished run)."""

    run_dir: Path
    in_sweep: bool
    overrides: list[str]
    hydra: DictConfig | None = None


def start(cfg: DictConfig, job: Job) -> dict[str, Any] | None:
    """`main` with the job's folder held: skip it when its folder holds a finished run of
    this job (the same identity: `experiments.runs.identity`), set aside a finished run of
    another job, start an unfinished attempt over (or resume it: ``resume=true``, or a
    requeued SLURM job), and run it."""
    finished = finished_result(job.run_dir)
    if finished is not None:
        changed = differences(finished.get("identity"), identity_of(cfg))
        if not changed:
            return _finished_earlier(job, cfg.resume)
        _replace_finished(cfg, job, changed)
    elif not (cfg.resume or requeued()) and rank_zero_only.rank == 0:
        clear_previous_attempt(job.run_dir, model_files())
    _choose_progress_bar(cfg, job.in_sweep)
    _choose_figures(cfg, job.in_sweep)
    return run_job(cfg, job)


def run_job(cfg: DictConfig, job: Job) -> dict[str, Any] | None:
    """Train the job and report how it ended: the one place that maps outcomes to log lines
    and exit statuses. In a sweep a failed job is recorded and the sweep goes on (its end
    summary exits non-zero); a single run exits 2 for bad input and 1 for a failure. An
    interrupted job (Ctrl-C, SIGTERM) stops the whole launch: `cli` reports it."""
    try:
        result = train(cfg, job.run_dir, job.overrides)
    except ConfigError as error:
        log.error("Bad configuration:\n  %s", "\n  ".join(error.problems))
        return _failed(job, exit_status=2)
    except (Interrupted, SystemExit, KeyboardInterrupt) as error:
        log.error("interrupted: %s  (%s)", ending(error)[1], job.run_dir)
        raise  # the whole launch stops; `cli` prints the sweep's summary and exits
    except (OSError, MemoryError) as error:  # the machine's limits, not a bug: one line
        log.error("Run failed: %s  (%s)", ending(error)[1], job.run_dir)
        return _failed(job, exit_status=1)
    except Exception as error:
        if (stop := interruption(error)) is not None:  # a library wrapped the signal's error
            log.error("interrupted: %s  (%s)", stop.reason, job.run_dir)
            raise stop from None
        log.error("Run failed:\n%s", traceback.format_exc())
        return _failed(job, exit_status=1)
    if result["status"] == "pruned":
        log.info("pruned: %s  (%s)", result["error"], job.run_dir)
        return result
    if result["status"] == "debug":
        told = ", ".join(result["debug"])
        log.warning("debug run (%s): recorded as debug, not as a result  (%s)", told, job.run_dir)
        return result
    tested = " ".join(f"{k}={v:.4f}" for k, v in result["metrics"].items() if k.startswith("test/"))
    log.info("done in %.1f s: %s  (%s)", result["fit_seconds"], tested, job.run_dir)
    return result


def _failed(job: Job, exit_status: int) -> dict[str, Any] | None:
    if not job.in_sweep:
        sys.exit(exit_status)
    return read_result(job.run_dir)


def _finished_earlier(job: Job, resume: bool) -> dict[str, Any] | None:
    """A job whose folder says ``done`` is skipped, so that a sweep re-run into its folder
    runs only what failed or never finished; a single run asked to resume it refuses."""
    if resume and not job.in_sweep:
        log.error("resume: %s has finished (result.json says done); nothing to resume", job.run_dir)
        sys.exit(2)
    log.info("skipped, already done: %s", job.run_dir)
    return read_result(job.run_dir)


def _replace_finished(cfg: DictConfig, job: Job, changed: list[str]) -> None:
    """The folder holds a finished run of another job (``changed`` says how it differs):
    never reported as this job's. It is moved into ``.replaced/`` and this job runs in its
    place; a single run asked to resume refuses, as there is nothing of this job to resume."""
    lines = "\n  ".join(changed)
    if cfg.resume and not job.in_sweep:
        log.error(
            "resume: %s holds a finished run of another job; nothing of this one to resume. "
            "It differs in:\n  %s\nRun without resume=true to run this job there (the "
            "finished run is kept in its .replaced/ folder), or give another folder",
            job.run_dir, lines,
        )  # fmt: skip
        sys.exit(2)
    moved = set_aside(job.run_dir)
    overrides = list(job.hydra.overrides.task) if job.hydra is not None else job.overrides
    save_config(job.run_dir, cfg, overrides, job.hydra)
    log.warning(
        "%s held a finished run of another job, now in %s; this job runs. It differed in:\n  %s",
        job.run_dir, moved.relative_to(job.run_dir), lines,
    )  # fmt: skip


def _choose_progress_bar(cfg: DictConfig, in_sweep: bool) -> None:
    """``progress_bar=auto``: a bar only where someone watches: one run, in a terminal."""
    auto = cfg.progress_bar == "auto"
    with open_dict(cfg):
        cfg.trainer.enable_progress_bar = (
            not in_sweep and sys.stderr.isatty() if auto else bool(cfg.progress_bar)
        )


def _choose_figures(cfg: DictConfig, in_sweep: bool) -> None:
    """``figures=auto``: every image where someone looks at one run (a single run, a
    protocol's final and default runs: `train` draws ``auto`` as ``all``), the confusion
    matrix as a heat map alone in the other jobs of a sweep, which may have thousands."""
    phase = OmegaConf.select(cfg, "protocol.job.phase")
    if cfg.figures == "auto" and in_sweep and phase not in (FINAL, DEFAULT):
        with open_dict(cfg):
            cfg.figures = "heatmap"
