"""Hydra plugin of `experiments`: the SLURM launcher (submitit) that sees every job to its end.

Hydra imports every module under ``hydra_plugins`` at start-up to find plugins, so this
package stays light: submitit itself is imported when a sweep is launched.
"""

from hydra_plugins.experiments_slurm_launcher.slurm_launcher import SlurmLauncher

__all__ = ["SlurmLauncher"]
