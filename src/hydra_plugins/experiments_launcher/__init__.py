"""Hydra plugin of `experiments`: the launchers. `SequentialLauncher`, the default (jobs one
after another in this process, keeping a lean return of each), and one with joblib's
settings that runs each job of a sweep in its own process (``launcher=parallel``,
``launcher=gpus``).

Hydra imports every module under ``hydra_plugins`` at start-up to find plugins; these
modules import only what Hydra and joblib already loaded.
"""

from hydra_plugins.experiments_launcher.process_per_job import ProcessPerJobLauncher
from hydra_plugins.experiments_launcher.sequential import SequentialLauncher

__all__ = ["ProcessPerJobLauncher", "SequentialLauncher"]
