"""Choosing a model's configuration: the trial with the best validation score, and only that.

Selection never reads a test metric: the test rows of every split stay unseen until the
final phase scores the chosen configuration on them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from experiments.protocol.jobs import Trial


def validation_score(result: Mapping[str, Any] | None, monitor: str) -> float | None:
    """The ``monitor`` value of a finished run, or None when the run is not done or the
    value is missing or not finite."""
    if not result or result.get("status") != "done":
        return None
    value = result.get("metrics", {}).get(monitor)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def rank_by_validation(scores: Mapping[str, float], mode: str) -> list[str]:
    """Model names, the best mean validation score first (``mode``: ``max`` or ``min``), a
    tie to the first name, models without a score (nan) last. The protocol's winner and its
    leaderboard rank alike, so that the model its report calls best is the one it trains."""
    sign = 1.0 if mode == "max" else -1.0
    return sorted(scores, key=lambda name: (math.isnan(scores[name]), -sign * scores[name], name))


def best_trial(
    outcomes: Sequence[tuple[Trial, Mapping[str, Any] | None]], monitor: str, mode: str
) -> Trial | None:
    """The trial whose run scored best on ``monitor`` (a ``val/`` metric); on a tie the lower
    trial number, so that the defaults (trial 0) win ties. A search therefore never returns a
    configuration that scored worse on validation than the defaults, when they ran.

    Args:
        outcomes: each trial with its run's ``result.json`` content (None when it has none).
        monitor: the validation metric, e.g. ``val/acc``.
        mode: ``max`` or ``min``.

    Returns:
        The chosen trial, or None when no trial finished with a finite score.
    """
    if not monitor.startswith("val/"):
        raise ValueError(f"selection reads validation metrics only, got {monitor!r}")
    sign = 1.0 if mode == "max" else -1.0
    scored = [
        (sign * score, -trial.number, trial)
        for trial, result in outcomes
        if (score := validation_score(result, monitor)) is not None
    ]
    return max(scored, key=lambda item: item[:2])[2] if scored else None
