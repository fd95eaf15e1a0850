"""Batches as slices of in-memory tensors: no per-sample `__getitem__`, no worker processes."""

from __future__ import annotations

from collections.abc import Iterator

import torch


class EpochPermutation:
    """A seeded permutation of ``range(n)`` that changes with the epoch, like
    `torch.utils.data.DistributedSampler`: order = f(seed, epoch), so a resumed run sees the
    same order as an uninterrupted one, and every rank draws the same permutation and keeps
    its own stride of it.

    Lightning calls `set_epoch` at the start of every training epoch (it looks for a
    ``sampler`` attribute on the loader), which is why `TensorBatches` exposes this object
    as ``sampler``.
    """

    def __init__(self, n: int, seed: int, rank: int = 0, world_size: int = 1) -> None:
        self.n = n
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def indices(self, device: torch.device) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        order = torch.randperm(self.n, generator=generator)
        return order[self.rank :: self.world_size].to(device)


class TensorBatches:
    """Iterates over ``(inputs, targets)`` batches sliced from tensors held in memory.

    Args:
        inputs: all inputs of the split, first dimension = rows.
        targets: all targets of the split, same number of rows.
        batch_size: rows per batch; the last batch may be smaller unless ``drop_last``.
        shuffle: draw a new seeded permutation each epoch (training) or keep row order.
        seed: seed of the permutation.
        drop_last: drop a last batch smaller than ``batch_size``.
    """

    def __init__(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        batch_size: int,
        shuffle: bool,
        seed: int = 0,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if len(inputs) != len(targets):
            raise ValueError(f"inputs have {len(inputs)} rows but targets {len(targets)}")
        self.inputs = inputs
        self.targets = targets
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.sampler = EpochPermutation(len(inputs), seed, rank, world_size)
        # Lightning inspects loaders like torch DataLoaders: ``sampler`` gets `set_epoch`
        # calls, and ``batch_sampler`` must exist.
        self.batch_sampler = None

    def _rows(self) -> int:
        return len(range(self.sampler.rank, self.sampler.n, self.sampler.world_size))

    def __len__(self) -> int:
        rows = self._rows()
        if self.drop_last:
            return rows // self.batch_size
        return -(-rows // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.shuffle:
            order = self.sampler.indices(self.inputs.device)
            for start in range(0, len(self) * self.batch_size, self.batch_size):
                rows = order[start : start + self.batch_size]
                yield self.inputs[rows], self.targets[rows]
        else:
            rank, world = self.sampler.rank, self.sampler.world_size
            inputs, targets = self.inputs[rank::world], self.targets[rank::world]
            for start in range(0, len(self) * self.batch_size, self.batch_size):
                yield (
                    inputs[start : start + self.batch_size],
                    targets[start : start + self.batch_size],
                )
