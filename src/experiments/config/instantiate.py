"""`instantiate_checked`: Hydra's instantiate, with failures reported as config errors."""

from __future__ import annotations

import copy
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf, ValueNode, open_dict

from experiments.config.errors import ConfigError

# Lightning's two package names: `lightning` (its unified package) re-exports
# `pytorch_lightning`'s classes under this prefix, and a Trainer of one package takes only
# callbacks and loggers of the same package.
LIGHTNING_ALIAS = ("lightning.pytorch.", "pytorch_lightning.")
TARGET = "_target_"


def instantiate_checked(node: DictConfig, key: str, **kwargs: Any) -> Any:
    """`hydra.utils.instantiate`, with a failure turned into a `ConfigError` naming ``key``.
    A ``_target_`` under ``lightning.pytorch.`` builds the same class of ``pytorch_lightning``
    (the package the Trainer comes from)."""
    try:
        return instantiate(with_pytorch_lightning_targets(node), **kwargs)
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise cause from None
        raise ConfigError(f"{key}: {cause or error}") from error


def with_pytorch_lightning_targets(node: Any) -> Any:
    """``node``, or where a ``_target_`` in it names a ``lightning.pytorch.`` path, a copy
    (interpolations still resolve against its parents) naming ``pytorch_lightning.``'s."""
    if not isinstance(node, DictConfig | ListConfig):
        return node
    targets = [path for path, target in _targets(node) if target.startswith(LIGHTNING_ALIAS[0])]
    if not targets:
        return node
    node = copy.deepcopy(node)
    for path in targets:
        parent = OmegaConf.select(node, path) if path else node
        with open_dict(parent):
            parent[TARGET] = LIGHTNING_ALIAS[1] + parent[TARGET][len(LIGHTNING_ALIAS[0]) :]
    return node


def _targets(node: DictConfig | ListConfig, path: str = "") -> list[tuple[str, str]]:
    """``(path, _target_)`` of each node in ``node`` that names a target (unresolved)."""
    found = []
    # validate_access=False: a struct node without a target (a plain map) has none, no error
    target = node._get_node(TARGET, validate_access=False) if isinstance(node, DictConfig) else None
    if isinstance(target, ValueNode):
        value = target._value()
        if isinstance(value, str):
            found.append((path, value))
    items = node.items_ex(resolve=False) if isinstance(node, DictConfig) else enumerate(node)
    for key, child in items:
        if isinstance(child, DictConfig | ListConfig):
            found += _targets(child, f"{path}.{key}" if path else str(key))
    return found
