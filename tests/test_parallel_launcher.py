"""launcher=parallel's worker processes: n_jobs of them, each running jobs one after another
and sending back a lean return; a job whose worker dies fails alone and a new worker takes
its place (the whole sweep through the CLI: tests/test_faults.py)."""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Sequence

import cloudpickle
import pytest
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from hydra_plugins.experiments_launcher._core import _Workers, worker_counts

KILLED = 1  # the job whose worker is killed


def fake_job(idx: int, overrides: Sequence[str]) -> JobReturn:
    """A job run in a worker: job `KILLED` kills its worker (the out-of-memory killer),
    the others return their worker's pid, their native thread setting and a config."""
    if idx == KILLED:
        os.kill(os.getpid(), signal.SIGKILL)
    return JobReturn(
        overrides=list(overrides), cfg=OmegaConf.create({"seed": idx}),
        hydra_cfg=OmegaConf.create({"hydra": {"runtime": {"output_dir": f"/sweep/{idx}"}}}),
        status=JobStatus.COMPLETED,
        _return_value={"pid": os.getpid(), "threads": os.environ["OMP_NUM_THREADS"]},
    )  # fmt: skip


def run_jobs(count: int, size: int) -> tuple[dict[int, JobReturn | str], int]:
    """Run ``count`` fake jobs on up to ``size`` workers as the launcher does: each job's
    return or how its worker died, and the most workers alive at once."""
    workers = _Workers(fake_job, size, threads=3)
    pending = deque((idx, [f"seed={idx}"]) for idx in range(count))
    outcomes: dict[int, JobReturn | str] = {}
    most = 0
    while pending or workers.busy():
        workers.give(pending)
        most = max(most, len(workers.workers))
        for idx, _, outcome in workers.finished():
            outcomes[idx] = cloudpickle.loads(outcome) if isinstance(outcome, bytes) else outcome
    workers.stop(kill=False)
    assert all(worker.process.exitcode == 0 for worker in workers.workers)  # told to end
    return outcomes, most


@pytest.fixture(autouse=True)
def no_inherited_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # the worker sets it


def test_a_job_whose_worker_dies_fails_alone() -> None:
    outcomes, most = run_jobs(count=5, size=2)

    assert most == 2  # n_jobs workers, a new one in the dead one's place
    assert outcomes[KILLED] == "the job's process was killed by SIGKILL (the out-of-memory killer, or kill -9)"  # fmt: skip
    done = [outcomes[idx] for idx in (0, 2, 3, 4)]
    assert [job.overrides for job in done] == [["seed=0"], ["seed=2"], ["seed=3"], ["seed=4"]]
    assert all(job.status == JobStatus.COMPLETED for job in done)
    assert os.getpid() not in {job.return_value["pid"] for job in done}  # run in workers
    assert {job.return_value["threads"] for job in done} == {"3"}  # the cores shared out


def test_a_worker_sends_back_a_lean_return() -> None:
    outcomes, _ = run_jobs(count=1, size=1)

    job = outcomes[0]
    assert job.cfg is None  # the job's config stays in its worker
    assert OmegaConf.to_container(job.hydra_cfg) == {"hydra": {"runtime": {"output_dir": "/sweep/0"}}}  # fmt: skip


@pytest.mark.parametrize(
    ("n_jobs", "cores", "expected"),
    [(-1, 2, (2, 1)), (-1, 8, (8, 1)), (1, 8, (1, 8)), (2, 8, (2, 4)), (4, 2, (4, 1))],
)
def test_n_jobs_sets_the_workers_and_shares_the_cores(n_jobs, cores, expected) -> None:
    assert worker_counts(n_jobs, cores) == expected
