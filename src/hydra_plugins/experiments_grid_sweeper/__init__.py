"""Hydra plugin of `experiments`: the default sweeper, Hydra's grid of every combination of
the sweep lists, checking each job shape's config once before any job runs."""

from hydra_plugins.experiments_grid_sweeper.grid_sweeper import GridSweeper

__all__ = ["GridSweeper"]
