"""Statistics over seeds: confidence intervals and paired significance tests (scipy)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05  # significance level of the paired test


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


def paired_p_value(best: Mapping[Any, float], other: Mapping[Any, float]) -> tuple[float, int]:
    """Two-sided paired t-test (``scipy.stats.ttest_rel``) of ``best`` against ``other``, paired
    by key (the seed): runs with the same seed share their randomness, which the pairing
    removes from the comparison.

    Returns:
        ``(p, n)``: the p-value and the number of keys both have. ``p`` is nan when fewer
        than two keys are shared or the differences are all zero.
    """
    shared = sorted(set(best) & set(other), key=str)
    if len(shared) < 2:
        return math.nan, len(shared)
    a = [best[key] for key in shared]
    b = [other[key] for key in shared]
    with warnings.catch_warnings():
        # Nearly constant differences (common with accuracies on a fixed split) make scipy
        # warn about precision; the p-value it returns is still the test's answer.
        warnings.simplefilter("ignore", RuntimeWarning)
        p = stats.ttest_rel(a, b).pvalue
    return float(p), len(shared)
