"""What a job asks SLURM for: tasks and CPUs follow the trainer and threads; a request no
node has names the setting to change."""

from __future__ import annotations

import pytest

from experiments.config.errors import ConfigError
from hydra_plugins.experiments_slurm_launcher.cluster import Partition, _gpus
from hydra_plugins.experiments_slurm_launcher.resources import job_request, unmet

from .conftest import compose_config

UNSET = {"nodes": None, "tasks_per_node": None, "cpus_per_task": None}
NODE = Partition(name="cpu", nodes=2, cpus=8, memory_mb=16000, gpus=0)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ([], {"nodes": 1, "tasks_per_node": 1, "cpus_per_task": 1}),
        (["threads=4"], {"nodes": 1, "tasks_per_node": 1, "cpus_per_task": 4}),
        (["trainer=ddp_cpu"], {"nodes": 1, "tasks_per_node": 2, "cpus_per_task": 1}),
        (["trainer=ddp_cpu", "+trainer.num_nodes=2", "trainer.devices=4"],
         {"nodes": 2, "tasks_per_node": 4, "cpus_per_task": 1}),
    ],
)  # fmt: skip
def test_request_follows_trainer_and_threads(overrides: list[str], expected: dict) -> None:
    assert job_request(compose_config(overrides), UNSET) == expected


def test_gpu_ddp_takes_its_tasks_from_gpus_per_node() -> None:
    cfg = compose_config(["trainer=ddp"])  # devices=-1: every GPU of the node
    assert job_request(cfg, UNSET | {"gpus_per_node": 4})["tasks_per_node"] == 4
    with pytest.raises(ConfigError, match=r"trainer\.devices=-1: .* set trainer\.devices=N"):
        job_request(cfg, UNSET)


def test_launcher_value_that_contradicts_the_trainer_is_refused() -> None:
    cfg = compose_config(["trainer=ddp_cpu"])
    with pytest.raises(ConfigError, match=r"tasks_per_node=1 but trainer\.devices=2"):
        job_request(cfg, UNSET | {"tasks_per_node": 1})
    assert job_request(cfg, UNSET | {"cpus_per_task": 3})["cpus_per_task"] == 3


def test_request_beyond_the_largest_node_names_each_setting() -> None:
    fits = {"nodes": 1, "tasks_per_node": 2, "cpus_per_task": 4, "mem_gb": 15}
    assert unmet(fits, NODE) == []
    problems = unmet(
        {"nodes": 3, "tasks_per_node": 2, "cpus_per_task": 8, "mem_gb": 64, "gpus_per_node": 1},
        NODE,
    )
    assert len(problems) == 4
    assert "= 16 CPUs, but the largest node of partition cpu has 8: lower threads" in problems[0]
    assert problems[1] == "trainer.num_nodes=3, but partition cpu has 2 node(s)"
    assert problems[2].startswith("hydra.launcher.mem_gb=64, but the largest node")
    assert problems[3].startswith("hydra.launcher.gpus_per_node=1, but the nodes")


def test_gpus_read_from_sinfo_gres() -> None:
    assert [_gpus(g) for g in ("(null)", "gpu:4", "gpu:a100:8(S:0-1)")] == [0, 4, 8]
