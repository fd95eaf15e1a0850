"""The core run, one function the command line, the Python API and the launchers all call:
`train` (one configuration: data, model kind, fit, test, result.json), the job around it
(`job`: skip what is done, record how it ended), and loading a finished run back
(`saved`). Hydra-free: takes a composed config. May import every layer below `api`/`cli`."""

from experiments.core.train import CHECKED_SECTIONS, train

__all__ = ["CHECKED_SECTIONS", "train"]
