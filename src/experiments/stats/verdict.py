"""Is model A better than model B? The difference of their scores with its uncertainty, and
a verdict: better, equivalent, worse or inconclusive.

The unit of evidence is the split: seeds on one split share its train and test rows (for a
convex model the seed changes nothing), so they are averaged within the split
(`split_means`) and never counted as further evaluations. More seeds make a split's mean
more precise; only more splits make more evidence.

Two ways to get there, one per protocol shape:

- **Several splits** (the protocol's re-runs over splits x seeds): the corrected resampled
  t-test (Nadeau & Bengio 2003) for the mean difference over splits and its 95% interval,
  and the Bayesian correlated t-test (Benavoli et al. 2017, as in ``baycomp.CorrelatedTTest``)
  for P(better), P(equivalent), P(worse) with a region of practical equivalence (ROPE). Both
  inflate the variance of the differences by ``1/n + n_test/n_train``: the training sets of
  different splits overlap, so their scores are correlated and the plain variance is too small.
- **One split**: seeds say nothing about which rows happened to be in the test set, so the
  uncertainty comes from the test rows instead: a paired bootstrap of the
  test rows gives the distribution of the difference (an approximate posterior), its
  interval and the same three probabilities.

A verdict is confident only when one probability reaches `CONFIDENT` (0.95) and there are
at least `MIN_EVALUATIONS` paired splits (or test rows to resample); otherwise it is
``inconclusive``. Each comparison's probabilities are its own: when one model is compared
with several, `holm` adjusts their p-values for the family of comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from experiments.stats.metric_scale import weighted_scores

LEVEL = 0.95  # of intervals
CONFIDENT = 0.95  # a probability this high decides the verdict
MIN_EVALUATIONS = 3  # fewer paired splits than this never give a confident verdict
RESAMPLES = 4000  # of the test-row bootstrap
VERDICTS = ("better", "equivalent", "worse", "inconclusive")


@dataclass(frozen=True)
class Comparison:
    """Model A against model B on one metric; differences are A - B, signed so that a
    positive difference means A is better (for a metric where lower is better, B - A).

    Attributes:
        n: paired splits the comparison used (each the mean of its seeds); test rows for
            `method` ``bootstrap over ... test rows``.
        mean, low, high: the mean difference and its 95% interval.
        p_value: two-sided p-value of "no difference" (corrected t-test, or the bootstrap's),
            for this comparison alone (`holm` for several).
        p_better, p_equivalent, p_worse: posterior probabilities that the difference is
            above the ROPE, inside it, below it.
        rope: half-width of the region of practical equivalence, in the metric's units.
        method: how the numbers were obtained, for the reader.
        verdict: one of `VERDICTS`.
    """

    n: int
    mean: float
    low: float
    high: float
    p_value: float
    p_better: float
    p_equivalent: float
    p_worse: float
    rope: float
    method: str
    verdict: str


def decide(p_better: float, p_equivalent: float, p_worse: float, n: int) -> str:
    """``better``/``equivalent``/``worse`` when that probability is at least `CONFIDENT`
    and ``n`` >= `MIN_EVALUATIONS`, else ``inconclusive``."""
    if n >= MIN_EVALUATIONS:
        for verdict, p in zip(VERDICTS, (p_better, p_equivalent, p_worse), strict=False):
            if p >= CONFIDENT:
                return verdict
    return "inconclusive"


def corrected_variance(differences: np.ndarray, test_train_ratio: float) -> float:
    """Nadeau & Bengio's corrected variance of the mean difference:
    ``var(d) * (1/n + n_test/n_train)``."""
    return float(np.var(differences, ddof=1) * (1 / len(differences) + test_train_ratio))


def split_means(scores: Mapping[tuple[int, int], float]) -> dict[int, float]:
    """The unit of evidence: ``(split, seed)`` -> score, averaged over the seeds of each
    split, in split order."""
    by_split: dict[int, list[float]] = {}
    for (split, _), score in scores.items():
        by_split.setdefault(split, []).append(score)
    return {split: float(np.mean(by_split[split])) for split in sorted(by_split)}


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (nan ones left out of the
    family and returned as nan): reject where the adjusted p-value is below the level, and
    the chance of any false rejection in the family stays below it."""
    order = [i for i in np.argsort(p_values) if not math.isnan(p_values[i])]
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def compare_resampled(differences: np.ndarray, test_train_ratio: float, rope: float) -> Comparison:
    """The corrected resampled t-test and the Bayesian correlated t-test on paired
    differences over random splits.

    Args:
        differences: A - B per split (each side the mean of its seeds on that split:
            `split_means`), signed so that positive favours A.
        test_train_ratio: test rows / training rows of one split (0.25 for a 60/20/20 split).
        rope: ROPE half-width (>= 0), in the metric's units.

    Returns:
        The comparison; with fewer than two differences every number is nan and the
        verdict ``inconclusive``. A zero variance (the same difference on every split)
        makes the posterior a point: probabilities are 0 or 1.
    """
    from scipy import stats  # 0.6 s to import: not for a leaderboard, which needs none of it

    differences = np.asarray(differences, dtype=float)
    n = len(differences)
    method = f"corrected t-test over {n} splits"
    if n < 2:
        return Comparison(n, *(math.nan,) * 7, rope, method, "inconclusive")
    mean = float(differences.mean())
    scale = math.sqrt(corrected_variance(differences, test_train_ratio))
    if scale == 0:
        p_value = float(mean == 0)
        low = high = mean
        p_better, p_worse = float(mean > rope), float(mean < -rope)
    else:
        posterior = stats.t(df=n - 1, loc=mean, scale=scale)
        low, high = (float(x) for x in posterior.interval(LEVEL))
        p_value = float(2 * stats.t.sf(abs(mean) / scale, df=n - 1))
        p_better, p_worse = float(posterior.sf(rope)), float(posterior.cdf(-rope))
    p_equivalent = 1 - p_better - p_worse
    verdict = decide(p_better, p_equivalent, p_worse, n)
    return Comparison(
        n, mean, low, high, p_value, p_better, p_equivalent, p_worse, rope, method, verdict
    )


def bootstrap_weights(rows: int, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """Bootstrap resamples of the test rows as weights: ``(resamples, rows)``, how often each
    row is drawn (multinomial, summing to ``rows``). Seeded: a report gives the same numbers
    each time. The ordinary bootstrap rather than the Bayesian one: with positive weights
    on every row, two classifiers that differ on 2 rows would differ in every resample."""
    drawn = np.random.default_rng(seed).integers(0, rows, size=(resamples, rows))
    flat = (drawn + rows * np.arange(resamples)[:, None]).ravel()
    return np.bincount(flat, minlength=resamples * rows).reshape(resamples, rows).astype(float)


def compare_on_test_rows(
    metric: str,
    predictions_a: list[np.ndarray],
    predictions_b: list[np.ndarray],
    target: np.ndarray,
    rope: float,
    higher_is_better: bool,
) -> Comparison:
    """A against B on one split's test rows: each side's score is the mean over its runs
    (seeds) of ``metric``, and the bootstrap over the shared test rows (the same resamples for
    both: the comparison is paired) gives the distribution of the difference.

    Args:
        metric: a name `experiments.stats.metric_scale.can_score_rows` accepts.
        predictions_a, predictions_b: per run, the predicted value of every test row.
        target: the true value of every test row, the same rows for all runs.
        rope: ROPE half-width, in the metric's units.
        higher_is_better: the metric's direction (False for RMSE).
    """
    sign = 1 if higher_is_better else -1

    def difference(weights: np.ndarray) -> np.ndarray:
        a = np.mean([weighted_scores(metric, p, target, weights) for p in predictions_a], 0)
        b = np.mean([weighted_scores(metric, p, target, weights) for p in predictions_b], 0)
        return sign * (a - b)

    samples = difference(bootstrap_weights(len(target)))
    observed = float(difference(np.ones((1, len(target))))[0])
    low, high = (float(x) for x in np.quantile(samples, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]))
    p_better = float(np.mean(samples > rope))
    p_worse = float(np.mean(samples < -rope))
    p_equivalent = 1 - p_better - p_worse
    tail = min(np.mean(samples <= 0), np.mean(samples >= 0))
    n = len(target)
    return Comparison(
        n=n,
        mean=observed,
        low=low,
        high=high,
        p_value=float(min(1.0, 2 * tail)),
        p_better=p_better,
        p_equivalent=p_equivalent,
        p_worse=p_worse,
        rope=rope,
        method=f"bootstrap over {n} test rows of one split",
        verdict=decide(p_better, p_equivalent, p_worse, n),
    )
