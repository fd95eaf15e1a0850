"""Statistics over seeds: the confidence interval of a mean (Student t). Seeds measure what
they change (initialization, data order), never which rows were tested: no test of
significance is made from them (`experiments.stats.significance`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

CONFIDENCE = 0.95
ALPHA = 0.05  # significance level of the leaderboard's tests


def confidence_interval(values: Sequence[float], level: float = CONFIDENCE) -> tuple[float, float]:
    """The Student-t confidence interval of the mean of ``values`` (seeds are few, so not the
    normal one); ``(nan, nan)`` for fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return math.nan, math.nan
    mean, sem = values.mean(), np.std(values, ddof=1) / len(values) ** 0.5
    if sem == 0:
        return float(mean), float(mean)
    # `scipy.stats.t.interval`'s numbers (its quantiles are `special.stdtrit`) without
    # importing scipy.stats, 0.6 s of every leaderboard's start-up.
    low, high = special.stdtrit(len(values) - 1, [(1 - level) / 2, (1 + level) / 2]) * sem + mean
    return float(low), float(high)
