"""A learning curve: the comparison run again at several training-set sizes.

At each size every job trains on a nested, stratified subset of that many rows of the train
split (``dataset.train_size``; the validation and test rows stay the same), in a folder of
its own::

    <sweep>/size_<n>/final/<model>/split_<r>,seed_<s>/   each model's defaults, per seed
    <sweep>/size_<n>/search/..., size_<n>/final/...      or the fair protocol at that size

The folder name holds the size as a count of rows: fractions are resolved against the train
split before any job runs. Like the protocol's, the jobs are named by what they are, so a
re-run skips the done ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.config import ConfigError
from experiments.protocol.jobs import Job, Trial, final_job
from experiments.protocol.run import ModelSearch, run_protocol
from experiments.protocol.settings import ProtocolSettings

if TYPE_CHECKING:  # the sweeper plugins import this package at every start: no numpy there
    import numpy as np

SIZE_KEY = "dataset.train_size"
SIZE_FOLDER = "size_"  # + the count of training rows
SizedLaunch = Callable[[int, Sequence[Job]], None]  # runs the jobs with dataset.train_size=<n>


def size_folder(size: int) -> str:
    """``size_1000``: the folder of a curve's jobs at ``size`` training rows."""
    return f"{SIZE_FOLDER}{size}"


@dataclass(frozen=True)
class CurveSettings:
    """The sizes of a learning curve (the ``curve`` config node), as given.

    Attributes:
        sizes: training rows per point: counts, or fractions in (0, 1] of the train split.
    """

    sizes: tuple[int | float, ...]

    @classmethod
    def from_config(cls, node: Any) -> CurveSettings:
        """Raises:
        ConfigError: not a list of numbers, or an empty one (`resolve_sizes` checks the
            values against the data).
        """
        sizes = node.get("sizes") if node is not None else None
        expected = "expected a list of training-set sizes, e.g. [250, 500, 1000]"
        if not hasattr(sizes, "__iter__") or isinstance(sizes, str | dict) or not list(sizes):
            raise ConfigError(f"curve.sizes: {expected}, got {_shown(sizes)}")
        sizes = tuple(sizes)
        bad = [
            f"curve.sizes[{i}]: expected a number (a count of rows or a fraction), got {size!r}"
            for i, size in enumerate(sizes)
            if isinstance(size, bool) or not isinstance(size, int | float)
        ]
        if bad:
            raise ConfigError(bad)
        return cls(sizes=sizes)


def resolve_sizes(
    sizes: Sequence[int | float], targets: np.ndarray, stratify: bool, split_seed: int
) -> list[int]:
    """The sizes as counts of training rows, ascending, each checked as a job on split
    ``split_seed`` would check it (`experiments.data.splits.training_subset`) on the train
    split's ``targets``.

    Raises:
        ConfigError: every size that a job would refuse (no rows, more rows than the split
            has, a class left without rows), and sizes that come to the same count.
    """
    from experiments.data.splits import training_subset

    total = len(targets)
    problems, counts = [], {}
    for index, size in enumerate(sizes):
        try:
            count = len(training_subset(targets, size, split_seed, stratify))
        except ConfigError as error:
            problems += [
                f"curve.sizes[{index}]: {problem.removeprefix(SIZE_KEY + ': ')}"
                for problem in error.problems
            ]
            continue
        if count in counts:
            problems.append(
                f"curve.sizes[{index}]: {size!r} is {count} of the {total} training rows, as "
                f"curve.sizes[{counts[count]}] is; expected distinct sizes"
            )
        counts.setdefault(count, index)
    if problems:
        raise ConfigError(problems)
    return sorted(counts)


def defaults_jobs(
    models: Sequence[str], split_seed: int, seeds: Sequence[int], size: int
) -> list[Job]:
    """Each model's defaults (trial 0) on split ``split_seed`` with each of ``seeds``."""
    prefix = f"{size_folder(size)}/"
    return [final_job(Trial(model, 0), split_seed, seed, prefix) for model in models for seed in seeds]  # fmt: skip


def run_curve(
    sizes: Sequence[int],
    launch: SizedLaunch,
    sweep_dir: Path,
    *,
    models: Sequence[str],
    split_seed: int,
    seeds: Sequence[int],
    tuned: tuple[Sequence[ModelSearch], ProtocolSettings] | None = None,
) -> None:
    """Run the comparison at each size, smallest first (a cut curve has its small end).

    Args:
        sizes: counts of training rows (`resolve_sizes`).
        launch: runs jobs at a size.
        models: the models' config names.
        split_seed, seeds: the split and training seeds of each model's defaults run.
        tuned: the models' searches and the protocol's settings: the fair protocol at each
            size instead of the defaults (``split_seed`` and ``seeds`` are then the protocol's).
    """
    for size in sizes:
        if tuned is None:
            launch(size, defaults_jobs(models, split_seed, seeds, size))
        else:
            searches, settings = tuned
            run_protocol(
                searches, settings, sweep_dir, lambda jobs, n=size: launch(n, jobs),
                prefix=f"{size_folder(size)}/",
            )  # fmt: skip


def _shown(value: Any) -> str:
    return "an empty list" if hasattr(value, "__len__") and not len(value) else repr(value)
