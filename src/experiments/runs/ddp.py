"""Lightning DDP inside an in-process sweep: what one job must leave behind (nothing)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch

# Set by Lightning's DDP launcher in the launching process, and read by the next Trainer.
DDP_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")


@contextmanager
def ddp_job_scope(exported: Mapping[str, str]) -> Iterator[None]:
    """Export ``exported`` for the job's DDP child processes (`runs.reentry.child_environment`)
    and leave no DDP state behind the job: its process group ends and every variable it or
    the launcher set is restored. Without this the next job of an in-process sweep would take
    the variables for an external launch and wait forever for ranks that never come."""
    saved = {name: os.environ.get(name) for name in (*DDP_VARIABLES, *exported)}
    os.environ.update(exported)
    try:
        yield
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
