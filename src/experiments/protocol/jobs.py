"""The protocol's jobs: their folders, overrides and the ``protocol`` record each one keeps.

A job is fully named by what it is (phase, model, trial or split and seed), so that a
re-run of the same protocol finds the jobs that are done by their folders and skips them.

    <sweep>/<prefix>search/<model>/trial_<k>/            phase 1: trial k of the model's search
    <sweep>/<prefix>final/<model>/split_<r>,seed_<s>/    phase 2: the chosen trial on split r, seed s
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SEARCH = "search"
FINAL = "final"
RECORD_KEY = "protocol.job"  # the config key a job's record is given under; train copies it


@dataclass(frozen=True)
class Trial:
    """One configuration of a model's search.

    Attributes:
        model: the model's config name.
        number: 0 for the model's defaults, then 1, 2, ... for the drawn ones.
        params: override key -> value as override text (``{"optimizer.lr": "0.0031"}``);
            empty for trial 0.
        added: the keys of ``params`` that are not in the model's config and are added
            (``++key=value``), e.g. a scikit-learn parameter left at its default in the YAML.
    """

    model: str
    number: int
    params: Mapping[str, str] = field(default_factory=dict)
    added: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Job:
    """One run of the protocol: its folder below the sweep folder and its overrides, among
    them its record (``protocol.job={...}``, what ``result.json`` keeps as ``protocol``) and
    its folder (``hydra.sweep.subdir``)."""

    folder: str
    overrides: tuple[str, ...]


def search_job(trial: Trial, split_seed: int, seed: int, prefix: str = "") -> Job:
    """Trial ``trial`` of its model's search, on the search split."""
    folder = f"{prefix}{SEARCH}/{trial.model}/trial_{trial.number}"
    return _job(folder, SEARCH, trial, split_seed, seed)


def final_job(trial: Trial, split_seed: int, seed: int, prefix: str = "") -> Job:
    """The chosen ``trial`` of a model re-trained on split ``split_seed`` with ``seed``."""
    folder = f"{prefix}{FINAL}/{trial.model}/split_{split_seed},seed_{seed}"
    return _job(folder, FINAL, trial, split_seed, seed)


def _job(folder: str, phase: str, trial: Trial, split_seed: int, seed: int) -> Job:
    params = ", ".join(f"{key}: {text}" for key, text in trial.params.items())
    record = (
        f"{{phase: {phase}, model: {_quoted(trial.model)}, trial: {trial.number}, "
        f"params: {{{params}}}, split_seed: {split_seed}, seed: {seed}}}"
    )
    overrides = (
        f"model={trial.model}",
        *(
            f"{'++' if key in trial.added else ''}{key}={text}"
            for key, text in trial.params.items()
        ),
        f"dataset.split_seed={split_seed}",
        f"seed={seed}",
        f"{RECORD_KEY}={record}",
        f"hydra.sweep.subdir={_quoted(folder)}",  # quoted: a comma would make it a sweep
    )
    return Job(folder=folder, overrides=overrides)


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"
