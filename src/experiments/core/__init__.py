"""The core run, one function the command line, the Python API and the launchers all call:
`train` (one configuration: data, model kind, fit, test, result.json), the job around it
(`job`: skip what is done, record how it ended), and loading a finished run back
(`saved`). Hydra-free: takes a composed config. May import every layer below `api`/`cli`.

`train` is imported from `experiments.core.training` on first use: it imports Lightning and the
data libraries, which loading a saved run (`saved`, for ``experiments-predict``) may not need.
"""

import importlib
from typing import Any

__all__ = ["CHECKED_SECTIONS", "train"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(importlib.import_module("experiments.core.training"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'experiments.core' has no attribute '{name}'")
