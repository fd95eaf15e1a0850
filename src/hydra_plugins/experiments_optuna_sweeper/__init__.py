"""Hydra plugin of `experiments`: an Optuna sweeper on the ask-and-tell API.

Hydra imports every module under ``hydra_plugins`` at start-up to find plugins, so this
package stays light: Optuna itself is imported when a search runs.
"""

from hydra_plugins.experiments_optuna_sweeper.optuna_sweeper import OptunaSweeper

__all__ = ["OptunaSweeper"]
