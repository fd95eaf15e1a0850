"""`StyleTransfer`: the LightningModule whose one parameter is the image being painted, and
`LogImages`, the callback that shows it in TensorBoard as it changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytorch_lightning as pl
import torch
from torch import nn

from experiments.style.data import Batch
from experiments.style.features import FeatureNetwork
from experiments.style.losses import LossWeights, content_loss, gram, style_loss, total_variation
from experiments.tasks.loggers import image_writers

INITS = ("content", "noise")
LOSSES = ("loss", "content_loss", "style_loss", "tv_loss")
# The final image's style loss over the first image's: how far the style was matched.
STYLE_RATIO = "style_ratio"


def first_image(content: torch.Tensor, init: str, seed: int) -> torch.Tensor:
    """Where the optimization starts: a copy of the content photo, or uniform noise in [0, 1]
    of its size drawn from ``seed``."""
    if init == "content":
        return content.clone()
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(content.shape, generator=generator)


class StyleTransfer(pl.LightningModule):
    """Optimizes an image so that its features in ``features`` match the content photo's at
    ``content_layer`` and its Gram matrices match the style image's at ``style_layers``
    (Gatys et al. 2016); the feature network is frozen. Each training step (one per epoch:
    the batch is the two images, `experiments.style.StyleImages`) is one optimizer step:
    up to ``max_iter`` evaluations with L-BFGS, one with Adam.

    Logs ``train/loss`` (the weighted total), ``train/content_loss``, ``train/style_loss``
    and ``train/tv_loss`` of the image at the start of each step, and at the test step those
    of the final image under ``test/``, with ``test/style_ratio``: its style loss over the
    first image's.

    Args:
        features: the frozen feature network (`experiments.style.build_features`).
        start: the first image, ``(1, 3, height, width)`` in [0, 1] (`first_image`).
        content_layer: the layer of the content loss.
        style_layers: the layers of the style loss.
        weights: the weights of the losses in the total.
        optimizer: builds the optimizer from the parameters (a Hydra partial).
    """

    def __init__(
        self,
        features: FeatureNetwork,
        start: torch.Tensor,
        content_layer: str,
        style_layers: Sequence[str],
        weights: LossWeights,
        optimizer: Callable[..., torch.optim.Optimizer],
    ) -> None:
        super().__init__()
        self.features = features
        self.image = nn.Parameter(start.clone())
        self.content_layer = content_layer
        self.style_layers = list(style_layers)
        self.weights = weights
        self.optimizer_factory = optimizer
        self._targets: tuple[torch.Tensor, dict[str, torch.Tensor]] | None = None
        self._first_style_loss: torch.Tensor | None = None
        self._logged_step = -1

    def picture(self) -> torch.Tensor:
        """The image as it stands, ``(3, height, width)`` in [0, 1] (values outside clipped),
        on the CPU."""
        return self.image.detach()[0].float().clamp(0, 1).cpu()

    def targets(self, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The content photo's features at the content layer and the style image's Gram
        matrices at the style layers; computed at the first step, then kept."""
        if self._targets is None:
            content, style = batch
            with torch.no_grad():
                content_features = self.features(content)[self.content_layer]
                style_features = self.features(style)
                grams = {layer: gram(style_features[layer]) for layer in self.style_layers}
            self._targets = (content_features, grams)
        return self._targets

    def losses(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The image's losses (`LOSSES`) against the batch's content photo and style image."""
        content_target, style_targets = self.targets(batch)
        features = self.features(self.image)
        content = content_loss(features[self.content_layer], content_target)
        style = style_loss(features, style_targets)
        tv = total_variation(self.image)
        total = self.weights.total(content, style, tv)
        return {"loss": total, "content_loss": content, "style_loss": style, "tv_loss": tv}

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        losses = self.losses(batch)
        # L-BFGS evaluates the losses many times per step: log the first, the image's at the
        # start of the step, as Adam's one evaluation is.
        if self.global_step != self._logged_step:
            self._logged_step = self.global_step
            if self._first_style_loss is None:
                self._first_style_loss = losses["style_loss"].detach()
            self._log("train", losses)
        return losses["loss"]

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        losses = self.losses(batch)
        first = self._first_style_loss
        if first is not None:  # the image trained: how far its style loss fell
            losses[STYLE_RATIO] = losses["style_loss"] / first.clamp_min(1e-30)
        self._log("test", losses)

    def _log(self, stage: str, losses: dict[str, torch.Tensor]) -> None:
        values = {f"{stage}/{name}": value.detach() for name, value in losses.items()}
        self.log_dict(values, on_step=False, on_epoch=True, batch_size=1)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.optimizer_factory([self.image])


class LogImages(pl.Callback):
    """The image into TensorBoard (``style/output``: the IMAGES tab shows the runs of a sweep
    side by side, with a slider over the steps) at the start of every ``every``-th step, and
    the content photo and the style image once (``style/content``, ``style/style``). The
    final image is logged by the kind, after the last step.

    Args:
        every: steps between two images; 0: the first and the final image only.
    """

    def __init__(self, every: int) -> None:
        self.every = every

    def on_train_start(self, trainer: pl.Trainer, pl_module: StyleTransfer) -> None:
        content, style = trainer.datamodule.images
        for writer in image_writers(trainer.loggers):
            writer.add_image("style/content", content[0], 0)
            writer.add_image("style/style", style[0], 0)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: StyleTransfer) -> None:
        step = trainer.global_step
        if step == 0 or (self.every and step % self.every == 0):
            for writer in image_writers(trainer.loggers):
                writer.add_image("style/output", pl_module.picture(), step)
