"""`experiments-train`: one run, or with ``-m`` a sweep, from the composed Hydra config.

Reads top to bottom: threads and seed, data, model, trainer, fit, test, result.
"""

from __future__ import annotations

import logging
import secrets
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from experiments.build import build_task, count_parameters, instantiate_checked
from experiments.config_checks import check_config
from experiments.errors import ConfigError
from experiments.runs.result import now_iso, provenance, write_result
from experiments.runs.tensorboard import flatten, write_hparams

log = logging.getLogger(__name__)
CHECKED_SECTIONS = ("dataset", "model", "optimizer", "scheduler", "trainer", "logger", "callbacks")

# A short random id per process, cached by Hydra with the config, so that two launches in
# the same second get different run folders while all jobs of one sweep share one.
OmegaConf.register_new_resolver("run_uid", lambda: secrets.token_hex(3), use_cache=True)

# Lightning warnings that do not apply: metrics are logged per epoch by design, so an epoch
# shorter than log_every_n_steps loses nothing; the pytree one is Lightning's own deprecation.
warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")
warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")


def hyperparameters(cfg: DictConfig) -> dict[str, Any]:
    """The settings shown next to the final metrics in TensorBoard's HPARAMS tab."""
    chosen = OmegaConf.to_container(cfg, resolve=True)
    return flatten(
        {
            "model": chosen["model"],
            "optimizer": chosen["optimizer"],
            "scheduler": chosen["scheduler"] or "none",
            "dataset": {
                "name": chosen["dataset"]["name"],
                "batch_size": chosen["dataset"]["batch_size"],
            },
            "trainer": {"max_epochs": chosen["trainer"]["max_epochs"]},
            "seed": chosen["seed"],
            "threads": chosen["threads"],
        }
    )


def train(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> dict[str, Any]:
    """Train, validate and test one configuration; write ``result.json`` into ``run_dir``.

    Args:
        cfg: the composed config (see ``conf/train.yaml``).
        run_dir: the run's folder; logs, checkpoints and the result go there.
        overrides: the command-line overrides that define this run, recorded in the result.

    Returns:
        The result written to ``result.json``.

    Raises:
        ConfigError: bad config or data, found before training; the result says ``failed``.
    """
    result: dict[str, Any] = {
        "status": "running",
        "model": cfg.model.name,
        "dataset": cfg.dataset.name,
        "seed": cfg.seed,
        "threads": cfg.threads,
        "overrides": overrides,
        "started": now_iso(),
    }
    write_result(run_dir, result)
    try:
        result |= _fit_and_test(cfg, run_dir)
        result["status"] = "done"
    except BaseException as error:
        result |= {"status": "failed", "error": f"{type(error).__name__}: {error}"}
        raise
    finally:
        result["finished"] = now_iso()
        write_result(run_dir, result)
    return result


def _fit_and_test(cfg: DictConfig, run_dir: Path) -> dict[str, Any]:
    if not isinstance(cfg.threads, int) or cfg.threads < 1:
        raise ConfigError(f"threads: expected a positive integer, got {cfg.threads!r}")
    check_config(cfg, CHECKED_SECTIONS)
    torch.set_num_threads(cfg.threads)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)

    datamodule = instantiate_checked(cfg.dataset, "dataset", shuffle_seed=cfg.seed)
    shapes = datamodule.load()
    task = build_task(cfg.model, cfg.optimizer, cfg.scheduler, shapes, datamodule.num_train)

    logger = instantiate_checked(cfg.logger, "logger")(save_dir=str(run_dir))
    callbacks = [
        instantiate_checked(node, f"callbacks.{name}", **_callback_paths(node, run_dir))
        for name, node in cfg.callbacks.items()
    ]
    trainer = instantiate_checked(
        cfg.trainer, "trainer", logger=logger, callbacks=callbacks, default_root_dir=str(run_dir)
    )

    start = time.perf_counter()
    trainer.fit(task, datamodule=datamodule)
    fit_seconds = time.perf_counter() - start
    metrics = {
        k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith(("train/", "val/"))
    }
    start = time.perf_counter()
    (test_metrics,) = trainer.test(task, datamodule=datamodule, verbose=False)
    test_seconds = time.perf_counter() - start
    metrics |= {k: float(v) for k, v in test_metrics.items()}

    write_hparams(logger.experiment, hyperparameters(cfg), metrics)
    device = str(trainer.strategy.root_device)
    if torch.cuda.is_available() and device.startswith("cuda"):
        device += f" ({torch.cuda.get_device_name(trainer.strategy.root_device)})"
    return {
        "metrics": dict(sorted(metrics.items())),
        "fit_seconds": round(fit_seconds, 4),
        "test_seconds": round(test_seconds, 4),
        "n_params": count_parameters(task.net),
        "provenance": provenance(device),
    }


def _callback_paths(node: DictConfig, run_dir: Path) -> dict[str, str]:
    """Checkpoint callbacks write into ``<run_dir>/checkpoints``."""
    if node.get("_target_", "").endswith("ModelCheckpoint"):
        return {"dirpath": str(run_dir / "checkpoints")}
    return {}


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> None:
    """Entry point of ``experiments-train``. In a sweep, a failing job is recorded as failed
    and the sweep goes on; the sweep's end summary exits non-zero."""
    # Lightning attaches its own console handler when imported before Hydra configures
    # logging; hand its records to the root logger so that they reach run.log too.
    lightning_log = logging.getLogger("pytorch_lightning")
    lightning_log.handlers.clear()
    lightning_log.propagate = True

    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    in_sweep = hydra_cfg.mode == RunMode.MULTIRUN
    try:
        result = train(cfg, run_dir, list(hydra_cfg.overrides.task))
    except ConfigError as error:
        log.error("Bad configuration:\n  %s", "\n  ".join(error.problems))
        if not in_sweep:
            sys.exit(2)
        return
    except Exception:
        log.error("Run failed:\n%s", traceback.format_exc())
        if not in_sweep:
            sys.exit(1)
        return
    summary = " ".join(
        f"{k}={v:.4f}" for k, v in result["metrics"].items() if k.startswith("test/")
    )
    log.info("done in %.1f s: %s  (%s)", result["fit_seconds"], summary, run_dir)


if __name__ == "__main__":
    main()
