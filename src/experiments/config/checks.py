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
from experiments.config.suggest import did_you_mean

_NUMBER_TYPES = {bool: (bool,), int: (int,), float: (int, float)}
_TYPE_WORDS = {bool: "true or false", int: "an integer", float: "a number"}


def _expected_types(parameter: inspect.Parameter) -> tuple[type, ...]:
    """The types of value the parameter takes, when they are numbers or booleans: its
    annotation's (of a union, the widest number type in it, and bool when it is there:
    ``lr: float | Tensor`` takes a float, Lightning's ``fast_dev_run: int | bool`` an int or a
    bool; none when it also takes text), else its default's type, else none. The annotation
    comes first: ``momentum: float = 0`` takes 0.9."""
    annotation = parameter.annotation
    options = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else (annotation,)
    )
    if str in options or typing.Any in options:  # `version: int | str` takes any text
        return ()
    numbers = [number_type for number_type in (float, int) if number_type in options][:1]
    accepted = (*numbers, *([bool] if bool in options else []))
    if accepted:
        return accepted
    if type(parameter.default) in _NUMBER_TYPES:
        return (type(parameter.default),)
    return ()


def _value_fits(value: Any, expected: tuple[type, ...]) -> bool:
    return any(
        isinstance(value, _NUMBER_TYPES[kind]) and (kind is bool or not isinstance(value, bool))
        for kind in expected
    )


def _signature(factory: Callable[..., Any]) -> inspect.Signature:
    """The signature with annotations as types, also for modules that postpone them
    (``from __future__ import annotations``); as strings where they do not evaluate."""
    try:
        return inspect.signature(factory, eval_str=True)
    except NameError:  # an annotation names something not importable at runtime
        return inspect.signature(factory)


def _check_node(node: DictConfig, key: str) -> list[str]:
    target = node.get("_target_")
    try:
        factory: Callable[..., Any] = get_object(target)
    except Exception as error:  # hydra raises ImportError or its own errors
        return [f"{key}._target_: cannot import '{target}' ({error})"]
    try:
        parameters = _signature(factory).parameters
    except (TypeError, ValueError):  # builtins without a signature: nothing to check
        return []
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    problems = []
    for name in node:
        if str(name).startswith("_"):
            continue
        if name not in parameters:
            if not takes_any:
                allowed = [p for p in parameters if p not in ("self", "args", "kwargs")]
                problems.append(
                    f"{key}.{name}: not a parameter of {target}"
                    f"{did_you_mean(str(name), allowed)}; it takes {', '.join(allowed)}"
                )
            continue
        expected = _expected_types(parameters[name])
        value = node[name]
        if expected and value is not None and not _value_fits(value, expected):
            words = " or ".join(_TYPE_WORDS[kind] for kind in expected)
            problems.append(f"{key}.{name}: expected {words} for {target}, got {value!r}")
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
