"""What the sweep benchmarks share: a sweep of tiny jobs run as a user runs it (``python -m
experiments.cli.train -m``, a process of its own), from this working tree or from the source
of an earlier commit, and a Hydra callback that clocks each job's start.

Scripts in this folder import it as ``sweeps`` (Python puts a script's folder on the path);
the sweep's process imports it too, for `JobClock` (the benchmarks folder is on its path).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
# The tiny job of issue 32: digits, 1 epoch of logistic regression, the default callbacks,
# logger and figures; the seeds make the jobs.
TINY_JOB = ["model=logreg", "trainer.max_epochs=1"]


def tree_environment(src: Path, data_cache: Path) -> dict[str, str]:
    """This process's environment for a command that runs the tree ``src`` offline, with its
    own data cache: ``src`` first on the path (an earlier commit's wins over the editable
    install), then this folder (for the Hydra callbacks the benchmarks add)."""
    return os.environ | {
        "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
        "EXPERIMENTS_DATA_CACHE": str(data_cache),
        "PYTHONPATH": os.pathsep.join([str(src), str(BENCHMARKS)]),
    }  # fmt: skip


def source_tree(rev: str | None, folder: Path) -> Path:
    """The ``src`` folder to run: this working tree's for None, else commit ``rev``'s,
    extracted (``git archive``) below ``folder``."""
    if rev is None:
        return REPOSITORY / "src"
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--format=tar", rev, "src"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    target = folder / f"src_{rev.replace('/', '_')}"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def source_trees(before: str | None, folder: Path) -> dict[str, Path]:
    """The trees a benchmark compares, by label: commit ``before``'s source first
    (``before (<rev>)``) when given, then this working tree's (``now``); see `source_tree`."""
    now = {"now": source_tree(None, folder)}
    return {f"before ({before})": source_tree(before, folder)} | now if before else now


def run_sweep(
    src: Path, jobs: int, out: Path, data_cache: Path, extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Run a sweep of ``jobs`` tiny jobs (seeds 0 .. jobs-1) from the package in ``src``,
    with `JobClock` on, into ``out``.

    Returns:
        ``wall`` (seconds of the whole process), ``maxrss_mb`` (its peak resident memory),
        ``jobs_peak_mb`` (the peak until its jobs ended, before the sweep's summary),
        ``starts`` (each job's start, seconds after the process started, in order) and
        ``fits`` (each job's ``fit_seconds``, in the same order).
    """
    clock = out / "job_starts.txt"
    command = [
        sys.executable, "-m", "experiments.cli.train", "-m", *TINY_JOB, *extra,
        f"seed=range({jobs})", f"hydra.sweep.dir={out}",
        "+hydra.callbacks.job_clock._target_=sweeps.JobClock",
        f"+hydra.callbacks.job_clock.path={clock}",
    ]  # fmt: skip
    env = tree_environment(src, data_cache)
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"sweep failed ({status}): {process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    starts, fits, jobs_peak_kb = [], [], 0
    for line in clock.read_text().splitlines():
        what, value = line.split(" ", 1)
        if what == "jobs_peak_kb":
            jobs_peak_kb = int(value)
            continue
        seconds, folder = value.split(" ", 1)
        starts.append(float(seconds) - start)
        fits.append(_fit_seconds((Path(folder) / "result.json").read_text()))
    return {
        "wall": wall, "maxrss_mb": usage.ru_maxrss / 1024, "jobs_peak_mb": jobs_peak_kb / 1024,
        "starts": starts, "fits": fits,
    }  # fmt: skip


def _fit_seconds(result_text: str) -> float:
    result = json.loads(result_text)
    assert result["status"] == "done", result.get("error")
    return float(result["fit_seconds"])


def per_job_beyond_fit(run: dict[str, Any]) -> float:
    """Seconds a job of the sweep costs beyond its fit: from the start of the second job to
    the start of the last, less the fits in between, per job. The first job (the lazy
    imports of the first run) and the sweep's start and end are left out: each job's cycle
    (its composition, Hydra's set-up, the run, its files and figures) is in."""
    starts, fits = run["starts"], run["fits"]
    cycles = len(starts) - 2
    return (starts[-1] - starts[1] - sum(fits[1:-1])) / cycles


class JobClock(Callback):
    """Hydra callback: appends to ``path`` each job's start (``time.perf_counter()``, a clock
    shared by the processes of this machine) and folder, and at the end of the jobs the
    process's peak memory so far (Hydra calls it before the sweep's summary, which the
    `experiments.report.sweep_end.CollectResults` callback writes after it)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        self._write(f"start {time.perf_counter()} {config.hydra.runtime.output_dir}")

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        self._write(f"jobs_peak_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")

    def _write(self, line: str) -> None:
        with self.path.open("a") as clock:
            clock.write(line + "\n")
