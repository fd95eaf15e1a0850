"""Convolutional nets for images of any size: a LeNet-style CNN and a small CIFAR-style ResNet."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


def _check_image_shape(in_shape: Sequence[int], model: str) -> None:
    if len(in_shape) != 3:
        raise ValueError(
            f"{model} needs images (channels, height, width), got inputs of shape {tuple(in_shape)}"
        )


class CNN(nn.Module):
    """LeNet-style: per stage two 3x3 conv + batch norm + ReLU, then 2x2 max pooling while the
    image is at least 8 pixels on a side; then a hidden linear layer and the output.

    Works for 8x8 and 28x28 single-channel and 32x32 RGB images alike: the number of pooled
    stages and the flattened size are derived from ``in_shape``.

    Args:
        in_shape: (channels, height, width), from the data.
        num_outputs: classes or regression targets, from the data.
        channels: output channels of each stage.
        hidden: width of the hidden linear layer.
        dropout: dropout before the output layer.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        num_outputs: int,
        channels: Sequence[int] = (32, 64),
        hidden: int = 128,
        dropout: float = 0.25,
    ) -> None:
        super().__init__()
        _check_image_shape(in_shape, "cnn")
        layers: list[nn.Module] = []
        width, side = in_shape[0], min(in_shape[1:])
        for out_channels in channels:
            layers += _conv_bn_relu(width, out_channels) + _conv_bn_relu(out_channels, out_channels)
            if side >= 8:
                layers.append(nn.MaxPool2d(2))
                side //= 2
            width = out_channels
        self.features = nn.Sequential(*layers)
        with torch.no_grad():
            flat = self.features(torch.zeros(1, *in_shape)).numel()
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_outputs),
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(inputs))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a residual connection (He et al., 2016)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn_relu(in_channels, out_channels, stride),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(inputs) + self.shortcut(inputs))


class ResNet(nn.Module):
    """A small CIFAR-style ResNet: a 3x3 stem, three stages of ``blocks_per_stage`` basic
    blocks with ``width``, 2x and 4x channels (stride 2 between stages), global average
    pooling and a linear output. ``blocks_per_stage=3`` is ResNet-20.

    Args:
        in_shape: (channels, height, width), from the data.
        num_outputs: classes or regression targets, from the data.
        width: channels of the first stage.
        blocks_per_stage: residual blocks per stage (depth = 6 * blocks_per_stage + 2).
    """

    def __init__(
        self, in_shape: Sequence[int], num_outputs: int, width: int = 16, blocks_per_stage: int = 2
    ) -> None:
        super().__init__()
        _check_image_shape(in_shape, "resnet")
        layers: list[nn.Module] = _conv_bn_relu(in_shape[0], width)
        channels = width
        for stage in range(3):
            out_channels = width * 2**stage
            for block in range(blocks_per_stage):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(BasicBlock(channels, out_channels, stride))
                channels = out_channels
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_outputs)]
        self.layers = nn.Sequential(*layers)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.layers(inputs)
