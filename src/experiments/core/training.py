"""The core run: one configuration trained, validated and tested into its folder, with its
``result.json``. The command line, the Python API and the launchers all call `train`.

Reads top to bottom: threads and seed, data, model kind, fit, test, result.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict
from pytorch_lightning.loggers import Logger
from pytorch_lightning.utilities import rank_zero_only

from experiments.config import ConfigError, RunPruned, instantiate_checked
from experiments.config.checks import check_config
from experiments.config.schema import check_root_keys
from experiments.data.fitted import FEATURIZER_FILES
from experiments.io.process import process_identity
from experiments.kinds import FitOutcome, ModelKind, RunInputs, model_kind
from experiments.kinds.estimator_file import ESTIMATOR_FILE
from experiments.report.example_images import chosen_rows, examples_image
from experiments.report.per_class import confusion_heatmap, confusion_image, per_class_results
from experiments.report.tensorboard import flatten, write_hparams
from experiments.runs.checkpoints import drop_previous
from experiments.runs.checksums import CHECKPOINTS_DIR
from experiments.runs.identity import debug_settings, identity_config, run_identity
from experiments.runs.paths import record_absolute_paths
from experiments.runs.process import prepare_torch
from experiments.runs.result import (
    ending,
    launch_id,
    now_iso,
    provenance,
    record_result,
    write_test_predictions,
)
from experiments.runs.resume import checkpoint_step, requeued, resume_checkpoint
from experiments.tasks.loggers import build_loggers, image_writers
from experiments.tasks.monitor import resolve_monitor

CHECKED_SECTIONS = (
    "dataset", "model", "optimizer", "scheduler", "trainer", "logger", "callbacks", "metrics",
)  # fmt: skip
# TensorBoard images of a classifier's test split (conf/train.yaml: figures); `train` draws
# `auto` as `all`, and a sweep's job chooses for itself (`experiments.core.job`).
FIGURES = ("auto", "all", "heatmap", "none")


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
        The result written to ``result.json``, with the job's ``identity``
        (`experiments.runs.identity`); its status is ``done``, ``debug`` for a debug run
        (``trainer.fast_dev_run``, ``limit_*_batches``: no result), or ``pruned`` when a
        search's pruning callback stopped the run early.

    Raises:
        ConfigError: bad config or data, found before training; the result says ``failed``.
    """
    clocks = time.perf_counter(), time.process_time()
    job_config = identity_config(cfg)  # the config as given, before the run completes it
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
    if cfg.get("tags"):
        result["tags"] = list(cfg.tags)
    debug = [f"debug={cfg.debug}"] if cfg.get("debug") else []
    if debug := debug + debug_settings(cfg.trainer):
        result["debug"] = debug
    # Under DDP every rank runs this function; only rank zero writes the result.
    write = record_result if rank_zero_only.rank == 0 else lambda *_: None
    write(run_dir, result)
    try:
        result |= _fit_and_test(cfg, run_dir, overrides, job_config)
        result["status"] = "debug" if debug else "done"
    except RunPruned as pruned:  # the search stopped a hopeless trial: not a failure
        result |= {"status": "pruned", "error": str(pruned)}
    except BaseException as error:
        status, reason = ending(error)
        result |= {"status": status, "error": reason}
        raise
    finally:
        result["finished"] = now_iso()
        # what the run cost, data included: this process's CPU time counts all its threads
        result["wall_seconds"] = round(time.perf_counter() - clocks[0], 3)
        result["cpu_seconds"] = round(time.process_time() - clocks[1], 3)
        write(run_dir, result)
    # The run ended (done or pruned; a failure raised above, and may be resumed): the
    # checkpoint versions kept for a resume go, or with keep_model=false the whole model.
    # After the result: a kill in between leaves files, never a run that lost its model.
    if rank_zero_only.rank == 0:
        if cfg.keep_model:
            drop_previous(run_dir / CHECKPOINTS_DIR)
        else:
            _drop_model(run_dir)
    return result


# What loads a run's model later (`experiments.core.saved`): a network's checkpoints, a
# fitted estimator, the fitted featurizer. `keep_model=false` deletes them once the run ended.
MODEL_FILES = (CHECKPOINTS_DIR, str(ESTIMATOR_FILE), *FEATURIZER_FILES)


def _drop_model(run_dir: Path) -> None:
    for name in MODEL_FILES:
        path = run_dir / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _check_run_settings(cfg: DictConfig) -> None:
    """Refuse unknown root keys and bad values of the run's own settings, all at once.

    Raises:
        ConfigError: one problem per bad key.
    """
    check_root_keys(cfg)
    problems = []
    if not isinstance(cfg.seed, int) or isinstance(cfg.seed, bool):
        problems.append(f"seed: expected an integer, got {cfg.seed!r}")
    if not isinstance(cfg.threads, int) or isinstance(cfg.threads, bool) or cfg.threads < 1:
        problems.append(f"threads: expected a positive integer, got {cfg.threads!r}")
    if not isinstance(cfg.keep_model, bool):
        problems.append(f"keep_model: expected true or false, got {cfg.keep_model!r}")
    if cfg.figures not in FIGURES:
        problems.append(f"figures: expected one of {', '.join(FIGURES)}, got {cfg.figures!r}")
    if problems:
        raise ConfigError(problems)


def _fit_and_test(
    cfg: DictConfig, run_dir: Path, overrides: list[str], job_config: dict[str, Any]
) -> dict[str, Any]:
    _check_run_settings(cfg)
    kind = model_kind(cfg.model)
    check_config(cfg, CHECKED_SECTIONS)
    prepare_torch(cfg.threads, cfg.seed)

    datamodule = instantiate_checked(cfg.dataset, "dataset", shuffle_seed=cfg.seed)
    identity = run_identity(job_config, datamodule)
    kind.check_data(cfg.model, datamodule)
    shapes = datamodule.load()
    logged = kind.logged_metrics(cfg, shapes)
    monitor, monitor_mode = resolve_monitor(
        cfg.monitor, cfg.monitor_mode, shapes.task, logged, cfg.get("metrics")
    )
    with open_dict(cfg):  # callbacks read ${monitor}, resolved when they are built
        cfg.monitor, cfg.monitor_mode = monitor, monitor_mode
    if rank_zero_only.rank == 0:  # what experiments-predict needs from the data
        datamodule.save_fitted(run_dir, shapes)
    checkpoint = resume_checkpoint(run_dir) if cfg.resume or requeued() else None
    # Resuming drops the events logged after the checkpoint, so that no step appears twice.
    purge_step = checkpoint_step(checkpoint) if checkpoint else None
    loggers = build_loggers(cfg.logger, run_dir, purge_step)
    outcome = kind.fit(RunInputs(cfg, run_dir, overrides, datamodule, shapes, loggers, checkpoint))
    figures = "all" if cfg.figures == "auto" else cfg.figures
    classes = _per_class(outcome, shapes, loggers, figures)
    outcome.metrics |= classes.pop("metrics", {})
    if rank_zero_only.rank == 0:
        for writer in image_writers(loggers):
            write_hparams(writer, hyperparameters(cfg, kind), outcome.metrics)
        write_test_predictions(run_dir, outcome.test_predictions)
        if figures == "all":
            _test_images(datamodule, outcome.test_predictions, shapes, loggers)
        # The test closed the event file and the records above opened another: close it, or
        # its writer thread would outlive the run (one per job of an in-process sweep).
        for writer in image_writers(loggers):
            writer.close()
    return {
        **classes,
        "metrics": dict(sorted(outcome.metrics.items())),
        "fit_seconds": outcome.fit_seconds,
        "test_seconds": outcome.test_seconds,
        "n_params": outcome.n_params,
        # what each split held (the Nadeau-Bengio correction needs the rows trained on)
        "rows": {name: len(datamodule.tensors[name][0]) for name in ("train", "val", "test")},
        **outcome.stopping,
        "monitor": monitor,
        "monitor_mode": monitor_mode,
        "provenance": provenance(outcome.device),
        "identity": identity,
    }


def _per_class(
    outcome: FitOutcome, shapes: Any, loggers: list[Logger], figures: str
) -> dict[str, Any]:
    """A classifier's per-class results (`experiments.report.per_class`), in TensorBoard the
    confusion matrix as an image (with its counts for ``figures=all``, a heat map for
    ``heatmap``) and ROC-AUC and average precision (two classes) as scalars beside the other
    test metrics; nothing for other tasks."""
    predictions = outcome.test_predictions
    if shapes.task != "classification" or "target" not in predictions:
        return {}
    results = per_class_results(predictions, shapes.class_names)
    if rank_zero_only.rank == 0:
        matrix = results["confusion_matrix"]
        if figures != "none":
            image = (
                confusion_image(matrix, shapes.class_names)
                if figures == "all"
                else confusion_heatmap(matrix)
            )
            for writer in image_writers(loggers):
                writer.add_image("test/confusion_matrix", image, dataformats="HWC")
        if results["metrics"]:  # also what the HPARAMS tab shows for them
            for logger in loggers:
                logger.log_metrics(results["metrics"], step=outcome.test_step)
    return results


def _test_images(datamodule: Any, predictions: dict, shapes: Any, loggers: list[Logger]) -> None:
    """A classifier of images: a grid of test images with its answers, in TensorBoard
    (`experiments.report.example_images`)."""
    if shapes.task != "classification" or shapes.kind != "image" or "target" not in predictions:
        return
    rows = chosen_rows(predictions)
    pixels = datamodule.fitted_features().pixels(datamodule.tensors["test"][0][rows])
    image = examples_image(pixels, predictions, rows, shapes.class_names)
    for writer in image_writers(loggers):
        writer.add_image("test/examples", image, dataformats="HWC")
