"""The style-transfer kind (``kind: style``, `StyleKind`): a run paints one image, trained by
the Lightning Trainer like a network, and saves it where a network saves its checkpoint."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from experiments.config import ConfigError, instantiate_checked
from experiments.config.trusted import Trust
from experiments.kinds.base import FitOutcome, Outputs, RunInputs
from experiments.style.data import StyleImages, StyleShapes
from experiments.style.features import build_features
from experiments.style.images import CONTENT, OUTPUT, STYLE, save_png
from experiments.style.losses import LossWeights
from experiments.style.task import INITS, LOSSES, STYLE_RATIO, LogImages, StyleTransfer, first_image
from experiments.tasks import quiet_lightning_warnings
from experiments.tasks.callbacks import EpochLog, FailOnNonFiniteLoss
from experiments.tasks.loggers import image_writers

WEIGHT_KEYS = ("content_weight", "style_weight", "tv_weight")


class StyleKind:
    """Style transfer (Gatys et al. 2016) on a `StyleImages` dataset: the model config names
    the feature network, its layers, the losses' weights and where the image starts; the
    optimizer group optimizes the image (``lbfgs``: full batch, as the paper; ``adamw``) for
    ``trainer.max_epochs`` steps. The run writes ``images/stylized.png`` (and the scaled
    ``content.png`` and ``style.png`` beside it); the callbacks group does not apply (no
    checkpoints: the image is the result, a run that stops starts over).
    """

    name = "style"
    model_file = OUTPUT
    missing_model_hint = "it stopped before its last step"
    recommends = False
    keys = frozenset(
        {
            "name",
            "features",
            "weights",
            "content_layer",
            "style_layers",
            *WEIGHT_KEYS,
            "init",
            "image_every",
        }
    )

    def check_data(self, model: DictConfig, datamodule: Any) -> None:
        """A style model paints with two images: it needs `StyleImages`.

        Raises:
            ConfigError: another dataset.
        """
        if not isinstance(datamodule, StyleImages):
            raise ConfigError(
                f"model '{model.name}' paints an image: it needs dataset=style_images "
                f"(dataset.content, dataset.style), not dataset '{datamodule.name}'"
            )

    def describe(self, cfg: DictConfig) -> dict[str, Any]:
        chosen = OmegaConf.to_container(cfg, resolve=True)
        images = ("content", "style", "size", "style_size")
        return {
            "model": chosen["model"],
            "optimizer": chosen["optimizer"],
            "trainer": {"max_epochs": chosen["trainer"]["max_epochs"]},
            "dataset": {key: chosen["dataset"].get(key) for key in images},
        }

    def logged_metrics(self, cfg: DictConfig, shapes: StyleShapes) -> list[str]:
        return sorted(
            [f"train/{name}" for name in LOSSES]
            + [f"test/{name}" for name in (*LOSSES, STYLE_RATIO)]
        )

    def fit(self, run: RunInputs) -> FitOutcome:
        """Optimize the image for ``trainer.max_epochs`` steps, score the final image (the
        ``test/`` losses) and save the images into ``images/``."""
        cfg, data = run.cfg, run.datamodule
        _check_run(cfg)
        quiet_lightning_warnings()
        # Lightning warns of modules left in evaluation mode: the feature network is, on purpose.
        warnings.filterwarnings("ignore", message=".*module\\(s\\) in eval mode.*")
        content, style = data.images
        task = build_task(cfg.model, cfg.optimizer, content, cfg.seed)
        trainer = instantiate_checked(
            cfg.trainer,
            "trainer",
            logger=run.loggers,
            callbacks=[EpochLog(), FailOnNonFiniteLoss(), LogImages(cfg.model.image_every)],
            default_root_dir=str(run.run_dir),
            enable_checkpointing=False,  # the image is the result (see the class docstring)
        )
        start = time.perf_counter()
        trainer.fit(task, datamodule=data)
        fit_seconds = time.perf_counter() - start
        trained = {
            k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("train/")
        }
        start = time.perf_counter()
        (tested,) = trainer.test(task, datamodule=data, verbose=False)
        test_seconds = time.perf_counter() - start
        if trainer.is_global_zero:
            for writer in image_writers(run.loggers):
                writer.add_image("style/output", task.picture(), trainer.global_step)
            for path, image in ((CONTENT, content), (STYLE, style)):
                save_png(image, run.run_dir / path)
            save_png(task.picture(), run.run_dir / OUTPUT)  # last: its presence says done
        return FitOutcome(
            metrics=dict(sorted((trained | {k: float(v) for k, v in tested.items()}).items())),
            fit_seconds=round(fit_seconds, 4),
            test_seconds=round(test_seconds, 4),
            n_params=task.image.numel(),
            device=_device_name(trainer.strategy.root_device),
            test_predictions={},
            stopping={"stopped_epoch": trainer.current_epoch},
            test_step=trainer.global_step,
        )

    def load(self, cfg: DictConfig, datamodule: Any, shapes: Any, path: Path, trust: Trust) -> Any:
        raise _nothing_to_load(cfg, path)

    def score(self, model: Any, cfg: DictConfig, datamodule: Any, shapes: Any) -> dict[str, float]:
        raise _nothing_to_load(cfg, None)

    def predict(self, model: Any, cfg: DictConfig, shapes: Any, inputs: torch.Tensor) -> Outputs:
        raise _nothing_to_load(cfg, None)


def build_task(
    model: DictConfig, optimizer: DictConfig, content: torch.Tensor, seed: int
) -> StyleTransfer:
    """The `StyleTransfer` task of a style model config, its optimizer and the content photo.

    Raises:
        ConfigError: every bad setting of the model (weights, init, image_every, layers,
            feature network) and the optimizer, before anything trains.
    """
    problems = [
        f"model.{key}: expected a number >= 0, got {model[key]!r}"
        for key in WEIGHT_KEYS
        if not isinstance(model[key], int | float) or isinstance(model[key], bool) or model[key] < 0
    ]
    if model.init not in INITS:
        problems.append(f"model.init: expected {' or '.join(INITS)}, got {model.init!r}")
    every = model.image_every
    if not isinstance(every, int) or isinstance(every, bool) or every < 0:
        problems.append(f"model.image_every: expected a number of steps >= 0, got {every!r}")
    factory = _optimizer(optimizer, problems)
    if problems:
        raise ConfigError(problems)
    features = build_features(
        model.features, model.weights, model.content_layer, list(model.style_layers), seed
    )
    return StyleTransfer(
        features=features,
        start=first_image(content, model.init, seed),
        content_layer=model.content_layer,
        style_layers=list(model.style_layers),
        weights=LossWeights(*(float(model[key]) for key in WEIGHT_KEYS)),
        optimizer=factory,
    )


def _optimizer(optimizer: DictConfig, problems: list[str]) -> Callable[..., torch.optim.Optimizer]:
    """The optimizer partial, tried on one tensor so that settings torch refuses (``lr=-1``)
    are reported with the others, before training."""
    factory = instantiate_checked(optimizer, "optimizer")
    try:
        factory([torch.zeros(1, requires_grad=True)])
    except (ValueError, TypeError) as error:
        problems.append(f"optimizer ({optimizer._target_}): {error}")
    return factory


def _check_run(cfg: DictConfig) -> None:
    """A style transfer runs in one process, without a learning-rate schedule.

    Raises:
        ConfigError: both problems at once.
    """
    problems = []
    if cfg.trainer.get("devices", 1) != 1 or cfg.trainer.get("num_nodes", 1) != 1:
        problems.append(
            "trainer: style transfer optimizes one image in one process; use trainer=cpu, "
            "trainer=gpu or trainer=default (devices=1)"
        )
    if cfg.get("scheduler"):
        problems.append("scheduler: style transfer runs take none (scheduler=none)")
    if problems:
        raise ConfigError(problems)


def _nothing_to_load(cfg: DictConfig, path: Path | None) -> ConfigError:
    where = f" ({path})" if path else ""
    return ConfigError(
        f"model '{cfg.model.name}' paints an image{where}; it has no model to evaluate or "
        "predict with: its result is images/stylized.png and the losses in result.json"
    )


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)
