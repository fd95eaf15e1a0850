"""The protocol's settings (the ``protocol`` config node), checked before any job runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from experiments.config import ConfigError
from experiments.protocol.space import SAMPLERS

# nested: a search inside every outer split, on its train and validation rows; once: one
# search on the search split, its choice re-trained on every split (cheaper, optimistic).
TUNINGS = ("nested", "once")
# median: a search trial trained in epochs stops at a checkpoint where it is worse than the
# median of its search's earlier finished trials there (`experiments.protocol.run`); none.
PRUNINGS = ("median", "none")
# The median rule's checkpoints, as fractions of a trial's epochs (10 and 20 of 30), and the
# earlier finished trials with a value there that a median needs.
CHECKPOINTS = (1 / 3, 2 / 3)
MIN_FINISHED = 2


@dataclass(frozen=True)
class ProtocolSettings:
    """How every model of a comparison is tuned and re-trained.

    Attributes:
        trials: search trials per model (per split when nested), trial 0 being the defaults.
        sampler: ``random`` (seeded draws) or ``tpe`` (Optuna's TPE).
        splits: outer data splits (``dataset.split_seed`` = 0 .. splits-1), the unit of
            evidence of the verdicts.
        seeds: training seeds per split in the final phase (``seed`` = 0 .. seeds-1); their
            scores are averaged within the split.
        tuning: one of `TUNINGS`: ``nested`` searches on every split's own train and
            validation rows; ``once`` searches on the search split only and re-trains its
            choice on every split.
        pruning: one of `PRUNINGS`: ``median`` stops a search trial trained in epochs at a
            checkpoint (1/3 and 2/3 of its epochs) where its validation score is worse than
            the median of its search's earlier finished trials there; ``none``.
        rope: the region of practical equivalence, in the monitored metric's units; None
            leaves it to the report (`experiments.stats.metric_scale.default_rope`: one
            point for metrics on a scale of 1, 1% of the best score for errors).
        search_seed: seeds the sampler, so that a re-run draws the same trials.
        monitor: the validation metric that selects a trial.
        monitor_mode: ``max`` or ``min``.
    """

    trials: int
    sampler: str
    splits: int
    seeds: int
    tuning: str
    rope: float | None
    search_seed: int
    monitor: str
    monitor_mode: str
    pruning: str = "none"

    @classmethod
    def from_config(cls, node: Any, monitor: str, monitor_mode: str) -> ProtocolSettings:
        """Settings from the ``protocol`` node and the root ``monitor``/``monitor_mode``.

        Raises:
            ConfigError: every bad value, each naming its key.
        """
        problems = [
            f"protocol.{key}: expected a positive integer, got {node.get(key)!r}"
            for key in ("trials", "splits", "seeds")
            if not _positive_int(node.get(key))
        ]
        if node.get("sampler") not in SAMPLERS:
            problems.append(
                f"protocol.sampler: expected one of {', '.join(SAMPLERS)}, got {node.get('sampler')!r}"
            )
        pruning = node.get("pruning", "none")  # none: a protocol recorded before it existed
        for key, value, allowed in (
            ("tuning", node.get("tuning"), TUNINGS),
            ("pruning", pruning, PRUNINGS),
        ):
            if value not in allowed:
                problems.append(
                    f"protocol.{key}: expected one of {', '.join(allowed)}, got {value!r}"
                )
        rope = node.get("rope")
        if rope is not None and (
            not isinstance(rope, int | float) or isinstance(rope, bool) or rope < 0
        ):
            problems.append(f"protocol.rope: expected a number >= 0 or null, got {rope!r}")
        if not isinstance(node.get("search_seed"), int):
            problems.append(
                f"protocol.search_seed: expected an integer, got {node.get('search_seed')!r}"
            )
        if not str(monitor).startswith("val/"):
            problems.append(
                f"monitor: the protocol selects on a validation metric (val/...), got {monitor!r}"
            )
        if monitor_mode not in ("max", "min"):
            problems.append(f"monitor_mode: expected max or min, got {monitor_mode!r}")
        if problems:
            raise ConfigError(problems)
        return cls(
            trials=node.trials,
            sampler=node.sampler,
            splits=node.splits,
            seeds=node.seeds,
            tuning=node.tuning,
            rope=None if rope is None else float(rope),
            search_seed=node.search_seed,
            monitor=monitor,
            monitor_mode=monitor_mode,
            pruning=pruning,
        )


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
