"""LightningModules that train networks, their metrics and losses, and the Lightning
callbacks of a run (when training stops among them). May import `config` only (no
omegaconf: they take plain arguments).

Each name below is imported from its module on first use: a light module of this package
(`experiments.tasks.monitor`, which the reports read) is imported without torch and Lightning,
and `experiments.tasks.outputs` (what the tasks answer: `EvalTask`, which predicting loads)
and `experiments.tasks.schedule` without Lightning.
"""

import importlib
from typing import Any

# name -> the module that defines it
_MODULES = {
    "ClassificationTask": "classification",
    "EarlyStopping": "stopping",
    "EpsilonInsensitiveLoss": "losses",
    "FullBatch": "stopping",
    "MulticlassHingeLoss": "losses",
    "RegressionTask": "regression",
    "Schedule": "schedule",
    "StopOnConvergence": "stopping",
    "SupervisedTask": "supervised",
    "quiet_lightning_warnings": "supervised",
}
__all__ = list(_MODULES)


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'experiments.tasks' has no attribute '{name}'")
    return getattr(importlib.import_module(f"experiments.tasks.{_MODULES[name]}"), name)
