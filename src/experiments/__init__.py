"""Config-driven experiments: SVM-style baselines against deep nets, with Hydra and Lightning.

The Python API (`experiments.api`): ``experiments.run(overrides)``,
``experiments.load_results(folder)`` and ``experiments.load(folder).predict(x)``; imported
on first use, so that ``import experiments`` stays cheap.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load", "load_results", "run"]


def __getattr__(name: str) -> Any:
    if name in ("run", "load", "load_results"):
        from experiments import api

        return getattr(api, name)
    raise AttributeError(f"module 'experiments' has no attribute '{name}'")
