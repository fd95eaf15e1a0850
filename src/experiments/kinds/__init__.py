"""Model kinds: one interface (`ModelKind`: describe, fit, load, score, predict) with one
implementation per kind, chosen once from the model config by `model_kind`. May import
`config`, `data`, `models`, `tasks` and `runs` helpers; the entry points import it.

Adding a kind is one module with a class like `NetworkKind` plus its model YAMLs, which
say ``kind: <name>``; nothing else asks which kind a model is.
"""

from __future__ import annotations

from omegaconf import DictConfig

from experiments.config import ConfigError
from experiments.config.suggest import did_you_mean
from experiments.kinds.base import FitOutcome, ModelKind, Outputs, RunInputs
from experiments.kinds.estimator import EstimatorKind
from experiments.kinds.network import NetworkKind
from experiments.kinds.recommender import RecommenderEstimatorKind, RecommenderKind

KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (NetworkKind(), EstimatorKind(), RecommenderKind(), RecommenderEstimatorKind())
}

__all__ = ["KINDS", "FitOutcome", "ModelKind", "Outputs", "RunInputs", "model_kind"]


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
    kind = KINDS[name]
    # every kind also takes `family` (baseline | deep), read by the protocol's report only
    allowed = kind.keys | {"kind", "family"}
    unknown = [str(key) for key in model if key not in allowed]
    if unknown:
        raise ConfigError([_unknown_key(key, allowed, name) for key in unknown])
    return kind


def _unknown_key(key: str, allowed: frozenset[str], kind: str) -> str:
    hint = did_you_mean(key, allowed)
    return f"model.{key}: not a key of {kind} models{hint}; they take {', '.join(sorted(allowed))}"
