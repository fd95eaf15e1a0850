"""Small raster images for TensorBoard, drawn with Pillow: a run's confusion matrix and its
grid of test images. Pillow draws one in milliseconds where a matplotlib figure costs a
few tenths of a second, which every job of a sweep of short runs would pay."""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BLACK, WHITE, RED = (0, 0, 0), (255, 255, 255), (200, 0, 0)


@cache
def font(size: int = 12) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in font at ``size`` pixels (no font file needed)."""
    return ImageFont.load_default(size=size)


def text_width(text: str, size: int = 12) -> int:
    left, _, right, _ = font(size).getbbox(text)
    return int(right - left)


def centered_text(
    draw: ImageDraw.ImageDraw,
    center: tuple[float, float],
    text: str,
    fill: tuple[int, int, int] = BLACK,
    size: int = 12,
) -> None:
    """``text`` (one or more lines) centred on ``center``."""
    draw.multiline_text(center, text, fill=fill, font=font(size), anchor="mm", align="center")


def canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A white RGB image and a pen for it."""
    image = Image.new("RGB", (width, height), WHITE)
    return image, ImageDraw.Draw(image)


def as_array(image: Image.Image) -> np.ndarray:
    """(height, width, 3) uint8, what ``SummaryWriter.add_image(..., dataformats="HWC")``
    takes."""
    return np.asarray(image, dtype=np.uint8)
