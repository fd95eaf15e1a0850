"""Every config file composes and instantiates: a new YAML file is tested automatically."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from pytorch_lightning.loggers import Logger
from sklearn.base import BaseEstimator

from experiments.config import config_options
from experiments.data import DataModule
from experiments.kinds import model_kind
from experiments.kinds.network_build import build_optimizer, build_scheduler
from experiments.recsys import RatingsDataModule
from experiments.style import StyleImages, build_features
from experiments.tasks.loggers import build_loggers

from .conftest import compose_config

GROUPS = ("dataset", "model", "optimizer", "scheduler", "trainer", "logger", "callbacks")
OPTIONS = [(group, option) for group in GROUPS for option in config_options(group)]
EXPERIMENTS = config_options("experiment")


def instantiate_option(group: str, cfg: DictConfig, tmp_path: Path) -> list[object]:
    """Build what a config group's option describes, the way a run does."""
    if group == "dataset":
        return [instantiate(cfg.dataset)]
    if group == "model":  # built with data of its kind in test_model_zoo.py and tests/style
        if "estimator" in cfg.model:
            return [instantiate(cfg.model.estimator)]
        if model_kind(cfg.model).name == "style":  # its network: the frozen feature network
            model = cfg.model
            return [
                build_features(
                    model.features, model.weights, model.content_layer, model.style_layers, seed=0
                )
            ]
        losses = cfg.model.get("loss", {})  # recommenders' tasks choose their loss
        return [instantiate(cfg.model.net), *(instantiate(x) for x in losses.values())]
    if group == "optimizer":
        return [build_optimizer(cfg.optimizer, torch.nn.Linear(4, 2))([torch.zeros(1)])]
    if group == "scheduler":
        schedule = build_scheduler(cfg.scheduler)
        optimizer = torch.optim.SGD([torch.zeros(1)], lr=0.1)
        return [schedule and schedule.create(optimizer, total_steps=100, epochs=10)]
    if group == "logger":
        return build_loggers(cfg.logger, tmp_path, purge_step=None)
    if group == "callbacks":
        return [instantiate(node) for node in cfg.callbacks.values()]
    if group == "trainer" and not torch.cuda.is_available() and cfg.trainer.accelerator == "gpu":
        return [instantiate(cfg.trainer, accelerator="cpu", devices=1)]  # GPU configs on CPU CI
    return [instantiate(cfg[group])]


# What each group's option must build: a model builds a network partial and losses, an
# estimator, or (style transfer) its feature network; `scheduler=none` builds nothing.
EXPECTED = {
    "dataset": (DataModule, RatingsDataModule, StyleImages),
    "model": (functools.partial, torch.nn.Module, BaseEstimator),
    "optimizer": (torch.optim.Optimizer,),
    "scheduler": (
        torch.optim.lr_scheduler.LRScheduler,
        torch.optim.lr_scheduler.ReduceLROnPlateau,
        type(None),
    ),
    "trainer": (pl.Trainer,),
    "logger": (Logger,),
    "callbacks": (pl.Callback,),
}


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_option_composes_and_instantiates(group: str, option: str, tmp_path: Path) -> None:
    # A run resolves monitor=auto from its data's task before building anything that reads
    # ${monitor} (checkpoints, the plateau scheduler); here there is no data: name one.
    cfg = compose_config([f"{group}={option}", "monitor=val/acc", "monitor_mode=max"])
    built = instantiate_option(group, cfg, tmp_path)
    assert built, f"{group}={option} builds nothing"
    assert all(isinstance(part, EXPECTED[group]) for part in built), built
    assert (built == [None]) == (option == "none")


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes_with_its_sweep(experiment: str) -> None:
    cfg = compose_config([f"experiment={experiment}"], return_hydra_config=True)
    assert cfg.experiment_name == experiment
    assert cfg.hydra.sweeper.params, "an experiment file carries its own sweep parameters"


def test_every_model_names_itself() -> None:
    """Names stay written in each file: deriving them with ``${hydra:runtime.choices.model}``
    would break composing outside ``@hydra.main`` (notebooks, `experiments.run`)."""
    for option in config_options("model"):
        assert compose_config([f"model={option}"]).model.name == option
