"""Is the best leaderboard row's lead real, and how sure is each row's mean? On one split
the test rows answer when the runs saved them (``test_predictions.npz``); seeds answer
only for what seeds change, and never for a model whose score does not depend on them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.stats.held_out_rows import interval_on_test_rows, shared_test_rows
from experiments.stats.metric_scale import can_score_rows, clip_to_range
from experiments.stats.over_seeds import confidence_interval, paired_p_value
from experiments.stats.verdict import compare_on_test_rows

RUN_DIR_COLUMN = "run_dir"  # the run's folder in the results table: which sweep a row came from
SEED_INDEPENDENT = "score does not depend on the seed"


def group_interval(
    metric: str, values: list[float], run_dirs: pd.Series | None
) -> tuple[float, float]:
    """The 95% interval of a group's mean ``metric``: from the test rows (bootstrap) when
    ``metric`` is a test metric and every run saved ``test_predictions.npz``; else the
    Student-t interval over seeds cut to the metric's range; nan when the runs all scored
    the same (seeds that change nothing say nothing about other test rows) or are fewer
    than two."""
    if run_dirs is not None and metric.startswith("test/"):
        from_rows = interval_on_test_rows(metric, [Path(d) for d in run_dirs])
        if from_rows is not None:
            return from_rows
    if len(set(values)) < 2:
        return math.nan, math.nan
    return clip_to_range(metric, *confidence_interval(values))


def p_value_of_lead(
    best: pd.DataFrame, other: pd.DataFrame, metric: str, mode: str, seed_key: str
) -> tuple[float, str]:
    """The p-value of ``best``'s lead over ``other`` on ``metric`` (their runs, one row
    each), and a note saying which test gave it or why none did.

    A test metric whose runs all saved ``test_predictions.npz`` on the same rows: the
    paired bootstrap over the test rows (`compare_on_test_rows`). Otherwise the paired
    t-test over shared seeds (`paired_p_value`), except when either side scores the same
    for every seed: a difference over seeds then measures only the other side's seed noise
    and nothing about the test set, so no p-value is given (``nan``, `SEED_INDEPENDENT`).
    """
    if metric.startswith("test/") and can_score_rows(metric) and RUN_DIR_COLUMN in best:
        rows_best = shared_test_rows([Path(d) for d in best[RUN_DIR_COLUMN]])
        rows_other = shared_test_rows([Path(d) for d in other[RUN_DIR_COLUMN]])
        if rows_best and rows_other and np.array_equal(rows_best[1], rows_other[1]):
            comparison = compare_on_test_rows(
                metric, rows_best[0], rows_other[0], rows_best[1], rope=0.0,
                higher_is_better=mode == "max",
            )  # fmt: skip
            return comparison.p_value, f"bootstrap over {comparison.n} test rows"
    if seed_key not in best or metric not in other:
        return math.nan, ""
    series = [frame[metric].dropna() for frame in (best, other)]
    if any(len(values) > 1 and values.nunique() == 1 for values in series):
        return math.nan, SEED_INDEPENDENT
    seeded = [
        {
            str(seed): float(value)
            for seed, value in zip(frame[seed_key], frame[metric], strict=True)
            if pd.notna(value)
        }
        for frame in (best, other)
    ]
    return paired_p_value(*seeded)[0], ""
