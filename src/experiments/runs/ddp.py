"""Lightning DDP inside an in-process sweep: what one job must leave behind (nothing)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

# Set by Lightning's DDP launcher in the launching process, and read by the next Trainer.
DDP_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")


@contextmanager
def ddp_job_scope() -> Iterator[None]:
    """Leave no DDP state behind a job: its process group ends and the launcher's environment
    variables are restored. Without this the next job of an in-process sweep would take the
    variables for an external launch and wait forever for ranks that never come."""
    saved = {name: os.environ.get(name) for name in DDP_VARIABLES}
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
