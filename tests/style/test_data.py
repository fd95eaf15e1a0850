"""The identity of a style transfer's data: the bytes of its two images, wherever they are."""

from __future__ import annotations

import os
from pathlib import Path

import PIL.Image
import pytest

from experiments.config.errors import ConfigError
from experiments.style import StyleImages


def test_the_fingerprint_follows_the_bytes_of_both_images(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    content, style = tmp_path / "a" / "photo.png", tmp_path / "b" / "painting.png"
    PIL.Image.new("RGB", (8, 8), "red").save(content)
    PIL.Image.new("RGB", (8, 8), "blue").save(style)
    first = StyleImages("style_images", str(content), str(style)).fingerprint()
    os.utime(style, (1, 1))  # a touch is no new data
    assert StyleImages("style_images", str(content), str(style)).fingerprint() == first
    PIL.Image.new("RGB", (8, 8), "green").save(style)
    assert StyleImages("style_images", str(content), str(style)).fingerprint() != first


def test_the_fingerprint_names_a_missing_image() -> None:
    with pytest.raises(ConfigError) as error:
        StyleImages("style_images", "nowhere.png", "sklearn:flower.jpg").fingerprint()
    assert [p.split(":")[0] for p in error.value.problems] == ["dataset.content"]
