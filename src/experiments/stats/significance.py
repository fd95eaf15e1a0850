"""The leaderboard's statistics on one split: how sure each group's mean is, and whether the
best group (on the sorting metric, usually a validation one) also leads on the test rows.

Only the test rows (``test_predictions.npz``) test a lead. Seeds change the initialization,
not which rows were tested; and against a model whose score does not depend on the seed (a
convex model solved to convergence, a deterministic estimator) a test over seeds measures
the other side's optimizer noise, claiming significance from nothing."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments.stats.held_out_rows import (
    HeldOutRows,
    RowTest,
    SignFlipTest,
    bootstrap_scores,
    finish_row_tests,
    paired_row_test,
    shared_test_rows,
)
from experiments.stats.metric_scale import can_score_rows, clip_to_range
from experiments.stats.over_seeds import confidence_interval
from experiments.stats.verdict import LEVEL

RUN_DIR_COLUMN = "run_dir"  # the run's folder in the results table: which sweep a row came from
TEST = "test/"


def tested_metric(metric: str) -> str:
    """The test metric that tests a lead on ``metric``: ``val/acc`` -> ``test/acc``."""
    return TEST + metric.rsplit("/", 1)[-1]


class GroupRows:
    """One leaderboard group's runs on their test rows, read when first needed, with each
    metric's bootstrap scores computed once (its interval and its test share them).

    Args:
        run_dirs: the group's run folders.
    """

    def __init__(self, run_dirs: Sequence[str | Path]) -> None:
        self.run_dirs = [Path(d) for d in run_dirs]
        self._scores: dict[str, np.ndarray] = {}

    @functools.cached_property
    def rows(self) -> HeldOutRows | None:
        """The runs' predictions on their common test rows; None unless every run saved
        ``test_predictions.npz`` for the same rows."""
        return shared_test_rows(self.run_dirs)

    def scores(self, metric: str) -> np.ndarray:
        """`bootstrap_scores` of ``metric`` (a test metric `can_score_rows` accepts)."""
        if metric not in self._scores:
            self._scores[metric] = bootstrap_scores(metric, self.rows)
        return self._scores[metric]


def group_interval(metric: str, values: list[float], group: GroupRows) -> tuple[float, float]:
    """The 95% interval of a group's mean ``metric``: from the test rows (bootstrap) when
    ``metric`` is a test metric computable from them and every run saved its predictions;
    else the Student-t interval over seeds (seed noise only), cut to the metric's range;
    nan when the runs all scored the same or are fewer than two."""
    if metric.startswith(TEST) and can_score_rows(metric) and group.rows is not None:
        low, high = np.quantile(group.scores(metric), [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        return clip_to_range(metric, low, high)
    if len(set(values)) < 2:
        return math.nan, math.nan
    return clip_to_range(metric, *confidence_interval(values))


@dataclass(frozen=True)
class Lead:
    """The best group's lead over another on a test metric, on their shared test rows.

    Attributes:
        p_value: two-sided p-value of "no difference" (nan when no test applies).
        difference: best minus other, signed so that positive means the best group scores
            better on the test rows (nan when unknown).
        rows: the test rows compared (0 when none).
        note: the test used, or why none applies.
    """

    p_value: float
    difference: float
    rows: int
    note: str


class LeadsOfBest:
    """The best group's leads over a leaderboard's other groups, each tested on the test rows
    both were scored on (`paired_row_test`: McNemar's exact test, a paired permutation test
    or a paired bootstrap) as the groups come, so that each group's predictions can be freed
    after its `add`; the permutation tests of all the leads run together at the end
    (`experiments.stats.held_out_rows.sign_flip_p_values`: shared draws, the same p-values).

    Args:
        metric: the test metric the leads are on.
        best: the best group, whose predictions are kept.
        higher_is_better: the metric's direction.
    """

    def __init__(self, metric: str, best: GroupRows, higher_is_better: bool) -> None:
        self.metric = metric
        self.best = best
        self.sign = 1 if higher_is_better else -1
        self._tests: list[Lead | RowTest | SignFlipTest] = []

    def add(self, other: GroupRows) -> None:
        """Test the best group's lead over ``other`` (a permutation test's p-value comes with
        `leads`). Without a test (a metric the rows cannot give, runs without saved
        predictions, groups scored on other rows) its lead's p-value and difference are nan
        and its note says why."""
        metric, best = self.metric, self.best
        if not can_score_rows(metric):
            note = f"{metric} is not computed from saved predictions"
            self._tests.append(Lead(math.nan, math.nan, 0, note))
        elif best.rows is None or other.rows is None:
            self._tests.append(Lead(math.nan, math.nan, 0, "no test_predictions.npz to test on"))
        elif not np.array_equal(best.rows.target, other.rows.target):
            self._tests.append(Lead(math.nan, math.nan, 0, "scored on other test rows"))
        else:
            scores = (best.scores(metric), other.scores(metric))
            self._tests.append(paired_row_test(metric, best.rows, other.rows, scores=scores))

    def leads(self) -> list[Lead]:
        """The leads over the groups added, in order."""
        tested = iter(finish_row_tests([t for t in self._tests if not isinstance(t, Lead)]))
        leads = []
        for test in self._tests:
            if not isinstance(test, Lead):
                test = next(tested)
                test = Lead(test.p_value, self.sign * test.difference, test.rows, test.method)
            leads.append(test)
        return leads


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of p-values tested together (the best row against each
    other one): the family-wise error stays at the level used. nan entries (no test) are
    left out of the family and stay nan."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(p), math.nan)
    tested = np.flatnonzero(~np.isnan(p))
    running = 0.0
    for rank, index in enumerate(tested[np.argsort(p[tested], kind="stable")]):
        running = max(running, min(1.0, (len(tested) - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()
