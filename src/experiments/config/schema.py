"""The root of a run's config: the settings a run has, so that a key added by mistake
(``+sed=1`` for ``seed=1``) stops the run with the key it resembles instead of being
ignored. Hydra already refuses an unknown key given without ``+``. A key of one's own at the
root (a value that an experiment file interpolates in several places) starts with ``_``."""

from __future__ import annotations

from omegaconf import DictConfig

from experiments.config.errors import ConfigError
from experiments.config.suggest import did_you_mean

ROOT_KEYS = frozenset(
    {
        # conf/train.yaml's groups and settings
        "dataset", "model", "optimizer", "scheduler", "trainer", "logger", "callbacks",
        "metrics", "experiment_name", "seed", "steps_per_call", "threads", "monitor",
        "monitor_mode", "output_root", "progress_bar", "figures", "resume", "keep_model",
        "tags", "debug",
        # what the optional groups add: hparams_search=, protocol=, curve=, suite=, launcher=gpus
        "search", "protocol", "curve", "suite", "gpus",
        "hydra",  # Hydra's own, in a config composed with it
    }
)  # fmt: skip


def check_root_keys(cfg: DictConfig) -> None:
    """Refuse root keys of ``cfg`` that are not settings of a run (`ROOT_KEYS`) and do not
    start with ``_`` (a user's own helper keys).

    Raises:
        ConfigError: one problem per unknown key, with the known key it resembles.
    """
    unknown = [str(key) for key in cfg if key not in ROOT_KEYS and not str(key).startswith("_")]
    if unknown:
        raise ConfigError(
            [
                f"{key}: not a setting of a run{did_you_mean(key, sorted(ROOT_KEYS))}; "
                f"a key of your own for interpolations starts with '_' (_{key})"
                for key in unknown
            ]
        )
