"""What the performance benchmarks share: config composition, the data sets, run helpers.

Scripts in this folder import it as ``common`` (Python puts a script's folder on the path).
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Benchmarks never touch the network: Hugging Face clients fail fast instead of retrying.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from experiments.config import compose_config, instantiate_checked
from experiments.data import DataModule

# Lightning's per-run notices (GPU available, AMP in use, ...) would bury the tables.
for name in ("pytorch_lightning", "lightning_fabric"):
    logging.getLogger(name).setLevel(logging.WARNING)

MNIST10K = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist10k"
MNIST10K_OVERRIDES = ["dataset=mnist", f"dataset.path={MNIST10K}"]
# CIFAR-10's cat and dog images (dataset=cifar_catdog).
CATDOG = MNIST10K.parent / "cifar_catdog"
CATDOG_OVERRIDES = ["dataset=cifar_catdog", f"dataset.path={CATDOG}"]


def datasets(quick: bool) -> list[tuple[str, list[str]]]:
    """(name, dataset overrides): digits, and mnist10k unless ``quick`` or it is absent (a
    fresh clone has no ``../shared``); then the reason is printed."""
    chosen = [("digits", [])]
    if quick:
        return chosen
    if MNIST10K.is_dir():
        return [*chosen, ("mnist10k", MNIST10K_OVERRIDES)]
    print(f"(mnist10k not found at {MNIST10K}: digits only)")
    return chosen


def load_data(overrides: list[str]) -> DataModule:
    """The data module of a config, loaded (from the processed-data cache when warm)."""
    datamodule = instantiate_checked(compose_config(overrides).dataset, "dataset")
    datamodule.load()
    return datamodule


def run_in_process(overrides: list[str]) -> dict[str, Any]:
    """One run the way a sweep job runs it (`experiments.core.train`), in a temporary
    folder; returns its result."""
    cfg = compose_config(overrides)
    with tempfile.TemporaryDirectory() as run_dir:
        from experiments.core import train  # after the offline settings above

        return train(cfg, Path(run_dir), overrides)


def timed(function: Callable[[], Any]) -> float:
    """Seconds of wall-clock time one call of ``function`` takes."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)
