"""Read a protocol folder: each model's search trials and its re-runs over splits x seeds.

A protocol folder (written by the protocol sweep) holds::

    multirun.yaml                                    protocol: {rope, trials, splits, seeds, tuning, ...}
    search/<model>/split_<r>,trial_<k>/result.json   split r's search, trial 0 = the defaults
    final/<model>/split_<r>,seed_<s>/result.json     split r's chosen configuration, seed s
    default/<model>/split_<r>,seed_0/result.json     the defaults on split r, where it chose another

Each ``result.json`` carries a ``protocol`` block (``phase``, ``model``, ``trial``,
``params``, ``split_seed``, ``seed``); the folder names are for people, the blocks are read.
Folders of older versions (``search/<model>/trial_<k>/``, one search on split 0) read as
``tuning: once``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from experiments.config.errors import ConfigError
from experiments.report.run_identity import saved_config
from experiments.report.table import find_results
from experiments.report.wording import data_name
from experiments.stats.verdict import split_means

SEARCH, FINAL, DEFAULT = "search", "final", "default"
Runs = dict[tuple[int, int], tuple[Path, dict[str, Any]]]  # (split, seed) -> (folder, result)


@dataclass
class ModelRuns:
    """One model's finished runs in a protocol folder.

    Attributes:
        name: the model's name.
        trials: ``(split_seed, trial number)`` -> the search trial's ``result.json``.
        pruned: the same for the search trials the protocol's pruning stopped: trials of the
            model's budget that were never chosen.
        finals: ``(split_seed, seed)`` -> ``(run folder, result.json)`` of the chosen
            configuration's re-runs.
        defaults: ``(split_seed, seed)`` -> ``(run folder, result.json)`` of the defaults
            scored on test: the default jobs, and the re-runs of splits that chose trial 0.
        chosen: split seed -> ``(trial number, params)`` of the configuration it chose.
        config: the composed config of one re-run (``.hydra/config.yaml``), or {}.
    """

    name: str
    trials: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    pruned: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    finals: Runs = field(default_factory=dict)
    defaults: Runs = field(default_factory=dict)
    chosen: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def final_scores(self, metric: str) -> dict[tuple[int, int], float]:
        """``(split_seed, seed)`` -> the re-run's ``metric``, where it logged one."""
        return _scores(self.finals, metric)

    def split_scores(self, metric: str) -> dict[int, float]:
        """Split seed -> the mean of its re-runs' ``metric`` over seeds: the unit of
        evidence (`experiments.stats.verdict.split_means`)."""
        return split_means(self.final_scores(metric))

    def default_split_scores(self, metric: str) -> dict[int, float]:
        """Split seed -> the defaults' ``metric`` on its test rows (mean over seeds)."""
        return split_means(_scores(self.defaults, metric))

    def seeds_per_split(self) -> list[int]:
        """The number of finished re-runs of each split, in split order."""
        counts: dict[int, int] = defaultdict(int)
        for split, _ in self.finals:
            counts[split] += 1
        return [counts[split] for split in sorted(counts)]

    def split_trials(self, metric: str) -> dict[int, np.ndarray]:
        """Split seed -> ``metric`` of its search trials in trial order (nan where not
        logged, as for a pruned trial: never selected, but one of the budget's trials), for
        splits whose search has trial 0."""
        by_split: dict[int, dict[int, float]] = defaultdict(dict)
        for (split, number), result in (self.pruned | self.trials).items():
            by_split[split][number] = result.get("metrics", {}).get(metric, np.nan)
        return {
            split: np.array([numbers[k] for k in sorted(numbers)], dtype=float)
            for split, numbers in sorted(by_split.items())
            if 0 in numbers
        }

    def mean_of(self, key: str) -> float:
        """Mean of a top-level number of the re-runs' results (``fit_seconds``, ``n_params``)."""
        values = [r.get(key) for _, r in self.finals.values() if r.get(key) is not None]
        return float(np.mean(values)) if values else np.nan


def _scores(runs: Runs, metric: str) -> dict[tuple[int, int], float]:
    scores = {key: result.get("metrics", {}).get(metric) for key, (_, result) in runs.items()}
    return {key: float(value) for key, value in scores.items() if value is not None}


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
        failed: ``(run folder, error)`` of runs that did not finish (the search trials the
            protocol's pruning stopped are no failures: `ModelRuns.pruned`).
        results: every job's ``result.json``, whatever its status (for the time it took).
    """

    folder: Path
    settings: dict[str, Any]
    selection_metric: str
    mode: str
    metric: str
    models: dict[str, ModelRuns]
    failed: list[tuple[Path, str]]
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def dataset(self) -> str:
        """The data as the user gave it, from a re-run's config (`data_name`: ``wine.csv``,
        ``pets/``, ``digits``), else the folder's name."""
        for runs in self.models.values():
            if name := data_name(runs.config.get("dataset", {})):
                return name
        return self.folder.name

    @property
    def tuning(self) -> str:
        """``nested`` or ``once`` (``protocol.tuning``; older folders searched once)."""
        return str(self.settings.get("tuning") or "once")

    @property
    def test_train_ratio(self) -> float:
        """Test rows / training rows of one split: the Nadeau-Bengio correction's
        ``n_test/n_train`` (`test_train_source` says where it comes from)."""
        return self._test_train[0]

    @property
    def test_train_source(self) -> str:
        """Where `test_train_ratio` comes from, for the report."""
        return self._test_train[1]

    @cached_property
    def _test_train(self) -> tuple[float, str]:
        """From the re-runs' ``rows`` (the rows each one trained on and was scored on: a
        learning curve's ``dataset.train_size`` included), else from the config's
        ``dataset.test_size`` / ``val_size`` / ``train_size`` fractions of all rows."""
        ratios = [
            rows["test"] / rows["train"]
            for runs in self.models.values()
            for _, result in runs.finals.values()
            if isinstance(rows := result.get("rows"), dict) and rows.get("train")
        ]
        if ratios:
            return float(np.mean(ratios)), "the rows the re-runs trained on and were scored on"
        for runs in self.models.values():
            ratio = _fraction_ratio(runs.config.get("dataset", {}))
            if ratio is not None:
                return ratio
        return 0.2 / 0.6, "assumed (60% train, 20% test): the runs do not say their rows"


def _fraction_ratio(dataset: dict[str, Any]) -> tuple[float, str] | None:
    """The test/train ratio from a dataset config's fractions of all rows, None when it
    has none; a ``train_size`` count cannot be turned into a fraction without the row count,
    and is said so."""
    test, val, size = (dataset.get(key) for key in ("test_size", "val_size", "train_size"))
    if not (isinstance(test, float | int) and isinstance(val, float | int) and test + val < 1):
        return None
    ratio, source = float(test) / (1 - test - val), "dataset.test_size / val_size"
    if isinstance(size, float) and 0 < size <= 1:
        ratio, source = ratio / size, f"{source} / train_size"
    elif size is not None:
        source += f" (dataset.train_size={size} rows not recorded: the whole train split assumed)"
    return ratio, source


def is_protocol_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a protocol's ``final/`` phase."""
    return (folder / FINAL).is_dir()


def read_protocol(folder: Path) -> Protocol:
    """Every run of the protocol folder, grouped by model and phase.

    Raises:
        ConfigError: the folder holds no finished re-run with a ``protocol`` block.
    """
    settings = _protocol_settings(folder)
    models: dict[str, ModelRuns] = {}
    failed, monitors, results = [], [], []
    for run_dir, result in find_results([folder / SEARCH, folder / FINAL, folder / DEFAULT]):
        results.append(result)
        block = result.get("protocol")
        # a search trial the protocol's pruning stopped is one of its model's trials
        if result.get("status") not in ("done", "pruned") or not isinstance(block, dict):
            failed.append((run_dir, result.get("error") or f"status {result.get('status')}"))
            continue
        runs = models.setdefault(block["model"], ModelRuns(block["model"]))
        monitors.append((result.get("monitor"), result.get("monitor_mode")))
        _add_run(runs, block, run_dir, result)
    if not any(runs.finals for runs in models.values()):
        raise ConfigError(
            f"{folder}: no finished re-run below {folder / FINAL}; is it a protocol folder?"
        )
    selection_metric, mode = next(((m, mo) for m, mo in monitors if m), ("val/acc", "max"))
    metric = "test/" + selection_metric.split("/", 1)[-1]
    if not settings:
        configs = (runs.config.get("protocol") for runs in models.values())
        settings = next((c for c in configs if isinstance(c, dict)), {})
    return Protocol(
        folder, settings, selection_metric, mode or "max", metric, models, failed, results
    )


def _add_run(runs: ModelRuns, block: dict[str, Any], run_dir: Path, result: dict) -> None:
    """File one finished run of ``runs``' model by its ``protocol`` block."""
    split, trial = int(block["split_seed"]), int(block["trial"])
    if block["phase"] == SEARCH:
        found = runs.pruned if result["status"] == "pruned" else runs.trials
        found[(split, trial)] = result
        return
    key = (split, int(block["seed"]))
    if block["phase"] == FINAL:
        runs.finals[key] = (run_dir, result)
        runs.chosen[split] = (trial, block.get("params") or {})
        runs.config = runs.config or saved_config(run_dir) or {}
    if trial == 0:
        runs.defaults[key] = (run_dir, result)


def _protocol_settings(folder: Path) -> dict[str, Any]:
    try:
        config = yaml.safe_load((folder / "multirun.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    settings = config.get("protocol")
    return settings if isinstance(settings, dict) else {}
