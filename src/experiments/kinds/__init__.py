"""Model kinds: one interface (`ModelKind`: check_data, describe, fit, load, score,
predict) with one implementation per kind, chosen once from the model config by
`model_kind`. May import `config`, `io`, `data`, `models`, `tasks` and `runs`; the core run
and the entry points import it.

Adding a kind is one module with a class like `NetworkKind`, named in `KINDS` by its import
path (imported when a model of that kind is first asked for, so that a kind may live in a
package above this one, as `experiments.recsys` does), plus its model YAMLs, which say
``kind: <name>``; nothing else asks which kind a model is.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

from omegaconf import DictConfig

from experiments.config import ConfigError
from experiments.config.suggest import did_you_mean
from experiments.kinds.base import FitOutcome, ModelKind, Outputs, RunInputs

# Each kind's name and the import path of its class (``module:Class``).
KINDS: dict[str, str] = {
    "network": "experiments.kinds.network:NetworkKind",
    "estimator": "experiments.kinds.estimator:EstimatorKind",
    "recommender": "experiments.recsys.kind:RecommenderKind",
    "recommender_estimator": "experiments.recsys.kind:RecommenderEstimatorKind",
    "style": "experiments.style.kind:StyleKind",
}

__all__ = [
    "KINDS",
    "FitOutcome",
    "ModelKind",
    "Outputs",
    "RunInputs",
    "kind_named",
    "model_files",
    "model_kind",
]


@functools.cache
def kind_named(name: str) -> ModelKind:
    """The kind registered as ``name`` in `KINDS`, imported on first use."""
    module, _, cls = KINDS[name].partition(":")
    return getattr(importlib.import_module(module), cls)()


def model_files() -> list[Path]:
    """Where every kind saves its trained model in a run folder (what a re-run replaces)."""
    return list(dict.fromkeys(kind_named(name).model_file for name in KINDS))


def model_kind(model: DictConfig) -> ModelKind:
    """The kind of a model config, checked: ``model.kind`` when given, else ``estimator``
    for a config with an ``estimator`` node and ``network`` otherwise (the shipped files and
    a user's network YAML need not say it).

    Raises:
        ConfigError: an unknown kind, or keys the kind does not take (a misspelled
            ``compiled: true`` or ``+model.c=1``), every one named at once.
    """
    name = model.get("kind") or ("estimator" if "estimator" in model else "network")
    if name not in KINDS:
        raise ConfigError(f"model.kind: unknown kind '{name}'; expected one of {', '.join(KINDS)}")
    kind = kind_named(name)
    # every kind also takes `family` (baseline | deep), read by the protocol's report only
    allowed = kind.keys | {"kind", "family"}
    unknown = [str(key) for key in model if key not in allowed]
    if unknown:
        raise ConfigError([_unknown_key(key, allowed, name) for key in unknown])
    return kind


def _unknown_key(key: str, allowed: frozenset[str], kind: str) -> str:
    hint = did_you_mean(key, allowed)
    return f"model.{key}: not a key of {kind} models{hint}; they take {', '.join(sorted(allowed))}"
