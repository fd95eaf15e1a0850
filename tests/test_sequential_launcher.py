"""The default launcher runs a sweep's jobs one after another, as Hydra's, and keeps only a
lean return of each: a sweep of thousands of jobs does not hold thousands of configs."""

from __future__ import annotations

from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from experiments.config import compose_config
from experiments.runs.result import read_result, record_result
from hydra_plugins.experiments_launcher.sequential import lean_return, settled


def test_the_default_launcher_is_the_sequential_one() -> None:
    cfg = compose_config(["seed=1"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith("sequential.SequentialLauncher")
    parallel = compose_config(["launcher=parallel"], return_hydra_config=True)
    assert parallel.hydra.launcher._target_.endswith("ParallelLauncher")  # replaceable


def test_a_lean_return_keeps_what_sweepers_read_and_drops_the_configs() -> None:
    config = compose_config(["seed=1"], return_hydra_config=True)
    OmegaConf.set_struct(config, False)
    config.hydra.runtime.output_dir = "/sweep/seed=1"
    job = JobReturn(
        overrides=["seed=1"], cfg=config, hydra_cfg=config, working_dir="/here",
        task_name="train", status=JobStatus.COMPLETED, _return_value={"status": "done"},
    )  # fmt: skip
    lean = lean_return(job)
    assert lean.cfg is None
    assert OmegaConf.to_container(lean.hydra_cfg) == {
        "hydra": {"runtime": {"output_dir": "/sweep/seed=1"}}
    }
    assert (lean.overrides, lean.status, lean.return_value) == (
        ["seed=1"],
        JobStatus.COMPLETED,
        {"status": "done"},
    )
    assert (lean.working_dir, lean.task_name) == ("/here", "train")


def test_an_error_after_the_run_recorded_its_end_keeps_that_record(tmp_path) -> None:
    record_result(tmp_path, {"status": "done", "overrides": ["seed=1"]})
    job = JobReturn(
        overrides=["seed=1"], status=JobStatus.FAILED, _return_value=RuntimeError("late"),
        hydra_cfg=OmegaConf.create({"hydra": {"runtime": {"output_dir": str(tmp_path)}}}),
    )  # fmt: skip
    lean = settled(job, 3)
    assert lean.status == JobStatus.COMPLETED  # the sweep goes on; its summary reads the file
    assert lean.return_value["status"] == "done" == read_result(tmp_path)["status"]
