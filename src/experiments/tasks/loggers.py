"""The run's loggers: one Lightning logger or several (``logger=[tensorboard,csv]``), each
given the run folder; TensorBoard's writers are also where a run's images and HPARAMS
records go (`image_writers`), since the other loggers take neither."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig
from pytorch_lightning.loggers import Logger, TensorBoardLogger
from torch.utils.tensorboard import SummaryWriter

from experiments.config import instantiate_checked


def build_loggers(node: DictConfig, run_dir: Path, purge_step: int | None) -> list[Logger]:
    """The loggers ``node`` describes, writing under ``run_dir``.

    Args:
        node: one logger (a node with ``_target_``, a partial that takes ``save_dir``), or
            loggers by name (``logger.tensorboard``, ``logger.csv``; a null one is left out).
        run_dir: each logger's ``save_dir``, unless its node names its own.
        purge_step: on resume, the checkpoint's step: TensorBoard drops the events logged
            after it (the other loggers cannot, and are not given it).

    Raises:
        ConfigError: a logger cannot be built.
    """
    nodes = (
        {"logger": node}
        if "_target_" in node
        else {f"logger.{name}": item for name, item in node.items() if item is not None}
    )
    loggers = []
    for key, item in nodes.items():
        factory = instantiate_checked(item, key)
        kwargs = {} if "save_dir" in item else {"save_dir": str(run_dir)}
        if purge_step is not None and _builds(factory, TensorBoardLogger):
            kwargs["purge_step"] = purge_step
        loggers.append(factory(**kwargs))
    return loggers


def _builds(factory: object, cls: type) -> bool:
    target = factory.func if isinstance(factory, functools.partial) else factory
    return isinstance(target, type) and issubclass(target, cls)


def image_writers(loggers: Sequence[Logger]) -> list[SummaryWriter]:
    """The TensorBoard writers of ``loggers``: the loggers that take images, embeddings and
    HPARAMS records."""
    return [logger.experiment for logger in loggers if isinstance(logger, TensorBoardLogger)]
