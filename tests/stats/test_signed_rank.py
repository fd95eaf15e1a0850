"""The Bayesian signed-rank test over datasets: baycomp's numbers, the verdict, and what few
datasets can reach."""

from __future__ import annotations

import baycomp
import numpy as np
import pytest

from experiments.stats.signed_rank import signed_rank


def test_signed_rank_is_baycomps_with_a_better_side_first() -> None:
    differences = [0.03, -0.01, 0.02, 0.05, 0.0, 0.04]  # A - B, positive favours A
    test = signed_rank(differences, rope=0.01)
    # baycomp reads y - x: x = the differences, y = 0, "left" is A better
    expected = baycomp.SignedRankTest.probs(
        np.array(differences), np.zeros(6), 0.01, random_state=0
    )
    assert (test.p_better, test.p_equivalent, test.p_worse) == pytest.approx(expected, abs=1e-12)
    assert test.p_better > test.p_worse and test.n == 6


def test_verdicts_and_what_few_datasets_can_reach() -> None:
    assert signed_rank([0.05] * 8, 0.01).verdict == "better"
    assert signed_rank([-0.05] * 8, 0.01).verdict == "worse"
    assert signed_rank([0.001, -0.002, 0.0, 0.003] * 2, 0.01).verdict == "equivalent"
    one, two = signed_rank([0.05], 0.01), signed_rank([0.05, 0.05], 0.01)
    assert one.reachable < 0.95 and one.verdict == "inconclusive"
    assert two.p_better >= 0.95 and two.verdict == "inconclusive"  # fewer than 3 datasets
    with pytest.raises(ValueError, match="positive ROPE"):
        signed_rank([0.1], 0.0)
