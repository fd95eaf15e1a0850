"""Hydra plugin of `experiments`: a learning curve (the comparison at several training-set
sizes) as a sweeper.

Hydra imports every module under ``hydra_plugins`` at start-up to find plugins, so this
package stays light: the curve's modules are imported when a curve runs.
"""

from hydra_plugins.experiments_curve_sweeper.curve_sweeper import CurveSweeper

__all__ = ["CurveSweeper"]
