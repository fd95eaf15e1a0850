"""Check a composed config against the signatures of its `_target_`s before anything runs.

Hydra's strict mode already rejects unknown keys given on the command line; this catches
what it cannot: values of the wrong type (``optimizer.lr=abc``), keys added with ``+`` that
the target does not take, and targets that do not import. Every problem is reported at once.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from hydra.utils import get_object
from omegaconf import DictConfig, ListConfig, OmegaConf

from experiments.config.errors import ConfigError

_NUMBER_TYPES = {bool: (bool,), int: (int,), float: (int, float)}
_TYPE_WORDS = {bool: "true or false", int: "an integer", float: "a number"}


def _expected_type(parameter: inspect.Parameter) -> type | None:
    """int, float or bool when the parameter's default or annotation says so, else None.
    A float annotation wins over an int default (``lr: float | Tensor = 1`` takes 0.5)."""
    annotation = parameter.annotation
    options = [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
    if type(parameter.default) is int and float in options:
        return float
    if type(parameter.default) in _NUMBER_TYPES:
        return type(parameter.default)
    annotation = options[0] if len(options) == 1 else None
    return annotation if annotation in _NUMBER_TYPES else None


def _value_fits(value: Any, expected: type) -> bool:
    if isinstance(value, bool) and expected is not bool:
        return False
    return isinstance(value, _NUMBER_TYPES[expected])


def _check_node(node: DictConfig, key: str) -> list[str]:
    target = node.get("_target_")
    try:
        factory: Callable[..., Any] = get_object(target)
    except Exception as error:  # hydra raises ImportError or its own errors
        return [f"{key}._target_: cannot import '{target}' ({error})"]
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # builtins without a signature: nothing to check
        return []
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    problems = []
    for name in node:
        if str(name).startswith("_"):
            continue
        if name not in parameters:
            if not takes_any:
                allowed = ", ".join(p for p in parameters if p not in ("self", "args", "kwargs"))
                problems.append(f"{key}.{name}: not a parameter of {target}; it takes {allowed}")
            continue
        expected = _expected_type(parameters[name])
        value = node[name]
        if expected and value is not None and not _value_fits(value, expected):
            problems.append(
                f"{key}.{name}: expected {_TYPE_WORDS[expected]} for {target}, got {value!r}"
            )
    return problems


def _target_nodes(node: Any, key: str) -> list[tuple[str, DictConfig]]:
    found = []
    if isinstance(node, DictConfig):
        if "_target_" in node:
            found.append((key, node))
        for child in node:
            found += _target_nodes(node[child], f"{key}.{child}" if key else str(child))
    elif isinstance(node, ListConfig):
        for index, child in enumerate(node):
            found += _target_nodes(child, f"{key}[{index}]")
    return found


def check_config(cfg: DictConfig, sections: tuple[str, ...]) -> None:
    """Check every `_target_` node under ``sections`` of ``cfg``.

    Raises:
        ConfigError: listing every problem found, each naming its key.
    """
    problems = []
    for section in sections:
        node = OmegaConf.select(cfg, section)
        for key, target_node in _target_nodes(node, section):
            problems += _check_node(target_node, key)
    if problems:
        raise ConfigError(problems)
