"""Read a protocol folder: each model's search trials and its re-runs over splits x seeds.

A protocol folder (written by the protocol sweep) holds::

    multirun.yaml                                   protocol: {rope, trials, splits, seeds, ...}
    search/<model>/trial_<k>/result.json            the search, trial 0 = the model's defaults
    final/<model>/split_<r>,seed_<s>/result.json    the chosen configuration, re-run

Each ``result.json`` carries a ``protocol`` block (``phase``, ``model``, ``trial``,
``params``, ``split_seed``, ``seed``); the folder names are for people, the blocks are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from experiments.config.errors import ConfigError
from experiments.report.run_identity import saved_config
from experiments.report.table import find_results

SEARCH, FINAL = "search", "final"
# Used when a run's config does not say its split sizes: 60% train, 20% test.
DEFAULT_TEST_TRAIN_RATIO = 0.2 / 0.6


@dataclass
class ModelRuns:
    """One model's finished runs in a protocol folder.

    Attributes:
        name: the model's name.
        trials: search trial number -> its ``result.json`` (finished trials only).
        finals: ``(split_seed, seed)`` -> ``(run folder, result.json)`` of the re-runs.
        params: the configuration chosen by the search (the re-runs' ``protocol.params``).
        config: the composed config of one re-run (``.hydra/config.yaml``), or {}.
    """

    name: str
    trials: dict[int, dict[str, Any]] = field(default_factory=dict)
    finals: dict[tuple[int, int], tuple[Path, dict[str, Any]]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def final_scores(self, metric: str) -> dict[tuple[int, int], float]:
        """``(split_seed, seed)`` -> the re-run's ``metric``, where it logged one."""
        scores = {
            key: result.get("metrics", {}).get(metric) for key, (_, result) in self.finals.items()
        }
        return {key: float(value) for key, value in scores.items() if value is not None}

    def trial_scores(self, metric: str) -> np.ndarray:
        """``metric`` of each finished trial in trial order (nan where not logged)."""
        return np.array(
            [self.trials[k].get("metrics", {}).get(metric, np.nan) for k in sorted(self.trials)],
            dtype=float,
        )

    def mean_of(self, key: str) -> float:
        """Mean of a top-level number of the re-runs' results (``fit_seconds``, ``n_params``)."""
        values = [r.get(key) for _, r in self.finals.values() if r.get(key) is not None]
        return float(np.mean(values)) if values else np.nan


@dataclass
class Protocol:
    """A protocol folder, read.

    Attributes:
        folder: the protocol folder.
        settings: the ``protocol:`` block of ``multirun.yaml``, else of a re-run's composed
            config ({} when neither has one).
        selection_metric, mode: the validation metric the search selected on and whether
            ``max`` or ``min`` is best (the runs' recorded ``monitor``/``monitor_mode``).
        metric: the reported test metric (``test/`` + the selection metric's name).
        models: by model name, in the order first seen.
        failed: ``(run folder, error)`` of runs that did not finish.
    """

    folder: Path
    settings: dict[str, Any]
    selection_metric: str
    mode: str
    metric: str
    models: dict[str, ModelRuns]
    failed: list[tuple[Path, str]]

    @property
    def dataset(self) -> str:
        """The dataset's name, from a re-run's config (``dataset.name``), else the folder's."""
        for runs in self.models.values():
            name = runs.config.get("dataset", {}).get("name")
            if name:
                return str(name)
        return self.folder.name

    @property
    def test_train_ratio(self) -> float:
        """Test rows / training rows of one split, from the runs' ``dataset.test_size`` and
        ``dataset.val_size`` (fractions of all rows): the Nadeau-Bengio correction's
        ``n_test/n_train``. `DEFAULT_TEST_TRAIN_RATIO` when the config does not say."""
        for runs in self.models.values():
            dataset = runs.config.get("dataset", {})
            test, val = dataset.get("test_size"), dataset.get("val_size")
            if isinstance(test, float | int) and isinstance(val, float | int) and test + val < 1:
                return float(test) / (1 - test - val)
        return DEFAULT_TEST_TRAIN_RATIO


def is_protocol_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a protocol's ``search/`` and ``final/`` phases."""
    return (folder / SEARCH).is_dir() and (folder / FINAL).is_dir()


def read_protocol(folder: Path) -> Protocol:
    """Every run of the protocol folder, grouped by model and phase.

    Raises:
        ConfigError: the folder holds no finished re-run with a ``protocol`` block.
    """
    settings = _protocol_settings(folder)
    models: dict[str, ModelRuns] = {}
    failed, monitors = [], []
    for run_dir, result in find_results([folder / SEARCH, folder / FINAL]):
        block = result.get("protocol")
        if result.get("status") != "done" or not isinstance(block, dict):
            failed.append((run_dir, result.get("error") or f"status {result.get('status')}"))
            continue
        runs = models.setdefault(block["model"], ModelRuns(block["model"]))
        monitors.append((result.get("monitor"), result.get("monitor_mode")))
        if block["phase"] == SEARCH:
            runs.trials[int(block["trial"])] = result
        else:
            runs.finals[(int(block["split_seed"]), int(block["seed"]))] = (run_dir, result)
            runs.params = block.get("params", {})
            runs.config = runs.config or saved_config(run_dir) or {}
    if not any(runs.finals for runs in models.values()):
        raise ConfigError(
            f"{folder}: no finished re-run below {folder / FINAL}; is it a protocol folder?"
        )
    selection_metric, mode = next(((m, mo) for m, mo in monitors if m), ("val/acc", "max"))
    metric = "test/" + selection_metric.split("/", 1)[-1]
    if not settings:
        configs = (runs.config.get("protocol") for runs in models.values())
        settings = next((c for c in configs if isinstance(c, dict)), {})
    return Protocol(folder, settings, selection_metric, mode or "max", metric, models, failed)


def _protocol_settings(folder: Path) -> dict[str, Any]:
    try:
        config = yaml.safe_load((folder / "multirun.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    settings = config.get("protocol")
    return settings if isinstance(settings, dict) else {}
