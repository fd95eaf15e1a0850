"""Batch-level image augmentation as tensor ops on the batch's device (no per-sample Python)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class RandomCropFlip:
    """Random translation and (optionally) horizontal flip of every image of a batch, the
    augmentation of fast CIFAR-10/MNIST training records (airbench): zero-pad by ``pad``
    pixels, cut a window of the original size at a random offset per image, then mirror
    half of the images when ``flip``.

    Runs where the batch is (GPU-resident data stays on the GPU) and draws its randomness
    from the generator it is given, so a seeded generator gives the same batches every run.

    Args:
        pad: the largest shift, in pixels, in each direction (0 disables cropping).
        flip: mirror left-right with probability 1/2. Leave it off for digits and text,
            where a mirrored image is another class or none.

    Raises:
        ValueError: a negative ``pad``.
    """

    pad: int = 2
    flip: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.pad, int) or self.pad < 0:
            raise ValueError(f"pad: expected pixels >= 0, got {self.pad!r}")

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``images`` (rows, channels, height, width) -> augmented images of the same shape,
        dtype and device."""
        if images.ndim != 4:
            raise ValueError(f"expected images (rows, channels, height, width), got {images.shape}")
        rows, _, height, width = images.shape
        device = images.device
        if self.pad:
            padded = F.pad(images, (self.pad,) * 4)
            shifts = torch.randint(
                0, 2 * self.pad + 1, (2, rows, 1), generator=generator, device=device
            )
            # Each row's window, as gather indices: (rows, height) and (rows, width).
            ys = torch.arange(height, device=device) + shifts[0]
            xs = torch.arange(width, device=device) + shifts[1]
            row_index = torch.arange(rows, device=device)[:, None, None]
            # Advanced indices around the channel slice put rows, y, x first; the permuted
            # result is NCHW in shape and channels-last in memory, which convolutions take as is.
            images = padded[row_index, :, ys[:, :, None], xs[:, None, :]].permute(0, 3, 1, 2)
        if self.flip:
            mirrored = torch.rand(rows, generator=generator, device=device) < 0.5
            images = torch.where(mirrored[:, None, None, None], images.flip(-1), images)
        return images
