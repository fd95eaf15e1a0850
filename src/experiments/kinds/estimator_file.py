"""A fitted estimator's file in its run folder (``estimator.joblib``): written atomically
with the run's metrics logged, read back with one message for a wrong or damaged file.
Shared by the kinds whose models are fitted objects rather than Lightning modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib

from experiments.config.errors import ConfigError
from experiments.io.atomic import atomic_file
from experiments.kinds.base import RunInputs

ESTIMATOR_FILE = Path("estimator.joblib")


def save_fitted(run: RunInputs, estimator: Any, metrics: dict[str, float]) -> None:
    """Log ``metrics`` (the estimator's val and test scores) as scalars and save it."""
    run.logger.log_metrics(metrics, step=0)
    with atomic_file(run.run_dir / ESTIMATOR_FILE, "wb") as file:
        joblib.dump(estimator, file)


def load_fitted(path: Path, what: str) -> Any:
    """The estimator saved in ``path``.

    Raises:
        ConfigError: ``path`` is another file of the run (``what`` says what the run's
            model is, e.g. "model 'x' is fitted in closed form"), or it cannot be read.
    """
    if path.name != ESTIMATOR_FILE.name:
        raise ConfigError(
            f"ckpt: '{path}': {what}; expected the run folder or its {ESTIMATOR_FILE}"
        )
    try:
        return joblib.load(path)
    except Exception as error:  # unpickling a damaged file raises many types
        raise ConfigError(f"ckpt: cannot read '{path}' as an estimator ({error})") from error
