"""What an Optuna study searches, recorded in the study: a study name is never reused for
another search.

A study's trials only mean something together when they answer one question: the same data,
the same model and settings around the searched keys, the same metric, direction and search
space. The search records that identity (`search_identity`) in the study when it creates it
(a user attribute), and a search that finds its study made for another question refuses to
add trials to it (`check_study`), with the command that starts a new study instead: else the
pruner would judge the new trials against the old ones, and the best trial would be either.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from omegaconf import DictConfig, open_dict

from experiments.config import ConfigError
from experiments.runs.identity import differences, drop, identity_of, job_identity

IDENTITY_ATTRIBUTE = "identity"  # the study's user attribute that holds its identity
STUDY_KEY = "search.study_name"


def search_identity(
    cfg: DictConfig, metric: str, direction: str, space: dict[str, Any]
) -> dict[str, Any]:
    """The identity of the search ``cfg`` (the sweep's composed config) describes: that of
    its jobs (`experiments.runs.identity.identity_of`) less the searched keys, with the
    ``metric``, the ``direction`` and the ``space`` (key -> Optuna distribution)."""
    from optuna.distributions import distribution_to_json

    task = cfg.copy()
    with open_dict(task):
        task.pop("hydra", None)  # where and how the sweep runs
    jobs = identity_of(task)
    config = jobs["config"]
    for key in space:
        drop(config, key.lstrip("+~").split("."))
    config["study"] = {
        "metric": metric,
        "direction": direction,
        "space": {key: json.loads(distribution_to_json(value)) for key, value in space.items()},
    }
    return job_identity(config, jobs["data"])


def check_study(study: Any, identity: dict[str, Any], argv: list[str]) -> None:
    """Record ``identity`` in a new ``study``; accept a study that recorded the same.

    Raises:
        ConfigError: the study holds trials of another search (or of one that recorded no
            identity), naming what differs and the command (``argv`` with another study
            name) that starts a new study.
    """
    recorded = study.user_attrs.get(IDENTITY_ATTRIBUTE)
    if recorded is None and not study.get_trials(deepcopy=False):
        study.set_user_attr(IDENTITY_ATTRIBUTE, identity)
        return
    changed = differences(recorded, identity)
    if not changed:
        return
    name = f"{study.study_name}-{identity['id'][:6]}"
    command = shlex.join(
        ["experiments-train", *(a for a in argv[1:] if not a.startswith(f"{STUDY_KEY}=")),
         f"{STUDY_KEY}={name}"]
    )  # fmt: skip
    raise ConfigError(
        [
            f"{STUDY_KEY}: study '{study.study_name}' holds the trials of another search; its "
            "trials would be compared with this search's. It differs in:",
            *(f"  {line}" for line in changed),
            f"Start a new study under another name:\n    {command}",
        ]
    )
