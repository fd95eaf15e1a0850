"""Gatys et al.'s losses, as relative errors (experiments.style.losses)."""

from __future__ import annotations

import torch

from experiments.style.losses import content_loss, gram, style_loss, total_variation


def test_gram_is_the_mean_product_of_channels_over_positions_and_channels() -> None:
    features = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 1, 2)  # 2 channels, 2 positions
    expected = torch.tensor([[1 + 4, 3 + 8], [3 + 8, 9 + 16]]) / (2 * 2)
    assert torch.equal(gram(features)[0], expected)


def test_losses_are_relative_errors() -> None:
    generator = torch.Generator().manual_seed(0)
    target = torch.randn(1, 8, 5, 5, generator=generator) * 1e-3  # tiny features, as random VGG's
    assert content_loss(target, target) == 0
    assert torch.isclose(content_loss(torch.zeros_like(target), target), torch.tensor(1.0))
    assert torch.isclose(content_loss(2 * target, target), torch.tensor(1.0))
    grams = {"a": gram(target), "b": gram(2 * target)}
    assert style_loss({"a": target, "b": 2 * target}, grams) == 0
    # zero features miss both layers' Gram matrices entirely: relative error 1 each, mean 1
    zeros = torch.zeros_like(target)
    assert torch.isclose(style_loss({"a": zeros, "b": zeros}, grams), torch.tensor(1.0))


def test_total_variation_is_zero_for_a_flat_image_and_counts_both_directions() -> None:
    assert total_variation(torch.full((1, 3, 4, 4), 0.3)) == 0
    stripes = torch.zeros(1, 1, 2, 2)
    stripes[..., 1] = 1.0  # a step across, none down
    assert total_variation(stripes) == 1.0
    assert total_variation(stripes.transpose(-1, -2)) == 1.0
