"""What one job asks SLURM for, read from the run's config, and whether a partition has it.

Lightning under SLURM takes its ranks from SLURM's tasks: a DDP run needs exactly
``trainer.devices`` tasks on each of ``trainer.num_nodes`` nodes, and each task needs the
CPUs its torch threads use. Users set those once, on the trainer and ``threads``; the
launcher keys stay null and follow them.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from experiments.config.errors import ConfigError
from hydra_plugins.experiments_slurm_launcher.cluster import Partition

FOLLOWED = {"nodes": "trainer.num_nodes", "tasks_per_node": "trainer.devices"}


def job_request(cfg: DictConfig, launcher: dict[str, Any]) -> dict[str, int]:
    """``nodes``, ``tasks_per_node`` and ``cpus_per_task`` for a run of ``cfg``: from the
    trainer and ``threads``, or the launcher's own value where it sets one.

    Raises:
        ConfigError: a DDP run whose process count is unknown (``devices=-1`` without
            ``gpus_per_node``), or a launcher value that contradicts the trainer.
    """
    trainer = cfg.trainer
    distributed = "ddp" in str(trainer.get("strategy") or "")
    devices = trainer.get("devices", 1)
    if not distributed:
        tasks = 1
    elif isinstance(devices, int) and devices > 0:
        tasks = devices
    elif launcher.get("gpus_per_node"):
        tasks = launcher["gpus_per_node"]
    else:
        raise ConfigError(
            f"trainer.devices={devices}: under launcher=slurm a DDP run needs its process count "
            "per node: set trainer.devices=N (or hydra.launcher.gpus_per_node=N for GPUs)"
        )
    request = {
        "nodes": trainer.get("num_nodes", 1) if distributed else 1,
        "tasks_per_node": tasks,
        "cpus_per_task": cfg.threads,
    }
    problems = []
    for key, value in request.items():
        given = launcher.get(key)
        if given is None:
            continue
        if distributed and key in FOLLOWED and given != value:
            problems.append(
                f"hydra.launcher.{key}={given} but {FOLLOWED[key]}={value}: Lightning runs one "
                f"SLURM task per process; leave hydra.launcher.{key} unset (it follows "
                f"{FOLLOWED[key]})"
            )
        request[key] = given
    if problems:
        raise ConfigError(problems)
    return request


def unmet(request: dict[str, Any], partition: Partition) -> list[str]:
    """What in ``request`` (plus the launcher's ``mem_gb`` and ``gpus_per_node``) no node of
    ``partition`` has, each naming the setting to change; empty when it fits."""
    where = f"partition {partition.name}"
    problems = []
    cpus = request["tasks_per_node"] * request["cpus_per_task"]
    if cpus > partition.cpus:
        problems.append(
            f"{request['tasks_per_node']} task(s) per node (trainer.devices under DDP) x "
            f"{request['cpus_per_task']} CPU(s) per task (threads, or hydra.launcher."
            f"cpus_per_task) = {cpus} CPUs, but the largest node of {where} has "
            f"{partition.cpus}: lower threads or trainer.devices, or set hydra.launcher.partition"
        )
    if request["nodes"] > partition.nodes:
        problems.append(
            f"trainer.num_nodes={request['nodes']}, but {where} has {partition.nodes} node(s)"
        )
    mem_gb = request.get("mem_gb")
    if mem_gb and mem_gb * 1024 > partition.memory_mb:
        problems.append(
            f"hydra.launcher.mem_gb={mem_gb}, but the largest node of {where} has "
            f"{partition.memory_mb // 1024} GB: lower hydra.launcher.mem_gb (null takes the "
            "cluster's default)"
        )
    gpus = request.get("gpus_per_node") or 0
    if gpus > partition.gpus:
        problems.append(
            f"hydra.launcher.gpus_per_node={gpus}, but the nodes of {where} have "
            f"{partition.gpus} GPU(s): lower it, or set hydra.launcher.partition to a GPU partition"
        )
    return problems
