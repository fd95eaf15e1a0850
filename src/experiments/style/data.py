"""`StyleImages`: the content photo and the style image of a style transfer, as the data of
a run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
import torch

from experiments.config.errors import ConfigError
from experiments.data.fingerprint import files_digest
from experiments.style.images import image_path, read_image

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class StyleShapes:
    """What a style transfer needs to know about its images: ``(height, width)`` of each."""

    content: tuple[int, int]
    style: tuple[int, int]

    kind = "image"
    task = "style transfer"


class StyleImages(pl.LightningDataModule):
    """Serves the content photo and the style image, scaled, as one batch ``(content,
    style)`` of ``(1, 3, height, width)`` tensors in [0, 1]: every training step (one per
    epoch) and the test step see the same two images. What is optimized is the output image,
    a parameter of the task (`experiments.style.StyleTransfer`), not this data.

    Args:
        name: short name in logs and results.
        content: the photo to repaint: an image file, or ``sklearn:china.jpg`` /
            ``sklearn:flower.jpg`` (photos that scikit-learn installs).
        style: the image whose style is taken (same choices).
        size: the longer side of the content photo, and so of the output, in pixels.
        style_size: the longer side of the style image in pixels; None: ``size``.
        shuffle_seed: taken as every data module takes it; two images have no order to
            shuffle.

    Raises:
        ConfigError: a size that is not a positive integer; from `load`, an image that is
            missing or unreadable (both images reported at once).
    """

    rows = "style images"  # not examples (what `ModelKind.check_data` reads)

    def __init__(
        self,
        name: str,
        content: str,
        style: str,
        size: int = 128,
        style_size: int | None = None,
        shuffle_seed: int = 0,
    ) -> None:
        super().__init__()
        problems = [
            f"dataset.{key}: expected a positive number of pixels, got {value!r}"
            for key, value in (("size", size), ("style_size", style_size))
            if value is not None
            and (not isinstance(value, int) or isinstance(value, bool) or value < 1)
        ]
        if problems:
            raise ConfigError(problems)
        self.name = name
        self.content, self.style = str(content), str(style)
        self.size, self.style_size = size, style_size or size
        self.images: Batch | None = None

    def fingerprint(self) -> dict[str, str]:
        """What the images are: the bytes of both files (`experiments.data.fingerprint`);
        part of the run's identity.

        Raises:
            ConfigError: an image file is missing (both reported at once).
        """
        files, problems = [], []
        for key, spec in (("content", self.content), ("style", self.style)):
            try:
                files.append(image_path(spec, f"dataset.{key}"))
            except ConfigError as error:
                problems += error.problems
        if problems:
            raise ConfigError(problems)
        # each image is its own root: the two may live in unrelated folders
        digests = "+".join(files_digest(file, [file])[:32] for file in files)
        return {"source": f"style:{self.content}+{self.style}", "rows": f"sha256-{digests}"}

    def load(self) -> StyleShapes:
        """Read and scale both images (once).

        Raises:
            ConfigError: every missing or unreadable image, at once.
        """
        images, problems = [], []
        for key, spec, size in (
            ("content", self.content, self.size),
            ("style", self.style, self.style_size),
        ):
            try:
                images.append(read_image(spec, f"dataset.{key}", size))
            except ConfigError as error:
                problems += error.problems
        if problems:
            raise ConfigError(problems)
        content, style = images
        self.images = (content, style)
        return StyleShapes(content=tuple(content.shape[-2:]), style=tuple(style.shape[-2:]))

    @property
    def tensors(self) -> dict[str, Batch]:
        """The splits as a run counts their rows (``result.json``'s ``rows``): the pair of
        images is trained on and scored (``train``, ``test``); there is no validation."""
        content, style = self._batch()
        return {
            "train": (content, style),
            "val": (content[:0], style[:0]),
            "test": (content, style),
        }

    def save_fitted(self, run_dir: Path, shapes: StyleShapes) -> None:
        """Nothing: no featurizer is fitted on two images (the run saves them with its
        output, `experiments.style.StyleKind`)."""

    def fitted_features(self) -> None:
        return None

    def train_dataloader(self) -> OneBatch:
        return OneBatch(self._batch())

    def test_dataloader(self) -> OneBatch:
        return OneBatch(self._batch())

    def _batch(self) -> Batch:
        if self.images is None:
            raise RuntimeError("StyleImages.load() must run before its batches are asked for")
        return self.images


class OneBatch:
    """An iterable of one batch (a list would be taken by Lightning for several loaders)."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    def __iter__(self) -> Iterator[Batch]:
        yield self.batch

    def __len__(self) -> int:
        return 1
