"""The names a dataset gives its classes (``dataset.class_names``), in place of the values in
its target column: a target of 0 and 1 is shown as ``ham`` and ``spam`` in predictions,
reports, TensorBoard and the confusion matrix.

The names are given as a list (one per class, in the classes' order: a `ClassLabel`'s, else
the sorted distinct train values), as a mapping from target value to name (classes left out
keep their value), or as a file holding either: ``.json``, ``.yaml``/``.yml``, or text with
one name per line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from experiments.config.errors import ConfigError

KEY = "dataset.class_names"


def named_classes(values: tuple[str, ...], given: Any) -> tuple[str, ...]:
    """The class names for classes ``values`` (their names from the data), by ``given``.

    Args:
        values: the classes as the data names them, in index order.
        given: None (keep them), a list, a mapping, or a file path (see the module).

    Raises:
        ConfigError: a list of another length than the classes, a mapping key that is no
            class, a name given twice, or a file that is missing or holds neither.
    """
    if given is None:
        return values
    if isinstance(given, str | Path):
        given = _read(Path(given))
    if isinstance(given, Mapping):
        mapping = {str(key): str(name) for key, name in given.items()}
        strays = [key for key in mapping if key not in values]
        if strays:
            raise ConfigError(
                f"{KEY}: {', '.join(repr(k) for k in strays)} is not a class of the target; "
                f"the classes are {', '.join(values)}"
            )
        names = tuple(mapping.get(value, value) for value in values)
    elif isinstance(given, Sequence):
        if len(given) != len(values):
            raise ConfigError(
                f"{KEY}: {len(given)} names for {len(values)} classes ({', '.join(values)}); "
                "expected one name per class, in that order, or a mapping value: name"
            )
        names = tuple(str(name) for name in given)
    else:
        raise ConfigError(f"{KEY}: expected a list, a mapping or a file, got {given!r}")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigError(f"{KEY}: {', '.join(twice)} names more than one class")
    return names


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{KEY}: cannot read '{path}' ({error})") from error
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ConfigError(f"{KEY}: '{path}' is not valid {path.suffix[1:]} ({error})") from error
    return [line.strip() for line in text.splitlines() if line.strip()]
