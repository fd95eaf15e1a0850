"""Batch augmentation on the device, and keeping the splits on the training device."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate

from experiments.config import config_options
from experiments.core import train
from experiments.data import RandomCropFlip, TensorBatches
from experiments.data import batches as batches_module

from ..conftest import compose_config


def images(rows: int = 6, channels: int = 2, side: int = 5) -> torch.Tensor:
    return torch.arange(rows * channels * side * side, dtype=torch.float32).reshape(
        rows, channels, side, side
    )


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_crop_flip_keeps_shape_and_is_seeded() -> None:
    augment = RandomCropFlip(pad=2, flip=True)
    first = augment(images(), seeded(0))
    assert first.shape == images().shape and first.dtype == torch.float32
    assert torch.equal(first, augment(images(), seeded(0)))
    assert not torch.equal(first, augment(images(), seeded(1)))


def test_crop_is_a_shift_with_zero_fill() -> None:
    batch = images(rows=50)
    out = RandomCropFlip(pad=1)(batch, seeded(0))
    for original, shifted in zip(batch, out, strict=True):
        matches = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if torch.equal(shifted, _shift(original, dy, dx))
        ]
        assert matches, "every output image is its input shifted by at most pad pixels"


def _shift(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    padded = torch.nn.functional.pad(image, (1, 1, 1, 1))
    side = image.shape[-1]
    return padded[:, 1 + dy : 1 + dy + side, 1 + dx : 1 + dx + side]


def test_nothing_to_do_is_identity_and_bad_pad_fails() -> None:
    assert torch.equal(RandomCropFlip(pad=0)(images(), seeded(0)), images())
    with pytest.raises(ValueError, match="pad"):
        RandomCropFlip(pad=-1)


def test_batches_augment_training_inputs_per_epoch_seed() -> None:
    def epoch(epoch: int) -> list[torch.Tensor]:
        loader = TensorBatches(
            images(rows=8), torch.arange(8), 4, shuffle=True, seed=0, augment=RandomCropFlip(2)
        )
        loader.sampler.set_epoch(epoch)
        return [inputs for inputs, _ in loader]

    assert all(torch.equal(a, b) for a, b in zip(epoch(0), epoch(0), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(epoch(0), epoch(1), strict=True))


def test_splits_move_to_the_device_only_when_they_fit(monkeypatch) -> None:
    splits = {"train": (torch.zeros(100, 4), torch.zeros(100))}  # 2000 bytes
    assert batches_module.on_device(splits, torch.device("cpu")) is splits
    monkeypatch.setattr(batches_module, "_free_memory", lambda device: 10_000)
    moved = batches_module.on_device(splits, torch.device("meta"))
    assert moved["train"][0].device.type == "meta"
    monkeypatch.setattr(batches_module, "_free_memory", lambda device: 3_000)
    assert batches_module.on_device(splits, torch.device("meta")) is splits


@pytest.mark.parametrize("on_device", [True, False])
def test_cnn_trains_with_crop_augmentation(make_cfg, tmp_path: Path, on_device: bool) -> None:
    cfg = make_cfg(
        "model=cnn",
        "+dataset/augment=crop",
        "dataset.augment.pad=1",
        f"+dataset.on_device={str(on_device).lower()}",
        "trainer.max_epochs=2",
    )
    result = train(cfg, tmp_path, [])
    assert result["status"] == "done" and result["metrics"]["test/acc"] > 0.5


@pytest.mark.parametrize("option", config_options("dataset/augment"))
def test_augment_option_composes_and_instantiates(option: str) -> None:
    cfg = compose_config([f"+dataset/augment={option}"])
    augment = instantiate(cfg.dataset).augment
    assert augment(images(), seeded(0)).shape == images().shape
