from __future__ import annotations

import copy
import math

import pytest
import torch

from experiments.models import (
    CNN,
    NystroemFeatures,
    NystroemSVM,
    RandomFeaturesSVM,
    RandomFourierFeatures,
    ResNet,
    TextCNN,
)
from experiments.models.kernel_features import resolve_gamma


def rbf(a: torch.Tensor, b: torch.Tensor, gamma: float) -> torch.Tensor:
    return torch.exp(-gamma * torch.cdist(a, b).square())


@pytest.mark.parametrize("in_shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
@pytest.mark.parametrize("net_class", [CNN, ResNet])
def test_conv_nets_size_themselves_from_in_shape(net_class, in_shape) -> None:
    net = net_class(in_shape=in_shape, num_outputs=10)
    assert net(torch.zeros(2, *in_shape)).shape == (2, 10)


def test_conv_nets_refuse_flat_inputs() -> None:
    with pytest.raises(ValueError, match=r"cnn needs images .* shape \(10,\)"):
        CNN(in_shape=(10,), num_outputs=2)


def test_random_fourier_features_approximate_the_rbf_kernel() -> None:
    torch.manual_seed(0)
    inputs = torch.randn(20, 5)
    features = RandomFourierFeatures(5, 20_000, gamma=0.1)(inputs)
    error = (features @ features.T - rbf(inputs, inputs, 0.1)).abs().max()
    assert error < 0.05


def test_nystroem_features_are_exact_on_the_landmarks() -> None:
    torch.manual_seed(0)
    landmarks = torch.randn(30, 4)
    features = NystroemFeatures(landmarks, gamma=0.2)(landmarks)
    assert torch.allclose(features @ features.T, rbf(landmarks, landmarks, 0.2), atol=1e-4)


def test_kernel_features_are_fixed_buffers_saved_in_checkpoints() -> None:
    torch.manual_seed(0)
    net = RandomFeaturesSVM(in_features=6, num_outputs=3, n_features=50, gamma=0.5)
    trained = {name for name, _ in net.named_parameters()}
    assert trained == {"head.weight", "head.bias"}
    assert {"features.weight", "features.offset"} <= set(net.state_dict())
    nystroem = NystroemSVM(torch.randn(40, 6), num_outputs=3, n_components=10, gamma=0.5)
    assert {"features.landmarks", "features.normalization"} <= set(nystroem.state_dict())
    assert {name for name, _ in nystroem.named_parameters()} == {"head.weight", "head.bias"}


def test_random_draws_follow_the_seed() -> None:
    def draw(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        return RandomFeaturesSVM(4, 2, n_features=8, gamma=1.0).features.weight

    assert torch.equal(draw(1), draw(1)) and not torch.equal(draw(1), draw(2))


def test_gamma_scale_is_sklearns() -> None:
    inputs = torch.randn(100, 8, dtype=torch.float64) * 3
    expected = 1.0 / (8 * inputs.numpy().var())
    assert resolve_gamma("scale", inputs) == pytest.approx(expected)
    with pytest.raises(ValueError, match="gamma must be a positive number or 'scale'"):
        resolve_gamma("auto", inputs)


@pytest.mark.parametrize(
    "make_features",
    [
        lambda: RandomFourierFeatures(6, 40, gamma=0.5),
        lambda: NystroemFeatures(torch.randn(9, 6), 0.5),
    ],
    ids=["random_fourier", "nystroem"],
)
def test_fixed_features_of_the_same_unchanged_input_are_computed_once(make_features) -> None:
    torch.manual_seed(0)
    features, inputs = make_features(), torch.randn(12, 6)
    first = features(inputs)
    assert features(inputs) is first  # kept
    assert features(inputs[:]) is first  # a view of the same memory: the same rows
    assert torch.equal(features(inputs.clone()), first)  # other memory: recomputed, equal
    assert features(inputs[:6]) is not first
    inputs.add_(1.0)  # changed in place: recomputed
    changed = features(inputs)
    assert changed is not first and torch.equal(changed, features._features(inputs))
    other = make_features()
    features.load_state_dict(other.state_dict())  # another map: recomputed
    assert torch.equal(features(inputs), other(inputs))
    assert copy.deepcopy(features).memo.entries == []
    assert features(inputs.requires_grad_()) is not features(inputs)


def test_nystroem_with_fewer_rows_than_components_uses_every_row() -> None:
    net = NystroemSVM(torch.randn(7, 3), num_outputs=2, n_components=100, gamma=1.0)
    assert net.head.in_features == 7


def test_text_cnn_scores_token_sequences_of_any_length() -> None:
    net = TextCNN(vocab_size=50, num_outputs=2)
    for length in (3, 40):
        tokens = torch.randint(1, 50, (4, length))
        assert net(tokens).shape == (4, 2)
    assert not math.isnan(float(net(torch.zeros(2, 5, dtype=torch.long)).sum().detach()))
