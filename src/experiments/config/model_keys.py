"""A fixed value for a key under ``model`` in a sweep over models:
``experiments-train -m model=sk_logreg,sk_linear_svc model.estimator.C=2``.

Before any sweeper runs, Hydra composes one config with every fixed override of the command
line, and with the default model: a sweep of ``model`` is skipped there, and so is every
other sweep. A key that the swept models have and the default model does not failed there
("Could not override 'model.estimator.C'", with the advice of a ``+`` that then breaks the
models that have it). The entry point hands each such override to Hydra as a one-value sweep
(`hide_from_first_composition`), which that composition skips; each sweeper takes it back
as the fixed override it was written as (`as_fixed`), so that every job composes it with its
own model; and `compose_each` says in one message which models lack a key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig

from experiments.config.errors import ConfigError

MULTIRUN_FLAGS = ("-m", "--multirun")
MODEL_KEY = "model."
_ONE_VALUE = re.compile(r"(?P<key>[^=]+)=choice\((?P<value>.*)\)", re.DOTALL)
_NOT_OVERRIDDEN = re.compile(r"Could not override '(?P<key>[^']+)'")


def hide_from_first_composition(argv: list[str]) -> list[str]:
    """``argv`` of a multirun with each fixed ``model.<key>=<value>`` override (no ``+``,
    ``++`` or ``~``) written as the one-value sweep ``model.<key>=choice(<value>)``; any
    other command line as it is."""
    if not any(word in MULTIRUN_FLAGS for word in argv[1:]):
        return argv
    parser = OverridesParser.create()
    hidden = []
    for word in argv:
        if word.startswith(MODEL_KEY) and "=" in word:
            try:
                (override,) = parser.parse_overrides([word])
            except HydraException:  # Hydra says what is wrong with it
                override = None
            if override is not None and not override.is_sweep_override():
                key, _, value = word.partition("=")
                word = f"{key}=choice({value})"
        hidden.append(word)
    return hidden


def as_fixed(arguments: Sequence[str]) -> list[str]:
    """A sweeper's ``arguments`` with each one-value sweep of a ``model.<key>`` back as the
    fixed override ``model.<key>=<value>`` (`hide_from_first_composition`; one written by
    the user means the same)."""
    parser = OverridesParser.create()
    fixed = []
    for line in arguments:
        match = _ONE_VALUE.fullmatch(line)
        if match and line.startswith(MODEL_KEY):
            (override,) = parser.parse_overrides([line])
            if len(list(override.sweep_string_iterator())) == 1:
                line = f"{match['key']}={match['value']}"
        fixed.append(line)
    return fixed


def compose_each(
    jobs: Sequence[Sequence[str]], compose: Callable[[list[str]], DictConfig]
) -> list[DictConfig]:
    """``compose(overrides)`` for each job's overrides.

    Raises:
        ConfigError: every job that could not be composed: a key under ``model`` that the
            job's model lacks once per key, naming the models that lack it and those that
            have it; any other failure with Hydra's message, once.
    """
    configs, lacking, problems = [], {}, []
    for overrides in jobs:
        try:
            configs.append(compose(list(overrides)))
        except HydraException as error:
            missing = _NOT_OVERRIDDEN.search(str(error))
            if missing and missing["key"].startswith(MODEL_KEY):
                lacking.setdefault(missing["key"], []).append(_model_of(overrides))
            elif str(error) not in problems:
                problems.append(str(error))
    lacking_problems = [
        f"{key}: set for every model of the sweep, but {_models(missing)} no such key"
        + (f" ({_models(having)} it)" if (having := _others(jobs, missing)) else "")
        + ": sweep the models that have it, or set it in their config files"
        for key, missing in lacking.items()
    ]
    problems = lacking_problems + problems
    if problems:
        raise ConfigError(problems)
    return configs


def _model_of(overrides: Sequence[str]) -> str:
    """The model a job's overrides choose (the last ``model=``), or ``the default``."""
    chosen = [line.partition("=")[2] for line in overrides if line.startswith("model=")]
    return chosen[-1] if chosen else "the default"


def _others(jobs: Sequence[Sequence[str]], models: list[str]) -> list[str]:
    """The models of ``jobs`` other than ``models``, in order, once each."""
    return [name for name in dict.fromkeys(map(_model_of, jobs)) if name not in models]


def _models(names: list[str]) -> str:
    """``model mlp has``, ``models mlp, cnn have``."""
    unique = list(dict.fromkeys(names))
    if len(unique) == 1:
        return f"model {unique[0]} has"
    return f"models {', '.join(unique)} have"
