"""The protocol's leaderboard: per model its default and tuned scores, and against the best
model the difference with its interval, P(better)/P(equivalent)/P(worse) and a verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from experiments.report.protocol.runs import ModelRuns, Protocol
from experiments.stats.held_out_rows import interval_on_test_rows, shared_test_rows
from experiments.stats.metric_scale import can_score_rows, clip_to_range, default_rope
from experiments.stats.verdict import (
    LEVEL,
    Comparison,
    compare_on_test_rows,
    compare_resampled,
    corrected_variance,
)


@dataclass(frozen=True)
class BoardRow:
    """One model in the protocol leaderboard.

    Attributes:
        model: its name.
        default: test score of search trial 0 (the model's defaults; nan if missing).
        tuned, tuned_std, tuned_low, tuned_high: mean test score of the chosen configuration
            over the re-runs, its sample std and 95% interval (corrected for overlapping
            training sets, cut to the metric's range).
        evaluations: re-runs (splits x seeds) finished.
        trials: search trials finished.
        fit_seconds, n_params: means over the re-runs.
        vs_best: this model against the best one (None for the best itself).
    """

    model: str
    default: float
    tuned: float
    tuned_std: float
    tuned_low: float
    tuned_high: float
    evaluations: int
    trials: int
    fit_seconds: float
    n_params: float
    vs_best: Comparison | None


def rope_of(protocol: Protocol, reference: float) -> float:
    """``protocol.rope`` when set (in the metric's units), else `default_rope`."""
    configured = protocol.settings.get("rope")
    return float(configured) if configured is not None else default_rope(protocol.metric, reference)


def compare_models(protocol: Protocol, a: ModelRuns, b: ModelRuns, rope: float) -> Comparison:
    """``a`` against ``b`` on the protocol's test metric, paired by (split, seed).

    Several splits: `compare_resampled` on the paired differences. One split: the test rows
    decide (`compare_on_test_rows`) when every paired run wrote ``test_predictions.npz``;
    without them the test set's uncertainty is unknown and the verdict is ``inconclusive``
    (seeds alone never make a difference significant).
    """
    scores_a, scores_b = a.final_scores(protocol.metric), b.final_scores(protocol.metric)
    shared = sorted(set(scores_a) & set(scores_b))
    sign = 1 if protocol.mode == "max" else -1
    differences = np.array([sign * (scores_a[k] - scores_b[k]) for k in shared])
    if len({split for split, _ in shared}) > 1:
        return compare_resampled(differences, protocol.test_train_ratio, rope)
    rows_a = shared_test_rows([a.finals[k][0] for k in shared])
    rows_b = shared_test_rows([b.finals[k][0] for k in shared])
    if (
        rows_a and rows_b and can_score_rows(protocol.metric)
        and np.array_equal(rows_a[1], rows_b[1])
    ):  # fmt: skip
        return compare_on_test_rows(
            protocol.metric, rows_a[0], rows_b[0], rows_a[1], rope,
            higher_is_better=protocol.mode == "max",
        )  # fmt: skip
    mean = float(differences.mean()) if len(differences) else math.nan
    return Comparison(
        len(shared), mean, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, rope,
        "one split without test_predictions.npz: the test set's uncertainty is unknown",
        "inconclusive",
    )  # fmt: skip


def tuned_interval(protocol: Protocol, runs: ModelRuns) -> tuple[float, float]:
    """95% interval of a model's mean tuned score, cut to the metric's range.

    Several splits: Student t with the Nadeau-Bengio corrected variance. One split: the
    bootstrap over its test rows when the runs wrote ``test_predictions.npz``,
    else ``(nan, nan)``: seeds alone do not say how the score would move on other rows.
    """
    scores = runs.final_scores(protocol.metric)
    values = np.asarray(list(scores.values()))
    if len({split for split, _ in scores}) > 1:
        scale = math.sqrt(corrected_variance(values, protocol.test_train_ratio))
        if scale == 0:
            return float(values.mean()), float(values.mean())
        low, high = stats.t.interval(LEVEL, len(values) - 1, loc=values.mean(), scale=scale)
        return clip_to_range(protocol.metric, low, high)
    interval = interval_on_test_rows(protocol.metric, [runs.finals[key][0] for key in scores])
    return interval or (math.nan, math.nan)


def protocol_board(protocol: Protocol) -> tuple[list[BoardRow], float]:
    """The leaderboard, best tuned score first, and the ROPE used.

    The best model is the one with the best mean tuned score; models without re-runs come
    last with nan scores.
    """
    sign = 1 if protocol.mode == "max" else -1
    means = {
        name: float(np.mean(list(runs.final_scores(protocol.metric).values())))
        if runs.final_scores(protocol.metric) else math.nan
        for name, runs in protocol.models.items()
    }  # fmt: skip
    order = sorted(means, key=lambda name: (math.isnan(means[name]), -sign * means[name]))
    best = protocol.models[order[0]]
    rope = rope_of(protocol, means[order[0]])
    rows = []
    for name in order:
        runs = protocol.models[name]
        scores = list(runs.final_scores(protocol.metric).values())
        defaults = runs.trials.get(0, {}).get("metrics", {}).get(protocol.metric, math.nan)
        low, high = tuned_interval(protocol, runs)
        rows.append(
            BoardRow(
                model=name, default=float(defaults), tuned=means[name],
                tuned_std=float(np.std(scores, ddof=1)) if len(scores) > 1 else math.nan,
                tuned_low=low, tuned_high=high, evaluations=len(scores), trials=len(runs.trials),
                fit_seconds=runs.mean_of("fit_seconds"), n_params=runs.mean_of("n_params"),
                vs_best=None if runs is best else compare_models(protocol, runs, best, rope),
            )
        )  # fmt: skip
    return rows, rope
