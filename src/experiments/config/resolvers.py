"""The OmegaConf resolvers the shipped configs use, registered when `experiments.config` is
imported, so that a config composes the same under ``experiments-train``, the Python API
and `compose_config` alike."""

from __future__ import annotations

import secrets

from omegaconf import OmegaConf

from experiments.config.errors import ConfigError
from experiments.config.job_name import job_name


def folder_name(name: str, key: str = "experiment_name") -> str:
    """``name`` as one folder level (``${folder_name:${experiment_name}}`` in the run
    folder's path), so that runs land under ``output_root`` and nowhere else.

    Raises:
        ConfigError: ``name`` is empty, ``.`` or ``..``, or holds a path separator.
    """
    if str(name) in ("", ".", "..") or "/" in str(name) or "\\" in str(name):
        raise ConfigError(
            f"{key}: '{name}' is not a folder name; expected one name without '/' or '..' "
            "(runs land in <output_root>/<experiment_name>/; to write elsewhere set output_root)"
        )
    return str(name)


def register_resolvers() -> None:
    """Register ``run_uid``, ``job_name`` and ``folder_name`` once (again is a no-op)."""
    if OmegaConf.has_resolver("run_uid"):
        return
    # A short random id per process, cached by Hydra with the config, so that two launches
    # in the same second get different run folders while all jobs of one sweep share one.
    OmegaConf.register_new_resolver("run_uid", lambda: secrets.token_hex(3), use_cache=True)
    OmegaConf.register_new_resolver("job_name", job_name)
    OmegaConf.register_new_resolver("folder_name", folder_name)
