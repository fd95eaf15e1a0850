"""A suite: the fair protocol on each of several datasets, one folder per dataset, the
batches of every dataset's protocol launched together.

    <sweep>/suite.yaml                               the suite as run: its datasets and settings
    <sweep>/<dataset>/multirun.yaml                  that dataset's composed config
    <sweep>/<dataset>/search/..., final/..., default/...   its protocol (`experiments.protocol.run`)

The datasets are the subfolders of a folder of tables (``suite.path``; each subfolder holds
one ``suite.file``, read with the dataset config ``suite.dataset``) and dataset configs by
name (``suite.configs``). Each dataset's folder is a protocol folder of its own, named by what it
is, so a re-run into the same sweep folder skips the done jobs of every dataset. Kept free
of Hydra, as `experiments.protocol.run`: the sweeper composes and launches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.config import ConfigError
from experiments.protocol.jobs import Job, quoted
from experiments.protocol.run import Batches, Choices

SUITE_FILE = "suite.yaml"  # in the sweep folder: what the report reads
# Launches the next batch of each dataset that has one, all at once (dataset name -> jobs).
SuiteLaunch = Callable[[Mapping[str, Sequence[Job]]], None]


@dataclass(frozen=True)
class SuiteSettings:
    """The ``suite`` config node, checked (its schema: ``SuiteConf`` in the suite sweeper).

    Attributes:
        name: the suite's name, for the report.
        path: a folder of tables, relative to the working directory; None: none.
        datasets: the subfolders of ``path`` to run; None: every one that holds ``file``.
        exclude: subfolders of ``path`` left out.
        configs: dataset configs by name (``dataset=<name>``), each one more dataset.
        file: the table in each subfolder.
        dataset: the dataset config every table runs with, its ``path`` and ``name`` the
            table's (``uci``: a classification CSV with its class in ``target``).
        job_minutes: a cap on each job's training, the same for every model (None: none).
    """

    name: str
    path: str | None
    datasets: tuple[str, ...] | None
    exclude: tuple[str, ...]
    configs: tuple[str, ...]
    file: str
    dataset: str
    job_minutes: float | None

    @classmethod
    def from_config(cls, node: Any) -> SuiteSettings:
        """Raises:
        ConfigError: every bad value, each naming its key.
        """
        problems = []
        if not node.get("path") and not node.get("configs"):
            problems.append(
                "suite: no datasets; give suite.path (a folder of tables, one subfolder each) "
                "or suite.configs (dataset configs by name, e.g. [digits, breast_cancer])"
            )
        minutes = node.get("job_minutes")
        if minutes is not None and (
            isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0
        ):
            problems.append(f"suite.job_minutes: expected a positive number or null, got {minutes!r}")  # fmt: skip
        if problems:
            raise ConfigError(problems)
        names = node.get("datasets")
        return cls(
            name=str(node.get("name") or "suite"),
            path=node.get("path"),
            datasets=None if names is None else tuple(map(str, names)),
            exclude=tuple(map(str, node.get("exclude") or ())),
            configs=tuple(map(str, node.get("configs") or ())),
            file=str(node.get("file") or "data.csv"),
            dataset=str(node.get("dataset") or "uci"),
            job_minutes=None if minutes is None else float(minutes),
        )


@dataclass(frozen=True)
class SuiteDataset:
    """One dataset of a suite.

    Attributes:
        name: its folder below the sweep folder, and its ``dataset.name``.
        source: where it comes from, for people: the table's path, or ``dataset=<config>``.
        overrides: what every job on it gets.
    """

    name: str
    source: str
    overrides: tuple[str, ...]


def suite_datasets(settings: SuiteSettings, cwd: Path) -> list[SuiteDataset]:
    """The suite's datasets: the tables of ``settings.path`` (in the order of
    ``settings.datasets``, else by name), then the configs, in their order. A table's path is absolute in its overrides, so that jobs find
    it from any working directory (a cluster node's).

    Raises:
        ConfigError: every problem: no such folder, a named subfolder without the table, an
            excluded name that is not a dataset, no dataset at all, two datasets of one name.
    """
    tables, problems = _tables(settings, cwd) if settings.path else ({}, [])
    datasets = [
        SuiteDataset(name, str(table), _table_overrides(name, table, settings))
        for name, table in tables.items()
    ]
    for config in settings.configs:
        name = config.replace("/", "_")
        datasets.append(SuiteDataset(name, f"dataset={config}", (f"dataset={config}", f"dataset.name={quoted(name)}")))  # fmt: skip
    seen: set[str] = set()
    for dataset in datasets:
        if dataset.name in seen:
            problems.append(f"suite: two datasets are named {dataset.name}; expected distinct names")  # fmt: skip
        seen.add(dataset.name)
    if not datasets and not problems:
        problems.append("suite: no datasets to run (every table excluded, no configs)")
    if problems:
        raise ConfigError(problems)
    return datasets


def _tables(settings: SuiteSettings, cwd: Path) -> tuple[dict[str, Path], list[str]]:
    """Dataset name -> its table, from the subfolders of ``settings.path``; and problems."""
    assert settings.path is not None
    folder = (cwd / settings.path).resolve()
    if not folder.is_dir():
        return {}, [
            f"suite.path: {folder} is not a folder (a relative path starts at the working "
            f"directory, {cwd})"
        ]
    found = {
        sub.name: sub / settings.file
        for sub in folder.iterdir()
        if not sub.name.startswith((".", "_")) and (sub / settings.file).is_file()
    }
    problems = [
        f"suite.datasets: {name}: no {folder / name / settings.file}"
        for name in settings.datasets or ()
        if name not in found
    ]
    problems += [
        f"suite.exclude: {name} is not a dataset of {folder} ({', '.join(sorted(found))})"
        for name in settings.exclude
        if name not in found
    ]
    if not found:
        problems.append(f"suite.path: no subfolder of {folder} holds a {settings.file}")
    chosen = settings.datasets if settings.datasets is not None else sorted(found)
    tables = {name: found[name] for name in chosen if name in found and name not in settings.exclude}  # fmt: skip
    return tables, problems


def _table_overrides(name: str, table: Path, settings: SuiteSettings) -> tuple[str, ...]:
    return (
        f"dataset={settings.dataset}",
        f"dataset.path={quoted(str(table))}",
        f"dataset.name={quoted(name)}",
    )


def budget_overrides(settings: SuiteSettings) -> tuple[str, ...]:
    """What every job gets from the suite's budget: with ``job_minutes``, Lightning's
    ``trainer.max_time`` in whole seconds, rounded up (a network stops training at it and is
    scored as it stands; a scikit-learn fit cannot be stopped midway, and the report names
    those that ran longer)."""
    if settings.job_minutes is None:
        return ()
    seconds = math.ceil(60 * settings.job_minutes)
    days, rest = divmod(seconds, 86_400)
    return (
        f"++trainer.max_time='{days:02d}:{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}'",
    )


def run_suite(protocols: Mapping[str, Batches], launch: SuiteLaunch) -> dict[str, Choices]:
    """Run every dataset's protocol, their batches together: each round asks every protocol
    that has not ended for its next batch, and launches them all at once, so that one
    dataset's jobs do not wait for another dataset's phase to end on its own (with random
    draws: every dataset's search jobs in one launch, then every final job in another).

    Args:
        protocols: dataset name -> its protocol's batches (`protocol_batches`, with the
            dataset's folder as prefix).
        launch: runs one round's jobs, by dataset.

    Returns:
        Dataset name -> its models' chosen trials per split.
    """
    chosen: dict[str, Choices] = {}
    running = dict(protocols)
    while running:
        round_: dict[str, list[Job]] = {}
        for name, batches in list(running.items()):
            try:
                round_[name] = next(batches)
            except StopIteration as stop:
                chosen[name] = stop.value
                del running[name]
        if any(round_.values()):
            launch(round_)
    return chosen
