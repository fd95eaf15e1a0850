"""The work of `ParallelLauncher`, imported when a sweep launches (Hydra imports the plugin
package at every start-up).

Workers, not a process per job: a process forked for one job paid for it again each time
(its memory copied page by page as the job touched it, Hydra's parsed config files and the
run's lazy imports and caches started cold), 0.17 s a job and fits 20% slower than in the
launching process (issue 32). A worker runs jobs one after another as the sequential
launcher does, so each of those is paid once per worker.
"""

from __future__ import annotations

import logging
import os
import signal
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing import connection, get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import cloudpickle
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides, setup_globals
from hydra_plugins.hydra_joblib_launcher._core import execute_job
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
from omegaconf import open_dict

from experiments.runs.result import launch_id
from hydra_plugins.experiments_launcher.sequential import record_failure, settled

log = logging.getLogger(__name__)
# Native thread pools per job: the machine's cores shared among the jobs running at once.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)  # fmt: skip
RunJob = Callable[[int, Sequence[str]], JobReturn]  # (job index, overrides) -> its return


def _serve(run: RunJob, threads: int, jobs: connection.Connection) -> None:
    """A worker: limit native thread pools, then run each job it is sent and send back its
    lean return, until it is sent None."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    while (job := jobs.recv()) is not None:
        jobs.send_bytes(cloudpickle.dumps(settled(run(*job), job[0])))


@dataclass
class _Worker:
    process: Any  # multiprocessing's process of the start method in use
    jobs: connection.Connection  # the launcher's end of the worker's pipe
    job: tuple[int, Sequence[str]] | None = None  # running: (index, overrides)


class _Workers:
    """Up to ``size`` workers, started as jobs need them, each given one job at a time."""

    def __init__(self, run: RunJob, size: int, threads: int) -> None:
        self.run, self.size, self.threads = run, size, threads
        self.workers: list[_Worker] = []

    def busy(self) -> bool:
        return any(worker.job for worker in self.workers)

    def give(self, pending: deque[tuple[int, Sequence[str]]]) -> None:
        """A job from ``pending`` to each idle worker, starting workers up to ``size``."""
        while pending and len(self.workers) < self.size:
            self.workers.append(_start_worker(self.run, self.threads))
        for worker in self.workers:
            if worker.job is None and pending:
                worker.job = pending.popleft()
                log.info("\t#%d : %s", worker.job[0], " ".join(filter_overrides(worker.job[1])))  # fmt: skip
                worker.jobs.send(worker.job)

    def finished(self) -> list[tuple[int, Sequence[str], bytes | str]]:
        """Wait for jobs to end: each ended job's index, overrides and pickled return, or
        for a job whose worker died, how it died (that worker is dropped: `give` starts
        another)."""
        busy = {worker.jobs: worker for worker in self.workers if worker.job}
        ended = []
        for ready in connection.wait(list(busy)):
            worker = busy[ready]
            idx, overrides = worker.job
            worker.job = None
            try:
                ended.append((idx, overrides, ready.recv_bytes()))
            except EOFError:
                worker.process.join()
                ended.append((idx, overrides, _death(worker.process.exitcode)))
                self.workers.remove(worker)
        return ended

    def stop(self, kill: bool) -> None:
        """End every worker: ``kill`` them (SIGTERM: an interrupted launch), else tell them
        that no job is left; wait for them."""
        for worker in self.workers:
            if kill:
                worker.process.terminate()
            else:
                worker.jobs.send(None)
        for worker in self.workers:
            worker.process.join()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        why = " (the out-of-memory killer, or kill -9)" if name == "SIGKILL" else ""
        return f"the job's process was killed by {name}{why}"
    return f"the job's process exited with code {exitcode} before recording its end"


def launch(
    self: JoblibLauncher, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
) -> Sequence[JobReturn]:
    """Run the jobs on ``n_jobs`` workers; return their JobReturns in order (a failed one
    for a job whose worker died)."""
    assert self.config is not None and self.hydra_context is not None
    setup_globals()
    configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
    Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    n_jobs, threads = worker_counts(int(self.joblib.get("n_jobs") or 1), os.cpu_count() or 1)
    log.info("Launching %d jobs, %d at a time, on worker processes", len(job_overrides), n_jobs)
    launch_id()  # decided here, so that every worker inherits the same
    run = partial(
        execute_job, hydra_context=self.hydra_context, config=self.config,
        task_function=self.task_function, singleton_state=Singleton.get_state(),
    )  # fmt: skip
    pending = deque(enumerate(job_overrides, start=initial_job_idx))
    workers = _Workers(run, n_jobs, threads)
    returns: dict[int, JobReturn] = {}
    try:
        while pending or workers.busy():
            workers.give(pending)
            for idx, overrides, outcome in workers.finished():
                returns[idx] = (
                    cloudpickle.loads(outcome)
                    if isinstance(outcome, bytes)
                    else _record_death(self, idx, overrides, outcome)  # fails alone
                )
    except BaseException:  # interrupted: the running jobs record that they were, then end
        workers.stop(kill=True)
        raise
    workers.stop(kill=False)
    return [returns[idx] for idx in sorted(returns)]


def worker_counts(n_jobs: int, cores: int) -> tuple[int, int]:
    """The workers for ``n_jobs`` (-1 or any negative: one per core) and the native threads
    each job's pools get: the cores shared among the workers, at least one."""
    workers = cores if n_jobs < 0 else n_jobs
    return workers, max(cores // workers, 1)


def _start_worker(run: RunJob, threads: int) -> _Worker:
    # fork: a worker starts with what the launching process imported (spawn would import
    # torch again first: tens of seconds on a busy machine); nothing here started CUDA or
    # threads
    context = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(run, threads, theirs))
    process.start()
    theirs.close()  # the worker holds the only other end: its death closes the pipe
    return _Worker(process, ours)


def _record_death(
    self: JoblibLauncher, idx: int, overrides: Sequence[str], reason: str
) -> JobReturn:
    """Mark the job ``failed`` with ``reason`` in its ``result.json`` (its own process
    could not) and return that result as the job's return, as a job that failed does."""
    sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    run_dir = Path(str(sweep_config.hydra.sweep.dir)) / str(sweep_config.hydra.sweep.subdir)
    log.error("job #%d failed: %s  (%s)", idx, reason, run_dir)
    result = record_failure(run_dir, list(sweep_config.hydra.overrides.task), reason)
    # returned like a job that recorded its own failure: the sweep goes on, its end reports it
    return JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED, _return_value=result)
