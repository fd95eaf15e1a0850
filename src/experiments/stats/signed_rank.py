"""Is one side better over a collection of datasets? The Bayesian signed-rank test (Benavoli
et al. 2014; recommended for comparisons over datasets in Benavoli et al. 2017, JMLR 18), as
``baycomp.SignedRankTest`` computes it, on one difference per dataset.

Each dataset counts once, whatever its size: its difference is the mean over its splits.
The posterior is a Dirichlet process over the differences with a prior pseudo-observation
at zero; P(better), P(equivalent) and P(worse) are the shares of posterior samples in which
the mass above the ROPE, inside it or below it is the largest (baycomp's reading). With few
datasets no outcome can be certain: `reachable` says how far the test could go at best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from experiments.stats.verdict import decide

SAMPLES = 50_000  # of the posterior (baycomp's default)
SEED = 0  # a report gives the same numbers each time


@dataclass(frozen=True)
class SignedRank:
    """Side A against side B over datasets; differences are A - B, positive favouring A.

    Attributes:
        n: datasets (differences).
        p_better, p_equivalent, p_worse: posterior probabilities that A is better,
            equivalent within the ROPE, worse.
        rope: the ROPE's half-width, in the differences' units.
        reachable: the largest probability a verdict of better or worse could get from
            ``n`` datasets (all of them far beyond the ROPE on one side): below `CONFIDENT`
            no such verdict is possible.
        verdict: ``better``, ``equivalent``, ``worse`` or ``inconclusive``
            (`experiments.stats.verdict.decide`: a confident probability and at least 3
            datasets).
    """

    n: int
    p_better: float
    p_equivalent: float
    p_worse: float
    rope: float
    reachable: float
    verdict: str


def signed_rank(differences: Sequence[float], rope: float) -> SignedRank:
    """The Bayesian signed-rank test on ``differences`` (one per dataset, A - B, positive
    favouring A) with a ROPE of half-width ``rope`` (> 0).

    Raises:
        ValueError: no differences, or a ROPE that is not positive.
    """
    values = np.asarray(differences, dtype=float)
    if not len(values) or rope <= 0:
        raise ValueError(f"expected differences and a positive ROPE, got {len(values)} and {rope}")
    p_better, p_equivalent, p_worse = _probabilities(values, rope)
    # every dataset far beyond the ROPE on one side (the test compares the means of pairs
    # of differences, the prior's zero among them, with the ROPE: 4x is beyond even then)
    reachable = _probabilities(np.full(len(values), 4 * rope), rope)[0]
    verdict = decide(p_better, p_equivalent, p_worse, len(values))
    return SignedRank(len(values), p_better, p_equivalent, p_worse, rope, reachable, verdict)


def _probabilities(differences: np.ndarray, rope: float) -> tuple[float, float, float]:
    import baycomp

    # baycomp compares x with y through y - x: x = the differences, y = 0, so that its
    # "left" (y - x below -rope) is A better.
    left, inside, right = baycomp.SignedRankTest.probs(
        differences, np.zeros_like(differences), rope, nsamples=SAMPLES, random_state=SEED
    )
    return float(left), float(inside), float(right)
