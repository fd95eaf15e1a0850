"""Budget curves (Grinsztajn, Oyallon & Varoquaux 2022): what a model scores when its search
stops after k trials and keeps the configuration best on validation (the protocol's report
draws them on validation: a search never scores its split's test rows)."""

from __future__ import annotations

import numpy as np

ORDERS = 15  # random orders of the trials averaged over, as in the paper


def budget_curve(
    val: np.ndarray, test: np.ndarray, mode: str, orders: int = ORDERS, seed: int = 0
) -> np.ndarray:
    """The expected test score after k = 1..n trials of a search.

    Args:
        val, test: per trial (index 0 = the model's defaults), the validation score that
            selects and the score that is reported (the validation score again, or a test
            score where the trials have one).
        mode: ``max`` or ``min``: which validation score is best.
        orders: random orders of trials 1..n-1 averaged over. Trial 0 (the defaults) always
            comes first, so the curve starts at the default score and a search never selects
            worse than its defaults on validation.
        seed: seeds the orders, so a report is reproducible.

    Returns:
        ``n`` values: at position k-1 the mean, over the orders, of the test score of the
        trial best on validation among the first k (the lowest trial number on ties, as the
        protocol selects: the last value is the test score of the trial it chose).
    """
    val, test = np.asarray(val, dtype=float), np.asarray(test, dtype=float)
    sign = 1 if mode == "max" else -1
    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(orders):
        order = np.concatenate([[0], 1 + rng.permutation(len(val) - 1)])
        best, curve = order[0], []
        for trial in order:
            # The protocol's selection: best on validation, the lower trial number on a tie.
            if (sign * val[trial], -trial) > (sign * val[best], -best):
                best = trial
            curve.append(test[best])
        curves.append(curve)
    return np.mean(curves, axis=0)


def common_budget(curves: dict[str, np.ndarray]) -> int:
    """The smallest number of trials any model reached: curves are compared up to it."""
    return min((len(curve) for curve in curves.values()), default=0)
