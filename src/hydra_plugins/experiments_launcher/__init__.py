"""Hydra plugin of `experiments`: the launchers. `SequentialLauncher`, the default (jobs one
after another in this process, keeping a lean return of each), and `ParallelLauncher`, with
joblib's settings, which runs the jobs of a sweep on worker processes, a killed job failing
alone (``launcher=parallel``, ``launcher=gpus``).

Hydra imports every module under ``hydra_plugins`` at start-up to find plugins; these
modules import only what Hydra and joblib already loaded.
"""

from hydra_plugins.experiments_launcher.parallel import ParallelLauncher
from hydra_plugins.experiments_launcher.sequential import SequentialLauncher

__all__ = ["ParallelLauncher", "SequentialLauncher"]
