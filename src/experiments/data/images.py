"""Images to float tensors (rows, channels, height, width), standardized per channel with
statistics of the train split."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import PIL.Image
import torch
from datasets import Dataset, Image

from experiments.config.errors import ConfigError
from experiments.data.checks import row_list


@dataclass
class ImageFeatures:
    """Featurizer for an image column (`datasets.Image`: files or bytes) or a fixed-shape
    array column (e.g. the built-in digits).

    Args:
        image_column: the column holding the images.
        resize: ``[height, width]`` every image is resized to; None keeps the sizes, which
            must then all agree.

    The channel count comes from the data: the most common mode of the train images
    (grayscale 1, RGB 3); other images are converted to it.
    """

    image_column: str = "image"
    resize: list[int] | None = None
    kind: ClassVar[str] = "image"
    handles_missing: ClassVar[bool] = True
    # Fitted on the train split by `fit_transform`: PIL mode, (channels, height, width),
    # per-channel mean and std.
    mode: str | None = field(default=None, init=False)
    shape: tuple[int, ...] | None = field(default=None, init=False)
    mean: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    std: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.resize is not None:
            self.resize = [int(size) for size in self.resize]
            if len(self.resize) != 2 or min(self.resize) < 1:
                raise ConfigError(
                    f"dataset.features.resize: expected [height, width] in pixels, got {self.resize}"
                )

    def columns(self, available: list[str], target: str) -> list[str]:
        return [self.image_column]

    def fit_transform(self, train: Dataset) -> torch.Tensor:
        """Decode the train split, fit the per-channel mean and std on it; its features."""
        self.mode = None  # set from the train images by `_decode`
        array = self._array(train, "train")
        # Array columns (the built-in digits) have no PIL mode: new image files take the
        # train data's channel count.
        self.mode = self.mode or ("L" if array.shape[1] == 1 else "RGB")
        self.shape = array.shape[1:]
        self.mean = array.mean(axis=(0, 2, 3), keepdims=True)
        self.std = (
            array.std(axis=(0, 2, 3), keepdims=True) + 1e-6
        )  # a constant channel stays finite
        return self._standardize(array)

    def fitted_state(self) -> dict[str, Any]:
        """What `fit_transform` learned (see `experiments.data.fitted`)."""
        return {"mode": self.mode, "shape": list(self.shape), "mean": self.mean, "std": self.std}

    def restore(self, state: dict[str, Any]) -> None:
        self.mode, self.shape = state["mode"], tuple(int(n) for n in state["shape"])
        self.mean, self.std = np.asarray(state["mean"]), np.asarray(state["std"])

    def transform(self, rows: Dataset, name: str) -> torch.Tensor:
        """Features of any rows (a split, or new images) with the train statistics.

        Raises:
            ConfigError: an unreadable image, or a size other than the train images'.
        """
        array = self._array(rows, name)
        if array.shape[1:] != self.shape:
            height, width = self.shape[1:]
            raise ConfigError(
                f"dataset.features.image_column '{self.image_column}': images of split "
                f"'{name}' are {array.shape[2]}x{array.shape[3]} pixels, the train split's "
                f"{height}x{width}; resize them to {height}x{width}, or train with "
                "dataset.features.resize=[height,width]"
            )
        return self._standardize(array)

    def conform(self, images: list[PIL.Image.Image]) -> tuple[list[PIL.Image.Image], list[str]]:
        """New photos (to predict) made like the train images: converted to their mode and
        resized to their size, as training resizes (`resize`, bilinear), so that a photo of
        any size fits the model.

        Returns:
            The photos, and a note for each change a user should hear of: photos resized,
            grayscale photos made colour (or colour ones grayscale). Colour modes such as
            RGBA and palettes become RGB without a note.
        """
        height, width = self.shape[1:]
        notes = []
        changed = [image for image in images if _channels_mode(image) != self.mode]
        if changed:
            made, was = ("RGB", "grayscale") if self.mode == "RGB" else ("grayscale", "colour")
            notes.append(
                f"converted {_count(changed, images)} from {was} to {made}: the model was "
                f"trained on {made} images"
            )
        images = [
            image if image.mode == self.mode else image.convert(self.mode) for image in images
        ]
        resized = [image for image in images if image.size != (width, height)]
        if resized:
            notes.append(
                f"resized {_count(resized, images)} to {height}x{width} pixels, the size of "
                "the model's training images (bilinear, as in training)"
            )
        return [
            image.resize((width, height), PIL.Image.Resampling.BILINEAR) for image in images
        ], notes

    def pixels(self, features: torch.Tensor) -> np.ndarray:
        """Features back to pixel values (rows, channels, height, width), as the images were
        decoded: the inverse of the standardization, to show the images."""
        return features.detach().cpu().numpy() * self.std + self.mean

    def _standardize(self, array: np.ndarray) -> torch.Tensor:
        # numpy keeps `_channels_first`'s memory order, so the tensor is channels-last.
        return torch.from_numpy(((array - self.mean) / self.std).astype(np.float32))

    def shape_info(self) -> dict[str, int]:
        return {}

    def _array(self, split: Dataset, name: str) -> np.ndarray:
        if not isinstance(split.features[self.image_column], Image):
            # fixed-shape arrays: decoded by `datasets` in one go
            values = split.with_format("numpy", columns=[self.image_column])[:][self.image_column]
            return _channels_first(np.asarray(values, dtype=np.float32))
        images = self._decode(split.cast_column(self.image_column, Image(decode=False)), name)
        if self.resize is not None:
            height, width = self.resize
            images = [
                image.resize((width, height), PIL.Image.Resampling.BILINEAR) for image in images
            ]
        sizes = Counter(image.size for image in images)
        if len(sizes) > 1:
            common = sizes.most_common(1)[0][0]
            odd = [row for row, image in enumerate(images) if image.size != common]
            raise ConfigError(
                f"dataset.features.image_column '{self.image_column}': images of split "
                f"'{name}' differ in size (most are {common[0]}x{common[1]}; rows "
                f"{row_list(odd)} are not); set dataset.features.resize=[height,width]"
            )
        return _channels_first(np.stack([np.asarray(image, dtype=np.float32) for image in images]))

    def _decode(self, split: Dataset, name: str) -> list[PIL.Image.Image]:
        """PIL images in one mode (the train split's most common one); every unreadable or
        missing image is reported at once, by row and file."""
        images, bad = [], []
        for row, cell in enumerate(split[self.image_column]):
            try:
                if cell is None:
                    raise ValueError("no image")
                source = io.BytesIO(cell["bytes"]) if cell.get("bytes") else cell["path"]
                image = PIL.Image.open(source)
                image.load()
                images.append(image)
            except PIL.Image.DecompressionBombError as error:  # not an OSError
                bad.append(f"{row} ({(cell or {}).get('path') or 'bytes'}: {error})")
            except (OSError, ValueError) as error:
                bad.append(f"{row} ({(cell or {}).get('path') or error})")
        if bad:
            raise ConfigError(
                f"dataset.features.image_column '{self.image_column}': split '{name}' has "
                f"unreadable or missing images at rows {', '.join(bad[:10])}"
                + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
            )
        if self.mode is None:  # set on the train split, which is decoded first
            self.mode = Counter(_channels_mode(image) for image in images).most_common(1)[0][0]
        return [image if image.mode == self.mode else image.convert(self.mode) for image in images]


def _channels_mode(image: PIL.Image.Image) -> str:
    """``L`` for grayscale-like modes, ``RGB`` for everything in colour."""
    return "L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB"


def _count(some: list[PIL.Image.Image], of: list[PIL.Image.Image]) -> str:
    """``1 photo``, ``3 photos``, ``1 of 2 photos``."""
    if len(some) < len(of):
        return f"{len(some)} of {len(of)} photos"
    return f"{len(some)} photo" + ("s" if len(some) > 1 else "")


def _channels_first(values: np.ndarray) -> np.ndarray:
    """Decoded images (rows, height, width[, channels]) as (rows, channels, height, width),
    their memory left channels-last (a transposed view, not a copy): batches cut from them
    stay so (`experiments.data.batches.take_rows`), and a CNN trains ~14 % faster on such
    batches on a CPU."""
    return values[:, None] if values.ndim == 3 else values.transpose(0, 3, 1, 2)
