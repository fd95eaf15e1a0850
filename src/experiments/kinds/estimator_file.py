"""A fitted estimator's file in its run folder (``estimator.skops``): written atomically
with the run's metrics logged, read back with skops' type checks and one message for a
wrong, damaged or untrusted file. Shared by the kinds whose models are fitted objects
rather than Lightning modules.

A skops file names the type of every object in it, and loading builds only types skops
trusts (scikit-learn, numpy, scipy and Python builtins), those the kind names (its own
classes, e.g. `experiments.recsys.ItemKNN`) and those in the packages the user trusts
(`Trust.packages`): a file from elsewhere cannot run code. Runs before skops saved a
pickle, ``estimator.joblib``, which runs whatever code it names when loaded: it is loaded
only with `Trust.pickle`. skops is imported when a file is written or read: importing it
lists every scikit-learn estimator, about a second of a process start.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust
from experiments.io.atomic import atomic_file
from experiments.kinds.base import RunInputs

ESTIMATOR_FILE = Path("estimator.skops")
PICKLED_FILE = Path("estimator.joblib")  # written by runs before skops
# Types skops does not trust by default that fitted scikit-learn estimators hold: trees,
# HistGradientBoosting's predictors with its partial of `check_array` (skops rebuilds a
# partial from its function, which must be trusted itself), and k-NN's search trees with
# the distances of its Minkowski metric (p = 1, 2, other, infinite).
TRUSTED_TYPES = (
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "functools.partial",
    "sklearn.utils.validation.check_array",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.metrics._dist_metrics.ChebyshevDistance64",
)
PICKLE_FLAG = "--trust-pickle"


def save_fitted(run: RunInputs, estimator: Any, metrics: dict[str, float]) -> None:
    """Log ``metrics`` (the estimator's val and test scores) as scalars and save it."""
    import skops.io

    for logger in run.loggers:
        logger.log_metrics(metrics, step=0)
    with atomic_file(run.run_dir / ESTIMATOR_FILE, "wb") as file:
        file.write(skops.io.dumps(estimator))


def load_fitted(path: Path, what: str, trust: Trust, types: Sequence[str] = ()) -> Any:
    """The estimator saved in ``path``.

    Args:
        path: the run's ``estimator.skops`` (or an old run's ``estimator.joblib``).
        what: what the run's model is, for the message on another file of the run
            (e.g. "model 'x' is fitted in closed form").
        trust: what the user trusts beyond the types skops trusts.
        types: the exact names of further types the kind's estimators hold.

    Raises:
        ConfigError: ``path`` is another file of the run; it names a type nobody trusted;
            it is a pickle and ``trust.pickle`` is false; it cannot be read.
    """
    if path.name == PICKLED_FILE.name:
        return _load_pickle(path, trust)
    if path.name != ESTIMATOR_FILE.name:
        raise ConfigError(
            f"ckpt: '{path}': {what}; expected the run folder or its {ESTIMATOR_FILE}"
        )
    import skops.io

    try:
        data = path.read_bytes()
        named = skops.io.get_untrusted_types(data=data)
    except Exception as error:  # a damaged or foreign file: skops raises many types
        raise ConfigError(f"ckpt: cannot read '{path}' as an estimator ({error})") from error
    untrusted = [t for t in named if t not in (*TRUSTED_TYPES, *types) and not trust.allows(t)]
    if untrusted:
        raise ConfigError(
            f"ckpt: '{path}' holds types outside scikit-learn, numpy and this project "
            f"({', '.join(untrusted)}); loading them could run any code. If you trust the "
            f"folder's author, allow a package with --trust <package>"
        )
    try:
        return skops.io.loads(data, trusted=named)
    except Exception as error:
        raise ConfigError(f"ckpt: cannot read '{path}' as an estimator ({error})") from error


def _load_pickle(path: Path, trust: Trust) -> Any:
    if not trust.pickle:
        raise ConfigError(
            f"ckpt: '{path}' is a pickle (saved before estimators were saved with skops); "
            f"loading it runs whatever code it names. Load it with {PICKLE_FLAG} only if "
            "you made the folder or trust its author"
        )
    import joblib

    try:
        return joblib.load(path)
    except Exception as error:  # unpickling a damaged file raises many types
        raise ConfigError(f"ckpt: cannot read '{path}' as an estimator ({error})") from error
