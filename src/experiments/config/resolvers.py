"""The OmegaConf resolvers the shipped configs use, registered when `experiments.config` is
imported, so that a config composes the same under ``experiments-train``, the Python API
and `compose_config` alike."""

from __future__ import annotations

import secrets

from omegaconf import OmegaConf

from experiments.config.job_name import job_name


def register_resolvers() -> None:
    """Register ``run_uid`` and ``job_name`` once (again is a no-op)."""
    if OmegaConf.has_resolver("run_uid"):
        return
    # A short random id per process, cached by Hydra with the config, so that two launches
    # in the same second get different run folders while all jobs of one sweep share one.
    OmegaConf.register_new_resolver("run_uid", lambda: secrets.token_hex(3), use_cache=True)
    OmegaConf.register_new_resolver("job_name", job_name)
