"""The identity of the job a composed config describes (`experiments.runs.identity`): its
config, and the fingerprint its data module gives of its rows."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from experiments.config import ConfigError, instantiate_checked
from experiments.runs.identity import identity_config, job_identity


def run_identity(config: dict[str, Any], datamodule: Any) -> dict[str, Any]:
    """The identity of a job of ``config`` (an `identity_config`) on ``datamodule``'s data:
    its ``fingerprint()``, or none when the data module has no such method (then only the
    config identifies the job). Data that cannot be found gets an identity whose data says
    why: it is no finished run's job, and loading the data reports the problem."""
    fingerprint = getattr(datamodule, "fingerprint", None)
    try:
        return job_identity(config, fingerprint() if callable(fingerprint) else None)
    except ConfigError as error:
        return job_identity(config, {"error": "; ".join(error.problems)})


def identity_of(cfg: DictConfig) -> dict[str, Any]:
    """The identity of the job ``cfg`` describes, before it runs: its data module is built,
    not loaded (one that cannot be built gets an identity whose data says why)."""
    config = identity_config(cfg)
    try:
        datamodule = instantiate_checked(cfg.dataset, "dataset")
    except ConfigError as error:
        return job_identity(config, {"error": "; ".join(error.problems)})
    return run_identity(config, datamodule)
