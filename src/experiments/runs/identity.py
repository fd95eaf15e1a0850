"""A job's identity: the question its result answers. Two jobs with the same identity are the
same job, so a finished run of one is the other's result; any other finished run in a job's
folder is not (`experiments.core.job` then runs the job again, the old run set aside).

The identity is the composed config that determines the result, less `VOLATILE` (where and
how the run is written or shown), plus the fingerprint of its data (the data module's
``fingerprint()``: the bytes of local files, a loader's code and arguments, a built-in set's
library version; `experiments.data.fingerprint`). The code version is not part of it: a run
records it as provenance, and a fix that changes no setting does not make old runs another
question. ``result.json`` records it::

    "identity": {
      "id": "3f9a0c1d2e4b5a69",   # of config and data: the same id, the same job
      "data": {"id": "9ab1c2d3",  # of the rows and what chooses the scored rows: leaderboards
               "source": "csv:wine.csv", "rows": "csv:None:sha256-..."},  # group runs by it
      "config": {...}             # the config it was computed from, to name what differs
    }

A debug run (`debug_settings`: ``trainer.fast_dev_run``, ``limit_*_batches`` below the whole
split, ``overfit_batches``) is no result at all: it is recorded with status ``debug``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from experiments.config import ConfigError, instantiate_checked

# Dotted keys that say where or how a run is written or shown, or that a documented setting
# does not change the numbers of (``steps_per_call``): two runs that differ only in these ran
# the same job. ``protocol`` is the protocol's record of the job and its settings, ``suite``
# the datasets a suite runs the job among (its own dataset is in ``dataset``), ``search``
# and ``callbacks.optuna_pruning`` an Optuna trial's study and number (its sampled values are
# in the config), ``model.search_space`` what a search may draw: none changes what it trains.
VOLATILE = (
    "experiment_name", "output_root", "progress_bar", "figures", "resume", "keep_model",
    "gpus", "steps_per_call", "logger", "tags", "protocol", "suite", "search", "callbacks.optuna_pruning",
    "callbacks.protocol_pruning", "model.search_space",
    "dataset.cache", "dataset.cache_dir",
    "trainer.enable_progress_bar", "trainer.enable_model_summary",
)  # fmt: skip
# Dataset keys that change neither which rows a run is scored on nor their targets (the
# names shown for the classes do not): runs that differ only in these (and in model
# settings) rank in one leaderboard. Where the rows lie (``path``, ``data_files``) is in the
# rows' fingerprint instead.
NOT_DATA = (
    "name", "path", "data_files", "batch_size", "eval_batch_size", "on_device", "augment",
    "features", "train_size", "cache", "cache_dir", "class_names",
)  # fmt: skip
ID_LENGTH = 16  # hex digits of a job's id
DATA_ID_LENGTH = 8  # hex digits of a data id, shown in leaderboards
SHOWN_DIFFERENCES = 8  # differing keys named in a message; the rest are counted
TRAINER_LIMITS = ("limit_train_batches", "limit_val_batches", "limit_test_batches")
_UNSET = object()  # a key one side of a comparison does not have


def identity_config(cfg: DictConfig) -> dict[str, Any]:
    """``cfg`` as plain containers, interpolations resolved (as written where one cannot be
    resolved: the run reports that itself), less `VOLATILE`."""
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException:
        config = OmegaConf.to_container(cfg, resolve=False)
    for dotted in VOLATILE:
        drop(config, dotted.split("."))
    return config


def job_identity(config: dict[str, Any], data: dict[str, str] | None) -> dict[str, Any]:
    """The identity of a job of ``config`` (an `identity_config`) on ``data`` (a data
    module's ``fingerprint()``: ``source`` and ``rows``; None when it has none, and then
    only the config identifies the job)."""
    rows = (data or {}).get("rows")
    dataset = {k: v for k, v in (config.get("dataset") or {}).items() if k not in NOT_DATA}
    data_id = _digest({"rows": rows, "dataset": dataset})[:DATA_ID_LENGTH] if rows else None
    return {
        "id": _digest({"config": config, "rows": rows})[:ID_LENGTH],
        "data": (data or {}) | {"id": data_id},
        "config": config,
    }


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
    """The identity of the job ``cfg`` (a composed run config) describes, before it runs:
    its data module is built, not loaded (one that cannot be built gets an identity whose
    data says why)."""
    config = identity_config(cfg)
    try:
        datamodule = instantiate_checked(cfg.dataset, "dataset")
    except ConfigError as error:
        return job_identity(config, {"error": "; ".join(error.problems)})
    return run_identity(config, datamodule)


def differences(recorded: Any, identity: dict[str, Any]) -> list[str]:
    """What differs between the identity a finished run ``recorded`` and ``identity``, one
    line each (its data, then config keys: at most `SHOWN_DIFFERENCES`); empty when they
    are the same job."""
    if not isinstance(recorded, dict) or "id" not in recorded:
        return ["identity: none recorded (the run was made before runs recorded one)"]
    if recorded["id"] == identity["id"]:
        return []
    found = []
    old_data, new_data = recorded.get("data") or {}, identity["data"]
    if old_data.get("rows") != new_data.get("rows"):
        found.append(f"data: {_data_text(old_data)} -> {_data_text(new_data)}")
    changed = _changed(recorded.get("config") or {}, identity["config"])
    # the broadest first: `model.name` says more than `model.net.hidden_sizes`
    for key in sorted(changed, key=lambda key: (key.count("."), key)):
        old, new = changed[key]
        found.append(f"{key}: {old} -> {new}")
    if len(found) > SHOWN_DIFFERENCES:
        found = [*found[:SHOWN_DIFFERENCES], f"... and {len(found) - SHOWN_DIFFERENCES} more"]
    return found or ["identity: another id (computed by another version)"]


def debug_settings(trainer: DictConfig) -> list[str]:
    """The settings of ``trainer`` (the Trainer's config) that make a run a debug run, whose
    numbers are no result: ``fast_dev_run``, ``overfit_batches``, or a ``limit_*_batches``
    that is not the whole split (a fraction below 1, or a count of batches)."""
    found = [
        f"trainer.{key}={trainer[key]}"
        for key in ("fast_dev_run", "overfit_batches")
        if trainer.get(key) not in (None, False, 0, 0.0)
    ]
    for key in TRAINER_LIMITS:
        value = trainer.get(key)
        if value is not None and (isinstance(value, int) or value < 1.0):
            found.append(f"trainer.{key}={value}")
    return found


def drop(node: Any, path: list[str]) -> None:
    """Remove the key at ``path`` (a dotted key's parts) from nested dicts, when present."""
    if not isinstance(node, dict):
        return
    if len(path) == 1:
        node.pop(path[0], None)
    else:
        drop(node.get(path[0]), path[1:])


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _changed(old: Any, new: Any, prefix: str = "") -> dict[str, tuple[str, str]]:
    """Dotted key -> (old, new) text of each value that differs; a section present on one
    side only is one key."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return {} if old == new else {prefix: (_text(old), _text(new))}
    changed = {}
    for key in old.keys() | new.keys():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        changed |= _changed(old.get(key, _UNSET), new.get(key, _UNSET), dotted)
    return changed


def _text(value: Any) -> str:
    if value is _UNSET:
        return "(unset)"
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _data_text(data: dict[str, Any]) -> str:
    if data.get("error"):
        return f"unreadable ({data['error']})"
    return f"{data.get('source', 'unknown')} [{data.get('rows', 'no fingerprint')}]"
