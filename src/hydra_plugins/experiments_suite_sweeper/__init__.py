"""Hydra plugin of `experiments`: a suite (the fair protocol on each of several datasets) as a
sweeper, and the schema of the ``suite`` config node.

Hydra imports every module under ``hydra_plugins`` at start-up to find plugins, so this
package stays light: the protocol's modules are imported when a suite runs.
"""

from hydra_plugins.experiments_suite_sweeper.config import SuiteConf
from hydra_plugins.experiments_suite_sweeper.suite_sweeper import SuiteSweeper

__all__ = ["SuiteConf", "SuiteSweeper"]
