"""Kernel SVMs as networks: fixed (untrained) kernel feature maps followed by a linear head.

The feature maps approximate the RBF kernel ``k(x, y) = exp(-gamma * ||x - y||^2)`` so that
a linear SVM on the features behaves like a kernel SVM on the inputs. Their parameters are
buffers: saved in checkpoints, moved with the module, never updated by the optimizer.
Random draws use torch's global generator, which the run seeds.

Because the maps are fixed, their outputs for an input seen before are reused
(`FixedFeatureMemo`): full-batch L-BFGS evaluates the same training batch ~25 times a
step, every epoch, and projecting 9,000 x 3,072 pixels onto 2,000 features costs a second
or more each time, while the linear head it trains costs milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from experiments.models.linear import LinearScores


def resolve_gamma(gamma: float | str, train_inputs: torch.Tensor | None) -> float:
    """``gamma`` as a number; ``"scale"`` means ``1 / (n_features * var(X))`` over the
    training inputs, as scikit-learn's SVC computes it.

    Raises:
        ValueError: ``"scale"`` without training inputs, another string, or gamma <= 0.
    """
    if gamma == "scale":
        if train_inputs is None:
            raise ValueError("gamma='scale' needs the training inputs")
        flat = train_inputs.flatten(1).double()
        return float(1.0 / (flat.shape[1] * flat.var(unbiased=False)))
    if isinstance(gamma, str) or gamma <= 0:
        raise ValueError(f"gamma must be a positive number or 'scale', got {gamma!r}")
    return float(gamma)


class FixedFeatureMemo:
    """The outputs of a fixed feature map for the last ``size`` input tensors it was given.

    An output is reused only for the very same input memory, unchanged, under the same
    map: the entry holds its input tensor (so that memory cannot be freed and given to
    another tensor while the entry lives), and the new input must have its address,
    shape, strides, dtype and device and the same version counter value (torch bumps it on
    every in-place change, through any view); the map's buffers must be the same tensors at
    the same versions (``load_state_dict`` and ``.to`` change one or the other). So a
    cached output equals a recomputed one, bit for bit. Not memoized: inputs that require
    gradients, and calls being compiled. Copies and pickles of the module start empty.
    (Changes made to an input outside torch, through a NumPy view, are not seen.)

    Args:
        size: entries kept, least recently used dropped first (the training batch, the
            validation batch and a test batch or two).
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.entries: list[
            tuple[torch.Tensor, int, tuple[tuple[torch.Tensor, int], ...], torch.Tensor]
        ] = []

    def __call__(
        self,
        inputs: torch.Tensor,
        state: tuple[torch.Tensor, ...],
        compute: Callable[[torch.Tensor], torch.Tensor],
    ) -> torch.Tensor:
        """``compute(inputs)``, or its output kept from an earlier call with the same
        ``inputs`` and map ``state`` (the map's buffers)."""
        if inputs.requires_grad or torch.compiler.is_compiling():
            return compute(inputs)
        versions = tuple((tensor, tensor._version) for tensor in state)
        for position, entry in enumerate(self.entries):
            if self._same_input(entry[0], entry[1], inputs) and self._same_state(
                entry[2], versions
            ):
                self.entries.append(self.entries.pop(position))
                return entry[3]
        outputs = compute(inputs)
        self.entries.append((inputs, inputs._version, versions, outputs))
        del self.entries[: -self.size]
        return outputs

    @staticmethod
    def _same_input(kept: torch.Tensor, version: int, inputs: torch.Tensor) -> bool:
        return (
            inputs.data_ptr() == kept.data_ptr()
            and inputs.shape == kept.shape
            and inputs.stride() == kept.stride()
            and inputs.dtype == kept.dtype
            and inputs.device == kept.device
            and inputs._version == version == kept._version
        )

    @staticmethod
    def _same_state(
        kept: tuple[tuple[torch.Tensor, int], ...], now: tuple[tuple[torch.Tensor, int], ...]
    ) -> bool:
        return len(kept) == len(now) and all(
            a is b and a_version == b_version
            for (a, a_version), (b, b_version) in zip(kept, now, strict=True)
        )

    def __getstate__(self) -> dict[str, Any]:
        return {"size": self.size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["size"])


class RandomFourierFeatures(nn.Module):
    """Rahimi & Recht's random Fourier features: ``sqrt(2 / D) * cos(x W + b)`` with
    ``W ~ N(0, 2 gamma)`` and ``b ~ U[0, 2 pi)``, so that features' dot products approximate
    the RBF kernel (scikit-learn's ``RBFSampler``)."""

    def __init__(self, in_features: int, n_features: int, gamma: float) -> None:
        super().__init__()
        self.register_buffer("weight", torch.randn(in_features, n_features) * math.sqrt(2 * gamma))
        self.register_buffer("offset", torch.rand(n_features) * 2 * math.pi)
        self.scale = math.sqrt(2.0 / n_features)
        self.memo = FixedFeatureMemo()

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.memo(inputs, (self.weight, self.offset), self._features)

    def _features(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.scale * torch.cos(inputs.flatten(1) @ self.weight + self.offset)


class NystroemFeatures(nn.Module):
    """Nyström features: ``k(x, landmarks) K_mm^{-1/2}`` for landmarks sampled from the
    training inputs, so that features' dot products approximate the RBF kernel on the span
    of the landmarks (scikit-learn's ``Nystroem``)."""

    def __init__(self, landmarks: torch.Tensor, gamma: float) -> None:
        super().__init__()
        landmarks = landmarks.flatten(1).float()
        self.gamma = gamma
        kernel = self._kernel_between(landmarks, landmarks).double()
        # K^{-1/2} through the eigendecomposition; tiny eigenvalues are clamped as in
        # scikit-learn (which uses the SVD and a floor of 1e-12).
        values, vectors = torch.linalg.eigh(kernel)
        inverse_root = vectors @ torch.diag(values.clamp_min(1e-12).rsqrt()) @ vectors.T
        self.register_buffer("landmarks", landmarks)
        self.register_buffer("normalization", inverse_root.float())
        self.memo = FixedFeatureMemo()

    def _kernel_between(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.exp(-self.gamma * torch.cdist(a, b).square())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.memo(inputs, (self.landmarks, self.normalization), self._features)

    def _features(self, inputs: torch.Tensor) -> torch.Tensor:
        return self._kernel_between(inputs.flatten(1), self.landmarks) @ self.normalization


class RandomFeaturesSVM(nn.Module):
    """RBF kernel SVM through random Fourier features: features, then a linear layer.

    Args:
        in_features: size of one flattened input (from the data).
        num_outputs: classes or regression targets (from the data).
        n_features: number of random features D; more approximates the kernel better.
        gamma: RBF width, a number or ``"scale"``.
        train_inputs: training inputs (from the data), used only for ``gamma="scale"``.
        two_classes: a two-class classification (from the data): a head of one weight row,
            as scikit-learn's (`experiments.models.linear.LinearScores`).
    """

    def __init__(
        self,
        in_features: int,
        num_outputs: int,
        n_features: int = 2000,
        gamma: float | str = "scale",
        train_inputs: torch.Tensor | None = None,
        two_classes: bool = False,
    ) -> None:
        super().__init__()
        self.features = RandomFourierFeatures(
            in_features, n_features, resolve_gamma(gamma, train_inputs)
        )
        self.head = LinearScores(n_features, num_outputs, two_classes=two_classes)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(inputs))


class NystroemSVM(nn.Module):
    """RBF kernel SVM through Nyström features on landmarks from the training split.

    Args:
        train_inputs: training inputs (from the data); ``n_components`` of them, drawn
            without replacement, become the landmarks.
        num_outputs: classes or regression targets (from the data).
        n_components: number of landmarks (all training rows when there are fewer).
        gamma: RBF width, a number or ``"scale"``.
        two_classes: a two-class classification (from the data): a head of one weight row,
            as scikit-learn's (`experiments.models.linear.LinearScores`).
    """

    def __init__(
        self,
        train_inputs: torch.Tensor,
        num_outputs: int,
        n_components: int = 1000,
        gamma: float | str = "scale",
        two_classes: bool = False,
    ) -> None:
        super().__init__()
        rows = torch.randperm(len(train_inputs))[:n_components]
        self.features = NystroemFeatures(train_inputs[rows], resolve_gamma(gamma, train_inputs))
        self.head = LinearScores(len(rows), num_outputs, two_classes=two_classes)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(inputs))
