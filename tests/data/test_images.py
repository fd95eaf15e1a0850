"""Image folders: channels from the data, sizes checked or resized, bad files named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image
import pytest
import torch

from experiments.config.errors import ConfigError
from experiments.data import ImageFeatures


def image_folder(root: Path, sizes=((6, 6),), mode: str = "L", per_class: int = 8) -> Path:
    """``root/<class>/<n>.png``: 'dark' and 'light' images, cycling through ``sizes``."""
    rng = np.random.default_rng(0)
    for label, level in (("dark", 40), ("light", 200)):
        (root / label).mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            height, width = sizes[n % len(sizes)]
            shape = (height, width) if mode == "L" else (height, width, 3)
            pixels = np.clip(rng.normal(level, 10, shape), 0, 255).astype(np.uint8)
            PIL.Image.fromarray(pixels, mode).save(root / label / f"{n}.png")
    return root


def imagefolder(make_data, root: Path, **features):
    return make_data(
        source="imagefolder", path=str(root), features=ImageFeatures(**features), val_size=0.25
    )


def test_imagefolder_channels_and_standardization(make_data, tmp_path: Path) -> None:
    data = imagefolder(make_data, image_folder(tmp_path / "img", mode="RGB"))
    shapes = data.load()
    assert shapes.in_shape == (3, 6, 6) and shapes.class_names == ("dark", "light")
    train = data.tensors["train"][0]
    assert np.allclose(train.mean(dim=(0, 2, 3)).numpy(), 0, atol=1e-4)
    # Channels last in memory, as decoded: the layout training batches keep (a faster CNN).
    assert train.is_contiguous(memory_format=torch.channels_last) and not train.is_contiguous()


def test_mixed_sizes_need_resize(make_data, tmp_path: Path) -> None:
    root = image_folder(tmp_path / "img", sizes=((6, 6), (6, 6), (6, 6), (9, 7)))
    with pytest.raises(
        ConfigError, match=r"differ in size \(most are 6x6; rows .*resize=\[height,width\]"
    ):
        imagefolder(make_data, root).load()
    shapes = imagefolder(make_data, root, resize=[5, 4]).load()
    assert shapes.in_shape == (1, 5, 4)


def test_unreadable_image_is_named(make_data, tmp_path: Path) -> None:
    root = image_folder(tmp_path / "img")
    (root / "dark" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(
        ConfigError, match=r"unreadable or missing images at rows \d+ \(.*broken.png\)"
    ):
        imagefolder(make_data, root).load()
