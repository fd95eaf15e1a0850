"""A fitted featurizer as bytes and back, in formats that do not run code on load.

Featurizers hand over what their fit learned (`Featurizer.fitted_state`: scikit-learn
vectorizers and `ColumnTransformer`s, numpy arrays, plain values) and take it back
(`Featurizer.restore`). Two formats, chosen by what the state holds:

- **Arrays and plain values** (the image and text featurizers, and a run's data shapes): an
  ``.npz`` file, the arrays as ``.npy`` entries and the rest as JSON in the entry
  ``state``. `numpy.load` reads it without pickles. Tuples come back as lists and numpy
  scalars as Python numbers.
- **scikit-learn objects** (the table featurizer's ``ColumnTransformer``): a skops file
  (``skops.io``): loading builds only the types skops trusts by default (scikit-learn,
  numpy and Python builtins) and `TRUSTED`, and refuses a file naming any other type.

Either way a run folder's featurizer cannot execute code. skops is imported only for the
second format: importing it lists every scikit-learn estimator, 2-3 s of a process start on
this project's 2-core machine, which every run of a sweep on a cluster pays. The data cache
stores these bytes with the tensors, and each run writes them with its data shapes to
``featurizer.npz`` or ``featurizer.skops`` (`file_name`), which `load_fitted` reads back:
predicting needs neither the training data nor a refit (nor Lightning: this module does not
import the data module).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from experiments.config.errors import ConfigError
from experiments.data.shapes import DataShapes, Featurizer

ARRAYS_FILE = "featurizer.npz"
SKOPS_FILE = "featurizer.skops"
FEATURIZER_FILES = (ARRAYS_FILE, SKOPS_FILE)
# Types skops does not trust by default that a fitted ColumnTransformer holds.
TRUSTED = ["numpy.dtype"]
STATE_ENTRY = "state"  # the .npz entry holding the JSON tree
ARRAY_KEY = "__ndarray__"  # {ARRAY_KEY: name} in the JSON tree: the .npz entry ``name``


class _NotPlain(Exception):
    """The state holds something other than plain values and numpy arrays."""


def dump_state(state: dict[str, Any]) -> bytes:
    """``state`` (a featurizer's fitted state, or a run's featurizer and shapes) as bytes."""
    arrays: dict[str, np.ndarray] = {}
    try:
        tree = _plain(state, arrays)
    except _NotPlain:
        import skops.io

        return skops.io.dumps(state)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{STATE_ENTRY: np.array(json.dumps(tree))})
    return buffer.getvalue()


def file_name(data: bytes) -> str:
    """The run-folder file name for bytes `dump_state` wrote: ``.npz`` or ``.skops``."""
    return ARRAYS_FILE if _is_arrays(data) else SKOPS_FILE


def load_state(data: bytes, where: str) -> dict[str, Any]:
    """The state `dump_state` wrote.

    Raises:
        ConfigError: ``where`` (a file or cache entry, for the message) holds something
            other than a fitted state, or names a type outside the trusted ones.
    """
    state = _load_arrays(data, where) if _is_arrays(data) else _load_skops(data, where)
    if not isinstance(state, dict):
        raise ConfigError(f"{where}: not a saved featurizer (a {type(state).__name__})")
    return state


def load_fitted(run_dir: Path, features: Featurizer) -> DataShapes:
    """Restore ``features`` (the run's featurizer, built unfitted from its config) from
    ``<run_dir>/featurizer.npz`` or ``featurizer.skops`` and return the run's data shapes,
    without the data.

    Raises:
        ConfigError: the run has no such file (made before featurizers were saved: train it
            again) or it cannot be read.
    """
    path = next((run_dir / name for name in FEATURIZER_FILES if (run_dir / name).is_file()), None)
    if path is None:
        raise ConfigError(
            f"ckpt: run '{run_dir}' has no {' or '.join(FEATURIZER_FILES)} (runs save their "
            "fitted featurizer since this version); train it again to predict with it"
        )
    state = load_state(path.read_bytes(), str(path))
    features.restore(state["features"])
    shapes = dict(state["shapes"])
    shapes["in_shape"] = tuple(shapes["in_shape"])
    for key in ("class_names", "class_values"):
        if shapes.get(key) is not None:
            shapes[key] = tuple(shapes[key])
    shapes["one_hot_groups"] = tuple(tuple(g) for g in shapes.get("one_hot_groups", ()))
    return DataShapes(**shapes)


def _plain(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` as JSON, its numpy arrays moved to ``arrays`` (raises `_NotPlain`)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufUS":
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {ARRAY_KEY: name}
    if isinstance(value, (list, tuple)):
        return [_plain(item, arrays) for item in value]
    if (
        isinstance(value, dict)
        and ARRAY_KEY not in value
        and all(isinstance(k, str) for k in value)
    ):
        return {key: _plain(item, arrays) for key, item in value.items()}
    raise _NotPlain


def _is_arrays(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return f"{STATE_ENTRY}.npy" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _load_arrays(data: bytes, where: str) -> Any:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as entries:
            arrays = {name: entries[name] for name in entries.files}
        return _restored(json.loads(str(arrays.pop(STATE_ENTRY))), arrays)
    except (ValueError, KeyError, OSError, TypeError) as error:  # damaged, or object arrays
        raise ConfigError(f"{where}: not a saved featurizer ({error})") from error


def _restored(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(tree, list):
        return [_restored(item, arrays) for item in tree]
    if isinstance(tree, dict):
        if set(tree) == {ARRAY_KEY}:
            return arrays[tree[ARRAY_KEY]]
        return {key: _restored(item, arrays) for key, item in tree.items()}
    return tree


def _load_skops(data: bytes, where: str) -> Any:
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return skops.io.loads(data, trusted=TRUSTED)
    except UntrustedTypesFoundException as error:
        raise ConfigError(
            f"{where}: refusing to load types outside scikit-learn, numpy and Python ({error})"
        ) from error
    except Exception as error:  # a damaged or foreign file: skops raises many types
        raise ConfigError(f"{where}: not a saved featurizer ({error})") from error
