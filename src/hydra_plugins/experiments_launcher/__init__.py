"""Hydra plugin of `experiments`: a launcher with joblib's settings that runs each job of a
sweep in its own process (``launcher=parallel``, ``launcher=gpus``).

Hydra imports every module under ``hydra_plugins`` at start-up to find plugins; the
launcher's module imports only what Hydra and joblib already loaded.
"""

from hydra_plugins.experiments_launcher.process_per_job import ProcessPerJobLauncher

__all__ = ["ProcessPerJobLauncher"]
