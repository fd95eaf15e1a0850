"""A fitted featurizer as bytes and back, in a format that does not run code on load.

Featurizers hand over what their fit learned (`Featurizer.fitted_state`: scikit-learn
vectorizers and `ColumnTransformer`s, numpy arrays, plain values) and take it back
(`Featurizer.restore`). The bytes are a skops file (``skops.io``): loading builds only the
types skops trusts by default (scikit-learn, numpy and Python builtins) and `TRUSTED`, and
refuses a file naming any other type, so a run folder's featurizer cannot execute code.
The data cache stores these bytes with the tensors, and each run writes them with its
data shapes to ``featurizer.skops``: predicting needs neither the training data nor a refit.
"""

from __future__ import annotations

from typing import Any

import skops.io
from skops.io.exceptions import UntrustedTypesFoundException

from experiments.config.errors import ConfigError

FEATURIZER_FILE = "featurizer.skops"
# Types skops does not trust by default that a fitted ColumnTransformer holds.
TRUSTED = ["numpy.dtype"]


def dump_state(state: dict[str, Any]) -> bytes:
    """``state`` (a featurizer's fitted state, or a run's featurizer and shapes) as bytes."""
    return skops.io.dumps(state)


def load_state(data: bytes, where: str) -> dict[str, Any]:
    """The state `dump_state` wrote.

    Raises:
        ConfigError: ``where`` (a file or cache entry, for the message) holds something
            other than a fitted state, or names a type outside the trusted ones.
    """
    try:
        state = skops.io.loads(data, trusted=TRUSTED)
    except UntrustedTypesFoundException as error:
        raise ConfigError(
            f"{where}: refusing to load types outside scikit-learn, numpy and Python ({error})"
        ) from error
    except Exception as error:  # a damaged or foreign file: skops raises many types
        raise ConfigError(f"{where}: not a saved featurizer ({error})") from error
    if not isinstance(state, dict):
        raise ConfigError(f"{where}: not a saved featurizer (a {type(state).__name__})")
    return state
