"""Images in and out of style transfer: read a photo (a file, or one that ships with
scikit-learn), scale it, and write tensors back as PNG files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import PIL.Image
import torch

from experiments.config.errors import ConfigError
from experiments.io.atomic import atomic_file

# ``sklearn:<name>``: the photos scikit-learn installs with itself (`load_sample_images`),
# so that examples and tests need no file of their own.
SAMPLE_PREFIX = "sklearn:"
SAMPLES = ("china.jpg", "flower.jpg")
# Where a style run keeps its images: the output, and the two inputs as the run scaled them.
OUTPUT, CONTENT, STYLE = (
    Path("images") / f"{name}.png" for name in ("stylized", "content", "style")
)


def image_path(spec: str, key: str) -> Path:
    """The file that ``spec`` names: a path, or ``sklearn:china.jpg`` / ``sklearn:flower.jpg``.

    Raises:
        ConfigError: an unknown sample, or no such file; named by ``key``.
    """
    if spec.startswith(SAMPLE_PREFIX):
        name = spec.removeprefix(SAMPLE_PREFIX)
        if name not in SAMPLES:
            raise ConfigError(
                f"{key}: '{spec}' is not one of scikit-learn's sample photos; expected "
                + " or ".join(SAMPLE_PREFIX + sample for sample in SAMPLES)
            )
        return Path(str(resources.files("sklearn.datasets.images") / name))
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"{key}: '{spec}' is not a file; expected an image file (PNG, JPEG, ...) or one of "
            + ", ".join(SAMPLE_PREFIX + sample for sample in SAMPLES)
        )
    return path


def read_image(spec: str, key: str, size: int) -> torch.Tensor:
    """The image ``spec`` names (see `image_path`) in RGB, scaled so that its longer side is
    ``size`` pixels (Lanczos; the aspect ratio kept), as a ``(1, 3, height, width)`` tensor of
    values in [0, 1].

    Raises:
        ConfigError: no such file, or a file that is not a readable image; named by ``key``.
    """
    path = image_path(spec, key)
    try:
        with PIL.Image.open(path) as opened:
            image = opened.convert("RGB")
    except (OSError, ValueError, PIL.Image.DecompressionBombError) as error:
        raise ConfigError(f"{key}: cannot read '{spec}' as an image ({error})") from error
    scale = size / max(image.size)
    width, height = (max(1, round(side * scale)) for side in image.size)
    image = image.resize((width, height), PIL.Image.Resampling.LANCZOS)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)
    return pixels.permute(2, 0, 1).unsqueeze(0).contiguous()


def to_pixels(image: torch.Tensor) -> np.ndarray:
    """A ``(1, 3, height, width)`` or ``(3, height, width)`` image of values in [0, 1] (values
    outside are clipped) as ``(height, width, 3)`` bytes."""
    values = image.detach().float().cpu().reshape(-1, *image.shape[-2:]).clamp(0, 1)
    return (values.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def save_png(image: torch.Tensor, path: Path) -> None:
    """Write ``image`` (see `to_pixels`) to ``path`` as PNG, atomically."""
    with atomic_file(path, "wb") as file:
        PIL.Image.fromarray(to_pixels(image)).save(file, format="PNG")
