"""Hyperparameter search: the job side of an Optuna trial (pruning inside Lightning), and
what a study searches (`study`: its identity, so that a study name is never reused for
another search). May import `config` and `runs`."""

from experiments.search.pruning import CheckpointPruning, OptunaPruning

__all__ = ["CheckpointPruning", "OptunaPruning"]
