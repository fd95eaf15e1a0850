"""GPU claims of parallel jobs, with locks held here standing in for the other jobs."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from experiments.runs import gpus
from experiments.runs.gpus import claim_gpu

from ..conftest import compose_config


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test process as a job that has claimed nothing yet."""
    monkeypatch.setattr(gpus, "_held", [])
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


def hold(lock_dir: Path, device: str):
    """Hold a GPU's lock as another job would: flock locks belong to an open file, so a
    second open of the same file conflicts even within one process."""
    lock_dir.mkdir(exist_ok=True)
    handle = (lock_dir / f"gpu{device}.lock").open("a")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def test_a_job_claims_a_free_gpu_and_sees_only_it(tmp_path: Path, fresh_process) -> None:
    other_job = hold(tmp_path, "0")
    assert claim_gpu(2, tmp_path) == "1"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"
    assert claim_gpu(2, tmp_path) == "1", "the next job in this worker keeps its GPU"
    other_job.close()
    for _device, handle in gpus._held:
        handle.close()  # this "process" ends: its GPU is free again
    gpus._held.clear()
    os.environ["CUDA_VISIBLE_DEVICES"] = "4,5,6"  # the machine's own restriction
    assert claim_gpu(2, tmp_path) == "4"


def test_no_free_gpu_is_one_clear_error(tmp_path: Path, fresh_process) -> None:
    held = [hold(tmp_path, device) for device in ("0", "1")]
    with pytest.raises(RuntimeError) as error:
        claim_gpu(2, tmp_path)
    assert str(error.value) == (
        f"all 2 GPUs (0, 1) are held by other jobs (locks in {tmp_path}); "
        "run at most 2 jobs at once (hydra.launcher.n_jobs)"
    )
    for handle in held:
        handle.close()


@pytest.mark.parametrize("count", [1, 3])
def test_gpus_launcher_runs_as_many_jobs_at_once_as_gpus(count: int) -> None:
    cfg = compose_config(["launcher=gpus", f"gpus={count}"], return_hydra_config=True)
    assert cfg.hydra.launcher.n_jobs == count and cfg.gpus == count
