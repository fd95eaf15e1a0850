"""Shared fixtures: configs composed from the package's conf/, runs in temporary folders."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Tests never touch the network: Hugging Face clients fail fast instead of retrying.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from omegaconf import DictConfig, OmegaConf

import experiments.cli.train
from experiments.config import CONF_DIR, compose_config

__all__ = ["CONF_DIR", "compose_config"]  # tests import both from here

# Short, fast runs: enough epochs to learn digits, no checkpoint files to write.
FAST = ["trainer.max_epochs=15", "trainer.enable_checkpointing=false"]


@pytest.fixture(scope="session", autouse=True)
def data_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The processed-data cache in a fresh folder: tests start cold and never touch
    ~/.cache (subprocess runs inherit the variable)."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("data-cache")
        patch.setenv("EXPERIMENTS_DATA_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def digits_cfg() -> DictConfig:
    """The default config (digits, MLP), composed once; tests get copies."""
    return compose_config([])


@pytest.fixture
def make_cfg(tmp_path: Path) -> Callable[..., DictConfig]:
    """Compose a config with overrides (plus the fast settings unless ``fast=False``)."""

    def make(*overrides: str, fast: bool = True) -> DictConfig:
        cfg = compose_config([*(FAST if fast else []), *overrides])
        return OmegaConf.create(OmegaConf.to_container(cfg))

    return make


def train_run(run_dir: Path, *overrides: str) -> Path:
    """Train one run into ``run_dir`` with ``overrides``, and save its composed config as
    ``.hydra/config.yaml`` as the CLI does (what experiments-eval and -predict read)."""
    cfg = compose_config(list(overrides))
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / ".hydra").mkdir(exist_ok=True)
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    experiments.cli.train.train(cfg, run_dir, list(overrides))
    return run_dir
