"""Paths in a run's saved config made absolute, so that evaluating or predicting with the
run does not depend on the folder it was launched from."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

# Config keys that hold local paths, relative to the launch folder when given relative.
PATH_KEYS = ("dataset.path", "dataset.cache_dir")
SAVED_CONFIG = Path(".hydra") / "config.yaml"


def record_absolute_paths(cfg: DictConfig, run_dir: Path) -> None:
    """Resolve the `PATH_KEYS` of ``cfg`` against the current folder, in place, and write
    them into the run's saved config (``<run_dir>/.hydra/config.yaml``) when it has one.

    Other keys of the saved file, interpolations included, are left as Hydra wrote them.
    """
    resolved = {}
    for key in PATH_KEYS:
        value = OmegaConf.select(cfg, key)
        if isinstance(value, str) and value and "://" not in value:
            resolved[key] = str(Path(value).expanduser().resolve())
    if not resolved:
        return
    with open_dict(cfg):
        for key, value in resolved.items():
            OmegaConf.update(cfg, key, value)
    saved = run_dir / SAVED_CONFIG
    if saved.is_file():
        config = OmegaConf.load(saved)
        for key, value in resolved.items():
            OmegaConf.update(config, key, value, force_add=True)
        OmegaConf.save(config, saved)
