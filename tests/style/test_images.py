"""The two images of a style transfer: scikit-learn's sample photos or files, scaled; a
missing or unreadable image is one message naming its key."""

from __future__ import annotations

from pathlib import Path

import PIL.Image
import pytest
import torch

from experiments.config.errors import ConfigError
from experiments.style import StyleImages
from experiments.style.images import read_image, save_png


def test_a_sample_photo_is_scaled_to_its_longer_side() -> None:
    image = read_image("sklearn:china.jpg", "dataset.content", 64)
    assert image.shape == (1, 3, 43, 64)  # 427 x 640 pixels, the aspect ratio kept
    assert image.dtype == torch.float32 and image.min() >= 0 and image.max() <= 1


def test_an_image_file_roundtrips_through_png(tmp_path: Path) -> None:
    image = torch.rand(1, 3, 10, 20, generator=torch.Generator().manual_seed(0))
    save_png(image, tmp_path / "out.png")
    again = read_image(str(tmp_path / "out.png"), "dataset.style", 20)
    assert torch.allclose(again, image, atol=0.5 / 255 + 1e-6)  # 8-bit rounding only


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("missing.jpg", "dataset.content: 'missing.jpg' is not a file; expected an image file (PNG, JPEG, ...) or one of sklearn:china.jpg, sklearn:flower.jpg"),
        ("sklearn:cat.jpg", "dataset.content: 'sklearn:cat.jpg' is not one of scikit-learn's sample photos; expected sklearn:china.jpg or sklearn:flower.jpg"),
    ],
)  # fmt: skip
def test_a_missing_image_says_what_was_expected(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        read_image(spec, "dataset.content", 32)
    assert error.value.problems == [message]


def test_an_unreadable_image_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.jpg").write_text("not an image")
    with pytest.raises(ConfigError, match=r"^dataset.style: cannot read '.*notes.jpg' as an image"):
        read_image(str(tmp_path / "notes.jpg"), "dataset.style", 32)


def test_style_images_reports_both_images_at_once(tmp_path: Path) -> None:
    PIL.Image.new("RGB", (30, 20), "red").save(tmp_path / "red.png")
    images = StyleImages("style_images", content="a.jpg", style="b.jpg")
    with pytest.raises(ConfigError) as error:
        images.load()
    assert [p.split(":")[0] for p in error.value.problems] == ["dataset.content", "dataset.style"]
    images = StyleImages("style_images", str(tmp_path / "red.png"), "sklearn:flower.jpg", 30, 16)
    shapes = images.load()
    assert (shapes.content, shapes.style) == ((20, 30), (11, 16))
    (batch,) = images.train_dataloader()
    assert batch is images.images and batch[0][0, :, 0, 0].tolist() == [1.0, 0.0, 0.0]


def test_a_size_that_is_no_number_of_pixels_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        StyleImages(
            "style_images", "sklearn:china.jpg", "sklearn:flower.jpg", size=0, style_size=2.5
        )
    assert error.value.problems == [
        "dataset.size: expected a positive number of pixels, got 0",
        "dataset.style_size: expected a positive number of pixels, got 2.5",
    ]
