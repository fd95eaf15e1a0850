"""Search spaces in Hydra's sweep syntax, as Optuna distributions, and the samplers that
draw from them.

The syntax is Hydra's override grammar, as in hydra-optuna-sweeper::

    optimizer.lr: tag(log, interval(1e-4, 1e-1))   # float, log scale
    model.net.dropout: interval(0.0, 0.5)           # float
    trainer.max_epochs: tag(int, interval(5, 50))   # int, both ends included
    trainer.max_epochs: range(10, 40, step=10)      # int: 10, 20, 30 (stop excluded, as in Hydra)
    model.net.hidden_sizes: choice([128], [256, 128])
    model: mlp,deep_mlp                             # a comma list is a choice too

Optuna is imported when a distribution or sampler is made, so that importing this module
stays cheap (Hydra imports the sweeper plugins that use it at every start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep
from hydra.errors import HydraException

from experiments.config import ConfigError

if TYPE_CHECKING:
    import optuna

SAMPLERS = ("random", "tpe")
# Random trials before TPE models the results: few, because protocol budgets are small.
TPE_STARTUP_TRIALS = 3


def distribution(override: Override) -> optuna.distributions.BaseDistribution:
    """The Optuna distribution of a sweep override (``choice``, ``range``, ``interval``,
    tagged ``log`` for a log scale, ``int`` for integers from an interval).

    Raises:
        HydraException: a sweep kind Optuna cannot sample, naming the key.
    """
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    sweep = override.value()
    log_scale = "log" in sweep.tags
    if isinstance(sweep, ChoiceSweep):
        # Optuna stores plain values only: lists become their override text ("[256, 128]").
        plain = (bool, int, float, str)
        choices = [c if isinstance(c, plain) else override_text(c) for c in sweep.list]
        return CategoricalDistribution(choices)
    if isinstance(sweep, RangeSweep) and all(
        isinstance(x, int) for x in (sweep.start, sweep.stop, sweep.step)
    ):
        return IntDistribution(sweep.start, sweep.stop - sweep.step, step=sweep.step)
    if isinstance(sweep, IntervalSweep):
        if "int" in sweep.tags:  # Hydra parses interval ends as floats
            return IntDistribution(int(sweep.start), int(sweep.end), log=log_scale)
        return FloatDistribution(float(sweep.start), float(sweep.end), log=log_scale)
    raise HydraException(
        f"{override.get_key_element()}: the Optuna sweeper takes choice(...), a,b,c, "
        f"range(start, stop, step) with integers or interval(low, high), got {override.input_line}"
    )


def override_text(value: Any) -> str:
    """A value as Hydra's override grammar reads it back (lists as ``[a, b]``, None as
    ``null``, booleans as ``true``/``false``)."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(override_text(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def parse_space(
    space: Mapping[str, Any], where: str
) -> dict[str, optuna.distributions.BaseDistribution]:
    """A search space (override key -> sweep text) as Optuna distributions, in its order.

    Args:
        space: e.g. ``{"optimizer.lr": "tag(log, interval(1e-4, 3e-2))"}``.
        where: the config key that holds the space, for messages (``model.search_space``).

    Raises:
        ConfigError: every entry that is not a sweep Optuna can sample, each naming its key.
    """
    parser = OverridesParser.create()
    problems = []
    parsed = {}
    for key, text in space.items():
        try:
            (override,) = parser.parse_overrides([f"{key}={text}"])
            if not override.is_sweep_override():
                raise HydraException("not a sweep")
            parsed[str(key)] = distribution(override)
        except HydraException:
            problems.append(
                f"{where}.{key}: expected a sweep such as interval(lo, hi), "
                f"tag(log, interval(lo, hi)), tag(int, interval(lo, hi)), range(a, b, step) "
                f"or choice(a, b), got {text!r}"
            )
    if problems:
        raise ConfigError(problems)
    return parsed


def make_sampler(kind: str, seed: int) -> optuna.samplers.BaseSampler:
    """A seeded Optuna sampler: ``random`` draws the same trials on every run; ``tpe`` asks
    the same trials again when told the same results (done jobs report their old ones)."""
    import optuna

    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=TPE_STARTUP_TRIALS)
    return optuna.samplers.RandomSampler(seed=seed)
