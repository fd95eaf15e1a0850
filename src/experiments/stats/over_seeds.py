"""Statistics over seeds: the confidence interval of a mean (scipy). Seeds measure what
they change (initialization, data order), never which rows were tested: no test of
significance is made from them (`experiments.stats.significance`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05  # significance level of the leaderboard's tests


def confidence_interval(values: Sequence[float], level: float = CONFIDENCE) -> tuple[float, float]:
    """The Student-t confidence interval of the mean of ``values`` (seeds are few, so not the
    normal one); ``(nan, nan)`` for fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return math.nan, math.nan
    mean, sem = values.mean(), stats.sem(values)
    if sem == 0:
        return float(mean), float(mean)
    low, high = stats.t.interval(level, len(values) - 1, loc=mean, scale=sem)
    return float(low), float(high)
