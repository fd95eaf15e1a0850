"""The work of `ProcessPerJobLauncher`, imported when a sweep launches (Hydra imports the
plugin package at every start-up)."""

from __future__ import annotations

import logging
import os
import signal
from collections import deque
from collections.abc import Callable, Sequence
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
from omegaconf import OmegaConf, open_dict

from experiments.runs.result import launch_id, now_iso, read_result, record_result
from hydra_plugins.experiments_launcher.sequential import lean_return

log = logging.getLogger(__name__)
# Native thread pools per job: the machine's cores shared among the jobs running at once.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)  # fmt: skip


def _run_job(job: Callable[[], JobReturn], threads: int, results: connection.Connection) -> None:
    """In the job's process: limit native thread pools, run the job, send back its lean return
    (the launching process keeps the returns of the whole sweep)."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    results.send_bytes(cloudpickle.dumps(lean_return(job())))


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        why = " (the out-of-memory killer, or kill -9)" if name == "SIGKILL" else ""
        return f"the job's process was killed by {name}{why}"
    return f"the job's process exited with code {exitcode} before recording its end"


def launch(
    self: JoblibLauncher, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
) -> Sequence[JobReturn]:
    """Run the jobs, ``n_jobs`` at a time, one process each; return their JobReturns in
    order (a failed one for a job whose process died)."""
    assert self.config is not None and self.hydra_context is not None
    setup_globals()
    configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
    Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    n_jobs = int(self.joblib.get("n_jobs") or 1)
    n_jobs = (os.cpu_count() or 1) if n_jobs < 0 else n_jobs
    threads = max((os.cpu_count() or 1) // n_jobs, 1)
    log.info("Launching %d jobs, %d at a time, one process each", len(job_overrides), n_jobs)
    launch_id()  # decided here, so that every job's process inherits the same
    # fork: a job's process starts with what this one imported (spawn would import torch
    # again first: tens of seconds on a busy machine); nothing here started CUDA or threads
    context = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
    state = Singleton.get_state()
    pending = deque(enumerate(job_overrides, start=initial_job_idx))
    running: dict[connection.Connection, tuple[Any, int, Sequence[str]]] = {}
    returns: dict[int, JobReturn] = {}
    try:
        while pending or running:
            while pending and len(running) < n_jobs:
                idx, overrides = pending.popleft()
                log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
                job = partial(
                    execute_job,
                    idx, overrides, self.hydra_context, self.config, self.task_function, state,
                )  # fmt: skip
                results, sender = context.Pipe(duplex=False)
                process = context.Process(target=_run_job, args=(job, threads, sender))
                process.start()
                sender.close()  # the child holds the only writer: its death closes the pipe
                running[results] = (process, idx, overrides)
            for results in connection.wait(list(running)):
                process, idx, overrides = running.pop(results)
                try:
                    returns[idx] = cloudpickle.loads(results.recv_bytes())
                except EOFError:  # it died before sending anything back
                    process.join()
                    returns[idx] = _record_death(self, idx, overrides, _death(process.exitcode))
                process.join()
    except BaseException:  # interrupted: the running jobs record that they were, then end
        for process, _, _ in running.values():
            process.terminate()
        for process, _, _ in running.values():
            process.join()
        raise
    return [returns[idx] for idx in sorted(returns)]


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
    result = read_result(run_dir) or {}
    if result.get("status") in (None, "running", "interrupted"):
        task = OmegaConf.to_container(sweep_config.hydra.overrides.task)
        result = (
            {"overrides": [o for o in task if not o.startswith("resume=")]}
            | result
            | {"status": "failed", "error": reason, "finished": now_iso(), "launch": launch_id()}
        )
        record_result(run_dir, result)
    # returned like a job that recorded its own failure: the sweep goes on, its end reports it
    return JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED, _return_value=result)
