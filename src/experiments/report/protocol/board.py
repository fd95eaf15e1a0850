"""The protocol's leaderboard: per model its validation, default and tuned scores, and
against the model best on validation the difference with its interval,
P(better)/P(equivalent)/P(worse), a Holm-adjusted p-value and a verdict.

Every number rests on the splits: the seeds of a split are averaged first
(`experiments.stats.verdict.split_means`), so ``protocol.seeds`` makes each split's score
more precise without counting as more evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from experiments.protocol.selection import rank_by_validation
from experiments.report.protocol.runs import ModelRuns, Protocol
from experiments.stats.held_out_rows import interval_on_test_rows, shared_test_rows
from experiments.stats.metric_scale import can_score_rows, clip_to_range, default_rope
from experiments.stats.verdict import (
    LEVEL,
    Comparison,
    compare_on_test_rows,
    compare_resampled,
    corrected_variance,
    holm,
)


@dataclass(frozen=True)
class BoardRow:
    """One model in the protocol leaderboard (means are over splits, each split the mean of
    its seeds).

    Attributes:
        model: its name.
        val: the chosen configurations' validation score (the selection metric): what ranks
            the models and picks the best one.
        default: the defaults' test score, on the same splits (nan if none finished).
        tuned, tuned_std, tuned_low, tuned_high: the chosen configurations' test score, its
            std over splits and 95% interval (corrected for overlapping training sets, cut
            to the metric's range).
        splits: splits with a finished re-run: the evidence.
        seeds: finished re-runs per split, in split order.
        trials: search trials finished (all splits).
        fit_seconds, n_params: means over the re-runs.
        vs_best: this model against the model best on validation (None for that one).
        p_holm: ``vs_best``'s p-value, Holm-adjusted over every comparison of the board.
    """

    model: str
    val: float
    default: float
    tuned: float
    tuned_std: float
    tuned_low: float
    tuned_high: float
    splits: int
    seeds: tuple[int, ...]
    trials: int
    fit_seconds: float
    n_params: float
    vs_best: Comparison | None
    p_holm: float = math.nan


def rope_of(protocol: Protocol, reference: float) -> float:
    """``protocol.rope`` when set (in the metric's units), else `default_rope`."""
    configured = protocol.settings.get("rope")
    return float(configured) if configured is not None else default_rope(protocol.metric, reference)


def compare_models(protocol: Protocol, a: ModelRuns, b: ModelRuns, rope: float) -> Comparison:
    """``a`` against ``b`` on the protocol's test metric, paired by split.

    Several splits: `compare_resampled` on the differences of the split means. One split:
    the test rows decide (`compare_on_test_rows`, each side the mean of its seeds) when every
    run wrote ``test_predictions.npz``; without them the test set's uncertainty is unknown
    and the verdict is ``inconclusive`` (seeds alone never make a difference significant).
    """
    means_a, means_b = a.split_scores(protocol.metric), b.split_scores(protocol.metric)
    shared = sorted(set(means_a) & set(means_b))
    sign = 1 if protocol.mode == "max" else -1
    differences = np.array([sign * (means_a[split] - means_b[split]) for split in shared])
    if len(shared) > 1:
        return compare_resampled(differences, protocol.test_train_ratio, rope)
    rows_a = shared_test_rows([path for (split, _), (path, _) in a.finals.items() if split in shared])  # fmt: skip
    rows_b = shared_test_rows([path for (split, _), (path, _) in b.finals.items() if split in shared])  # fmt: skip
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
    """95% interval of a model's mean tuned score over splits, cut to the metric's range.

    Several splits: Student t over the split means with the Nadeau-Bengio corrected
    variance. One split: the bootstrap over its test rows when the runs wrote
    ``test_predictions.npz``, else ``(nan, nan)``: seeds alone do not say how the score
    would move on other rows.
    """
    from scipy import stats  # 0.6 s to import: only for a protocol's report

    values = np.asarray(list(runs.split_scores(protocol.metric).values()))
    if len(values) > 1:
        scale = math.sqrt(corrected_variance(values, protocol.test_train_ratio))
        if scale == 0:
            return float(values.mean()), float(values.mean())
        low, high = stats.t.interval(LEVEL, len(values) - 1, loc=values.mean(), scale=scale)
        return clip_to_range(protocol.metric, low, high)
    interval = interval_on_test_rows(protocol.metric, [path for path, _ in runs.finals.values()])
    return interval or (math.nan, math.nan)


def _mean(values: dict[int, float]) -> float:
    return float(np.mean(list(values.values()))) if values else math.nan


def protocol_board(protocol: Protocol) -> tuple[list[BoardRow], float]:
    """The leaderboard, best validation score first, and the ROPE used.

    The reference of every comparison is the model best on validation (the selection
    metric of its re-runs), never the one best on the test means it is compared on; models
    without re-runs come last with nan scores.
    """
    val = {
        name: _mean(runs.split_scores(protocol.selection_metric))
        for name, runs in protocol.models.items()
    }
    tuned = {
        name: _mean(runs.split_scores(protocol.metric)) for name, runs in protocol.models.items()
    }
    order = rank_by_validation(val, protocol.mode)
    best = protocol.models[order[0]]
    rope = rope_of(protocol, tuned[order[0]])
    rows = []
    for name in order:
        runs = protocol.models[name]
        split_scores = list(runs.split_scores(protocol.metric).values())
        low, high = tuned_interval(protocol, runs)
        rows.append(
            BoardRow(
                model=name, val=val[name],
                default=_mean(runs.default_split_scores(protocol.metric)), tuned=tuned[name],
                tuned_std=float(np.std(split_scores, ddof=1)) if len(split_scores) > 1 else math.nan,
                tuned_low=low, tuned_high=high, splits=len(split_scores),
                seeds=tuple(runs.seeds_per_split()), trials=len(runs.trials),
                fit_seconds=runs.mean_of("fit_seconds"), n_params=runs.mean_of("n_params"),
                vs_best=None if runs is best else compare_models(protocol, runs, best, rope),
            )
        )  # fmt: skip
    adjusted = holm([row.vs_best.p_value if row.vs_best else math.nan for row in rows])
    return [replace(row, p_holm=p) for row, p in zip(rows, adjusted, strict=True)], rope
