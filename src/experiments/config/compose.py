"""The root config composed outside ``@hydra.main``: for tests, benchmarks and notebooks."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

# The config registry shipped inside the package (`experiments/conf/`).
CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def compose_config(overrides: list[str], return_hydra_config: bool = False) -> DictConfig:
    """The root config ``train`` with ``overrides``, composed as ``experiments-train`` does
    (strict: an unknown key or option fails)."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("train", overrides=overrides, return_hydra_config=return_hydra_config)


def config_options(group: str) -> list[str]:
    """The options of a config group (``model``, ``dataset/features``), sorted: its YAML
    files, less the shared base files whose names start with ``_`` (``dataset/_base``)."""
    folder = CONF_DIR / group
    return sorted(path.stem for path in folder.glob("*.yaml") if not path.name.startswith("_"))
