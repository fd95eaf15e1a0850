"""`prepare_torch`: the process-wide PyTorch settings a run starts with;
`torch_settings_kept`: the caller's, back after a run in its process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.utils.deterministic


def prepare_torch(threads: int, seed: int) -> None:
    """Set the thread count, seed every generator (python, numpy, torch, data workers), and
    keep deterministic algorithms (``trainer.deterministic``) from filling new tensors.

    Under deterministic algorithms PyTorch also fills every new tensor's memory, against ops
    that would read it uninitialized (a bug of the op); valid ops give the same numbers
    without it (PyTorch's docs), and it cost a cats-vs-dogs CNN step on a CPU 9 % (0.518
    against 0.472 s, measured). A function of its own, not inline in a script: cloudpickle
    (submitit) cannot pickle that module's object, which a script's function referring to it
    would carry.
    """
    import pytorch_lightning as pl  # here: `torch_settings_kept`'s importers need no Lightning

    torch.set_num_threads(threads)
    torch.utils.deterministic.fill_uninitialized_memory = False
    pl.seed_everything(seed, workers=True, verbose=False)


@contextmanager
def torch_settings_kept() -> Iterator[None]:
    """Restore, after the block, the process-wide torch settings a run changes (`prepare_torch`,
    and the Trainer's ``deterministic`` and ``benchmark``): the thread count, deterministic
    algorithms (and their warn-only mode and memory filling), cuDNN's benchmark and
    deterministic flags, and the float32 matmul precision. For runs inside a caller's
    process (`experiments.run`), whose own work goes on as it was set."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    fill = torch.utils.deterministic.fill_uninitialized_memory
    cudnn = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    precision = torch.get_float32_matmul_precision()
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.utils.deterministic.fill_uninitialized_memory = fill
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = cudnn
        torch.set_float32_matmul_precision(precision)
