"""`experiments-train`: one run, or with ``-m`` a sweep, from the composed Hydra config.

Reads top to bottom: threads and seed, data, model, trainer, fit, test, result.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict
from pytorch_lightning.loggers import Logger
from pytorch_lightning.utilities import rank_zero_only

from experiments.config import instantiate_checked
from experiments.config.checks import check_config
from experiments.config.errors import ConfigError, RunPruned
from experiments.data import DataModule, DataShapes
from experiments.kinds.estimator import fit_estimator, is_estimator_model, prepare_estimator
from experiments.kinds.network import build_task, count_parameters
from experiments.report.tensorboard import flatten, write_hparams
from experiments.runs.ddp import ddp_job_scope
from experiments.runs.gpus import claim_gpu
from experiments.runs.reentry import child_environment, reentry_argv
from experiments.runs.result import now_iso, provenance, read_result, write_result
from experiments.runs.resume import (
    checkpoint_step,
    clear_previous_attempt,
    is_done,
    resume_checkpoint,
)
from experiments.runs.saved import save_estimator

log = logging.getLogger(__name__)
CHECKED_SECTIONS = ("dataset", "model", "optimizer", "scheduler", "trainer", "logger", "callbacks")

# A short random id per process, cached by Hydra with the config, so that two launches in
# the same second get different run folders while all jobs of one sweep share one.
OmegaConf.register_new_resolver("run_uid", lambda: secrets.token_hex(3), use_cache=True)


def hyperparameters(cfg: DictConfig) -> dict[str, Any]:
    """The settings shown next to the final metrics in TensorBoard's HPARAMS tab."""
    chosen = OmegaConf.to_container(cfg, resolve=True)
    shown = {
        "model": chosen["model"],
        "dataset": {"name": chosen["dataset"]["name"]},
        "seed": chosen["seed"],
        "threads": chosen["threads"],
    }
    if not is_estimator_model(cfg.model):  # estimators use no optimizer, batches or epochs
        shown |= {
            "optimizer": chosen["optimizer"],
            "scheduler": chosen["scheduler"] or "none",
            "trainer": {"max_epochs": chosen["trainer"]["max_epochs"]},
        }
        shown["dataset"]["batch_size"] = chosen["dataset"]["batch_size"]
    return flatten(shown)


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
    }
    # Under DDP every rank runs this function; only rank zero writes the result.
    write = write_result if rank_zero_only.rank == 0 else lambda *_: None
    write(run_dir, result)
    try:
        result |= _fit_and_test(cfg, run_dir, overrides)
        result["status"] = "done"
    except RunPruned as pruned:  # the search stopped a hopeless trial: not a failure
        result |= {"status": "pruned", "error": str(pruned)}
    except BaseException as error:
        result |= {"status": "failed", "error": f"{type(error).__name__}: {error}"}
        raise
    finally:
        result["finished"] = now_iso()
        write(run_dir, result)
    return result


def _fit_and_test(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> dict[str, Any]:
    if not isinstance(cfg.threads, int) or cfg.threads < 1:
        raise ConfigError(f"threads: expected a positive integer, got {cfg.threads!r}")
    check_config(cfg, CHECKED_SECTIONS)
    torch.set_num_threads(cfg.threads)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)

    datamodule = instantiate_checked(cfg.dataset, "dataset", shuffle_seed=cfg.seed)
    shapes = datamodule.load()
    checkpoint = resume_checkpoint(run_dir) if cfg.resume else None
    # Resuming drops the events logged after the checkpoint, so that no step appears twice.
    purge = {"purge_step": checkpoint_step(checkpoint)} if checkpoint else {}
    logger = instantiate_checked(cfg.logger, "logger")(save_dir=str(run_dir), **purge)
    if is_estimator_model(cfg.model):
        outcome = _fit_estimator(cfg, datamodule, shapes, logger, run_dir)
    else:
        os.environ.update(child_environment(run_dir, overrides))  # for DDP children
        with ddp_job_scope():
            outcome = _fit_network(cfg, datamodule, shapes, logger, run_dir, checkpoint)
    if rank_zero_only.rank == 0:
        write_hparams(logger.experiment, hyperparameters(cfg), outcome["metrics"])
    return outcome | {"provenance": provenance(outcome.pop("device"))}


def _fit_network(
    cfg: DictConfig,
    datamodule: DataModule,
    shapes: DataShapes,
    logger: Logger,
    run_dir: Path,
    checkpoint: Path | None,
) -> dict[str, Any]:
    """Fit a network with the Lightning Trainer, from ``checkpoint`` when resuming; test the
    model of the last epoch."""
    task = build_task(
        cfg.model, cfg.optimizer, cfg.scheduler, shapes, datamodule.tensors["train"][0]
    )
    saves_checkpoints = cfg.trainer.get("enable_checkpointing", True)
    callbacks = [
        instantiate_checked(node, f"callbacks.{name}", **_checkpoint_folder(node, run_dir))
        for name, node in cfg.callbacks.items()
        if saves_checkpoints or not _is_checkpoint(node)
    ]
    trainer = instantiate_checked(
        cfg.trainer, "trainer", logger=logger, callbacks=callbacks, default_root_dir=str(run_dir)
    )

    start = time.perf_counter()
    if checkpoint:
        log.info("resuming from %s", checkpoint)
    trainer.fit(task, datamodule=datamodule, ckpt_path=checkpoint, weights_only=True)
    fit_seconds = time.perf_counter() - start
    metrics = {
        k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith(("train/", "val/"))
    }
    start = time.perf_counter()
    (test_metrics,) = trainer.test(task, datamodule=datamodule, verbose=False)
    test_seconds = time.perf_counter() - start
    metrics |= {k: float(v) for k, v in test_metrics.items()}

    device = str(trainer.strategy.root_device)
    if device.startswith("cuda"):
        device += f" ({torch.cuda.get_device_name(trainer.strategy.root_device)})"
    return {
        "metrics": dict(sorted(metrics.items())),
        "fit_seconds": round(fit_seconds, 4),
        "test_seconds": round(test_seconds, 4),
        "n_params": count_parameters(task.net),
        "device": device,
    }


def _fit_estimator(
    cfg: DictConfig, datamodule: DataModule, shapes: DataShapes, logger: Logger, run_dir: Path
) -> dict[str, Any]:
    """Fit a scikit-learn estimator on the same splits; log its final metrics as scalars and
    save it as ``<run_dir>/estimator.joblib`` (for ``experiments-eval`` and ``-predict``)."""
    estimator = prepare_estimator(
        instantiate_checked(cfg.model.estimator, "model.estimator"),
        cfg.model.name,
        shapes,
        cfg.seed,
    )
    outcome = fit_estimator(estimator, shapes, datamodule.tensors, cfg.threads)
    logger.log_metrics(outcome.metrics, step=0)
    save_estimator(estimator, run_dir)
    return {
        "metrics": dict(sorted(outcome.metrics.items())),
        "fit_seconds": round(outcome.fit_seconds, 4),
        "test_seconds": round(outcome.test_seconds, 4),
        "n_params": outcome.n_params,
        "device": f"cpu ({type(estimator).__module__}.{type(estimator).__name__})",
    }


def _is_checkpoint(node: DictConfig) -> bool:
    return node.get("_target_", "").endswith("ModelCheckpoint")


def _checkpoint_folder(node: DictConfig, run_dir: Path) -> dict[str, str]:
    """Checkpoint callbacks write into ``<run_dir>/checkpoints``."""
    return {"dirpath": str(run_dir / "checkpoints")} if _is_checkpoint(node) else {}


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> dict[str, Any] | None:
    """Entry point of ``experiments-train``.

    A run folder whose ``result.json`` says ``done`` is skipped, so that a sweep re-run into
    its folder (``hydra.sweep.dir=...``) runs only the jobs that failed or never finished;
    those start over, or with ``resume=true`` continue from their last checkpoint. A single
    run asked to resume a finished run refuses. In a sweep, a failing job is recorded as
    failed and the sweep goes on; the sweep's end summary exits non-zero. Outside a sweep a
    failure exits non-zero here.

    Returns:
        The run's result as in ``result.json`` (for sweepers that read it), or None when the
        run left none.
    """
    # Lightning attaches its own console handler when imported before Hydra configures
    # logging; hand its records to the root logger so that they reach run.log too.
    lightning_log = logging.getLogger("pytorch_lightning")
    lightning_log.handlers.clear()
    lightning_log.propagate = True

    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    in_sweep = hydra_cfg.mode == RunMode.MULTIRUN
    if cfg.get("gpus"):  # launcher=gpus: before CUDA starts, see only this job's own GPU
        log.info("GPU %s", claim_gpu(cfg.gpus))
    if is_done(run_dir):
        if cfg.resume and not in_sweep:
            log.error("resume: %s has finished (result.json says done); nothing to resume", run_dir)
            sys.exit(2)
        log.info("skipped, already done: %s", run_dir)
        return read_result(run_dir)
    if not cfg.resume and rank_zero_only.rank == 0:
        clear_previous_attempt(run_dir)
    auto = cfg.progress_bar == "auto"
    with open_dict(cfg):  # a bar only where someone watches: one run, in a terminal
        cfg.trainer.enable_progress_bar = (
            not in_sweep and sys.stderr.isatty() if auto else bool(cfg.progress_bar)
        )
    # `resume` says how this attempt started, not what the run is: it is not recorded.
    overrides = [o for o in hydra_cfg.overrides.task if not o.startswith("resume=")]
    try:
        result = train(cfg, run_dir, overrides)
    except ConfigError as error:
        log.error("Bad configuration:\n  %s", "\n  ".join(error.problems))
        if not in_sweep:
            sys.exit(2)
        return read_result(run_dir)
    except Exception:
        log.error("Run failed:\n%s", traceback.format_exc())
        if not in_sweep:
            sys.exit(1)
        return read_result(run_dir)
    if result["status"] == "pruned":
        log.info("pruned: %s  (%s)", result["error"], run_dir)
        return result
    summary = " ".join(
        f"{k}={v:.4f}" for k, v in result["metrics"].items() if k.startswith("test/")
    )
    log.info("done in %.1f s: %s  (%s)", result["fit_seconds"], summary, run_dir)
    return result


def cli() -> None:
    """Console entry of ``experiments-train``: ``resume=<run folder>`` and DDP child
    processes become single runs of their recorded job (`experiments.runs.reentry`), then
    Hydra takes over."""
    try:
        sys.argv = reentry_argv(sys.argv, os.environ)
    except ConfigError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    main()


if __name__ == "__main__":
    cli()
