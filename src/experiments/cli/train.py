"""`experiments-train`: one run, or with ``-m`` a sweep, from the composed Hydra config.

Reads top to bottom: threads and seed, data, model kind, fit, test, result.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict
from pytorch_lightning.utilities import rank_zero_only

from experiments.config import ConfigError, RunPruned, instantiate_checked
from experiments.config.checks import check_config
from experiments.kinds import FitOutcome, ModelKind, RunInputs, model_kind
from experiments.kinds.recommender import check_pairing
from experiments.report.per_class import confusion_image, per_class_results
from experiments.report.sweep_end import finish_interrupted_sweep
from experiments.report.tensorboard import flatten, write_hparams
from experiments.report.test_images import chosen_rows, examples_image
from experiments.runs.gpus import claim_gpu
from experiments.runs.interrupt import Interrupted, install_handlers, interruption
from experiments.runs.job_name import job_name
from experiments.runs.lock import folder_lock
from experiments.runs.paths import record_absolute_paths
from experiments.runs.process import prepare_torch
from experiments.runs.reentry import reentry_argv
from experiments.runs.result import (
    ending,
    launch_id,
    now_iso,
    process_identity,
    provenance,
    read_result,
    record_result,
    write_test_predictions,
)
from experiments.runs.resume import (
    checkpoint_step,
    clear_previous_attempt,
    is_done,
    requeued,
    resume_checkpoint,
)
from experiments.tasks.monitor import resolve_monitor

log = logging.getLogger(__name__)
CHECKED_SECTIONS = (
    "dataset", "model", "optimizer", "scheduler", "trainer", "logger", "callbacks", "metrics",
)  # fmt: skip

# A short random id per process, cached by Hydra with the config, so that two launches in
# the same second get different run folders while all jobs of one sweep share one.
OmegaConf.register_new_resolver("run_uid", lambda: secrets.token_hex(3), use_cache=True)
OmegaConf.register_new_resolver("job_name", job_name)


def hyperparameters(cfg: DictConfig, kind: ModelKind) -> dict[str, Any]:
    """The settings shown next to the final metrics in TensorBoard's HPARAMS tab."""
    shown = kind.describe(cfg)
    shown["model"].pop("search_space", None)  # what a protocol may draw, not what this run is
    shown.setdefault("dataset", {})["name"] = cfg.dataset.name
    return flatten(shown | {"seed": cfg.seed, "threads": cfg.threads})


def train(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> dict[str, Any]:
    """Train, validate and test one configuration; write ``result.json`` into ``run_dir``.

    Args:
        cfg: the composed config (see ``conf/train.yaml``).
        run_dir: the run's folder; logs, checkpoints and the result go there.
        overrides: the command-line overrides that define this run, recorded in the result.

    Returns:
        The result written to ``result.json``; its status is ``done``, or ``pruned`` when a
        search's pruning callback stopped the run early.

    Raises:
        ConfigError: bad config or data, found before training; the result says ``failed``.
    """
    if rank_zero_only.rank == 0:  # evaluate and predict then work from any folder
        record_absolute_paths(cfg, run_dir)
    result: dict[str, Any] = {
        "status": "running",
        "model": cfg.model.name,
        "dataset": cfg.dataset.name,
        "seed": cfg.seed,
        "threads": cfg.threads,
        "monitor": cfg.monitor,
        "monitor_mode": cfg.monitor_mode,
        "overrides": overrides,
        "started": now_iso(),
        "launch": launch_id(),
        "process": process_identity(),  # a `running` status of a gone process: interrupted
    }
    if (job := OmegaConf.select(cfg, "protocol.job")) is not None:  # what a protocol job is
        result["protocol"] = OmegaConf.to_container(job)
    # Under DDP every rank runs this function; only rank zero writes the result.
    write = record_result if rank_zero_only.rank == 0 else lambda *_: None
    write(run_dir, result)
    try:
        result |= _fit_and_test(cfg, run_dir, overrides)
        result["status"] = "done"
    except RunPruned as pruned:  # the search stopped a hopeless trial: not a failure
        result |= {"status": "pruned", "error": str(pruned)}
    except BaseException as error:
        status, reason = ending(error)
        result |= {"status": status, "error": reason}
        raise
    finally:
        result["finished"] = now_iso()
        write(run_dir, result)
    return result


def _fit_and_test(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> dict[str, Any]:
    problems = []
    if not isinstance(cfg.seed, int) or isinstance(cfg.seed, bool):
        problems.append(f"seed: expected an integer, got {cfg.seed!r}")
    if not isinstance(cfg.threads, int) or isinstance(cfg.threads, bool) or cfg.threads < 1:
        problems.append(f"threads: expected a positive integer, got {cfg.threads!r}")
    if problems:
        raise ConfigError(problems)
    kind = model_kind(cfg.model)
    check_config(cfg, CHECKED_SECTIONS)
    prepare_torch(cfg.threads, cfg.seed)

    datamodule = instantiate_checked(cfg.dataset, "dataset", shuffle_seed=cfg.seed)
    check_pairing(cfg.model, datamodule)
    shapes = datamodule.load()
    logged = kind.logged_metrics(cfg, shapes)
    monitor, monitor_mode = resolve_monitor(cfg.monitor, cfg.monitor_mode, shapes.task, logged)
    with open_dict(cfg):  # callbacks read ${monitor}, resolved when they are built
        cfg.monitor, cfg.monitor_mode = monitor, monitor_mode
    if rank_zero_only.rank == 0:  # what experiments-predict needs from the data
        datamodule.save_fitted(run_dir, shapes)
    checkpoint = resume_checkpoint(run_dir) if cfg.resume or requeued() else None
    # Resuming drops the events logged after the checkpoint, so that no step appears twice.
    purge = {"purge_step": checkpoint_step(checkpoint)} if checkpoint else {}
    logger = instantiate_checked(cfg.logger, "logger")(save_dir=str(run_dir), **purge)
    outcome = kind.fit(RunInputs(cfg, run_dir, overrides, datamodule, shapes, logger, checkpoint))
    classes = _per_class(outcome, shapes, logger)
    outcome.metrics |= classes.pop("metrics", {})
    if rank_zero_only.rank == 0:
        write_hparams(logger.experiment, hyperparameters(cfg, kind), outcome.metrics)
        write_test_predictions(run_dir, outcome.test_predictions)
        _test_images(datamodule, outcome.test_predictions, shapes, logger)
    return {
        **classes,
        "metrics": dict(sorted(outcome.metrics.items())),
        "fit_seconds": outcome.fit_seconds,
        "test_seconds": outcome.test_seconds,
        "n_params": outcome.n_params,
        **outcome.stopping,
        "monitor": monitor,
        "monitor_mode": monitor_mode,
        "provenance": provenance(outcome.device),
    }


def _per_class(outcome: FitOutcome, shapes: Any, logger: Any) -> dict[str, Any]:
    """A classifier's per-class results (`experiments.report.per_class`), in TensorBoard the
    confusion matrix as an image and ROC-AUC and average precision (two classes) as scalars
    beside the other test metrics; nothing for other tasks."""
    predictions = outcome.test_predictions
    if shapes.task != "classification" or "target" not in predictions:
        return {}
    results = per_class_results(predictions, shapes.class_names)
    if rank_zero_only.rank == 0:
        image = confusion_image(results["confusion_matrix"], shapes.class_names)
        logger.experiment.add_image("test/confusion_matrix", image, dataformats="HWC")
        if results["metrics"]:  # also what the HPARAMS tab shows for them
            logger.log_metrics(results["metrics"], step=outcome.test_step)
    return results


def _test_images(datamodule: Any, predictions: dict, shapes: Any, logger: Any) -> None:
    """A classifier of images: a grid of test images with its answers, in TensorBoard
    (`experiments.report.test_images`)."""
    if shapes.task != "classification" or shapes.kind != "image" or "target" not in predictions:
        return
    rows = chosen_rows(predictions)
    pixels = datamodule.fitted_features().pixels(datamodule.tensors["test"][0][rows])
    image = examples_image(pixels, predictions, rows, shapes.class_names)
    logger.experiment.add_image("test/examples", image, dataformats="HWC")


@dataclass(frozen=True)
class Job:
    """This process's job: its folder, whether it is one job of a sweep, and the overrides
    that define it (``resume`` says how an attempt started, not what the run is: left out; a
    protocol job's record is kept on its own, as result.json's ``protocol``)."""

    run_dir: Path
    in_sweep: bool
    overrides: list[str]


def current_job() -> Job:
    hydra_cfg = HydraConfig.get()
    return Job(
        run_dir=Path(hydra_cfg.runtime.output_dir),
        in_sweep=hydra_cfg.mode == RunMode.MULTIRUN,
        overrides=[
            o for o in hydra_cfg.overrides.task if not o.startswith(("resume=", "protocol.job="))
        ],
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
        return _start(cfg, job)
    with folder_lock(job.run_dir):  # a second sweep into this folder waits here, then skips
        return _start(cfg, job)


def _start(cfg: DictConfig, job: Job) -> dict[str, Any] | None:
    """`main` with the job's folder held: skip it when done, else start it over (or resume
    it: ``resume=true``, or a requeued SLURM job) and run it."""
    if is_done(job.run_dir):
        return _finished_earlier(job, cfg.resume)
    if not (cfg.resume or requeued()) and rank_zero_only.rank == 0:
        clear_previous_attempt(job.run_dir)
    _choose_progress_bar(cfg, job.in_sweep)
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


def _route_lightning_logs() -> None:
    """Lightning attaches its own console handler when imported before Hydra configures
    logging; hand its records to the root logger so that they reach run.log too."""
    lightning_log = logging.getLogger("pytorch_lightning")
    lightning_log.handlers.clear()
    lightning_log.propagate = True


def _choose_progress_bar(cfg: DictConfig, in_sweep: bool) -> None:
    """``progress_bar=auto``: a bar only where someone watches: one run, in a terminal."""
    auto = cfg.progress_bar == "auto"
    with open_dict(cfg):
        cfg.trainer.enable_progress_bar = (
            not in_sweep and sys.stderr.isatty() if auto else bool(cfg.progress_bar)
        )


def cli() -> None:
    """Console entry of ``experiments-train``: ``resume=<run folder>`` and DDP child
    processes become single runs of their recorded job (`experiments.runs.reentry`), then
    Hydra takes over."""
    try:
        sys.argv = reentry_argv(sys.argv, os.environ)
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
