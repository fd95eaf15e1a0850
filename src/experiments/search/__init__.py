"""Hyperparameter search: the job side of an Optuna trial (pruning inside Lightning). May
import `config`."""

from experiments.search.pruning import OptunaPruning

__all__ = ["OptunaPruning"]
