"""The losses of Gatys, Ecker and Bethge (2016), "Image style transfer using convolutional
neural networks": content (features of one deep layer), style (Gram matrices of several
layers) and, optionally, total variation.

One difference from the paper: the content loss and each layer's style loss are relative
squared errors, divided by the mean square of their target, where Gatys et al. divide sums of
squared errors by constants of the layer's size. The losses are then of order 1 for any
feature network (VGG-19's features with random weights are thousands of times smaller than
with ImageNet weights), so that the same weights suit every network and L-BFGS's tolerances
mean the same; the paper's ratios of content to style weight do not carry over.

Computed in float32 whatever the features' precision (bf16 autocast on a GPU): a Gram matrix
sums over every position of a layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def gram(features: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of ``(batch, channels, height, width)`` features, normalized by the
    number of entries: ``(batch, channels, channels)``, entry ``(i, j)`` the mean over
    positions of the product of channels ``i`` and ``j``, divided by ``channels``. Normalized
    so that layers of different sizes, and style images of other sizes than the content,
    weigh alike."""
    batch, channels, height, width = features.shape
    flat = features.float().reshape(batch, channels, height * width)
    return flat @ flat.transpose(1, 2) / (channels * height * width)


def relative_error(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of ``value`` and ``target`` over the mean square of
    ``target``: 0 for the target itself, 1 for zeros."""
    target = target.float()
    return F.mse_loss(value.float(), target) / target.square().mean().clamp_min(1e-30)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The relative error of the image's features against the content photo's."""
    return relative_error(features, target)


def style_loss(features: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean over the style layers (``targets``' keys: each weighs the same, as in Gatys et al.)
    of the relative error of the image's Gram matrix against the style image's."""
    losses = [relative_error(gram(features[layer]), target) for layer, target in targets.items()]
    return torch.stack(losses).mean()


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels, across and down: what smooths the
    output when it has weight."""
    image = image.float()
    across = (image[..., :, 1:] - image[..., :, :-1]).square().mean()
    down = (image[..., 1:, :] - image[..., :-1, :]).square().mean()
    return across + down


@dataclass(frozen=True)
class LossWeights:
    """The weights of the three losses in the total; non-negative."""

    content: float
    style: float
    tv: float

    def total(self, content: torch.Tensor, style: torch.Tensor, tv: torch.Tensor) -> torch.Tensor:
        return self.content * content + self.style * style + self.tv * tv
