"""Turn columns of a Hugging Face split into float tensors; statistics come from train only."""

from __future__ import annotations

import numpy as np
import torch
from datasets import Dataset


def image_array(split: Dataset, column: str) -> np.ndarray:
    """Images of one split as ``float32`` of shape (rows, channels, height, width).

    Accepts fixed-shape array columns and image columns, both decoded by `datasets` to
    numpy: 2-D per row is one channel; 3-D is (height, width, channels).
    """
    values = np.asarray(split.with_format("numpy", columns=[column])[:][column], dtype=np.float32)
    if values.ndim == 3:
        return values[:, None, :, :]
    return np.ascontiguousarray(values.transpose(0, 3, 1, 2))


class ChannelStandardizer:
    """Per-channel standardization with mean and std measured on the training images."""

    def fit(self, images: np.ndarray) -> ChannelStandardizer:
        self.mean = images.mean(axis=(0, 2, 3), keepdims=True)
        self.std = images.std(axis=(0, 2, 3), keepdims=True) + 1e-6
        return self

    def transform(self, images: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(((images - self.mean) / self.std).astype(np.float32))
