"""Feature networks for style transfer: VGG-19 (Simonyan and Zisserman 2015), with random
weights or ImageNet weights, and the convolutional part of a CNN that this framework trained.

Layers are named as Gatys et al. name VGG-19's: a stage ends at a pooling layer, and in stage
``s`` the ``i``-th convolution is ``conv<s>_<i>``, its batch norm ``bn<s>_<i>`` and its ReLU
``relu<s>_<i>``; the pooling layer is ``pool<s>``. VGG-19 has ``conv1_1`` to ``relu5_4``; the
framework's ``cnn`` (two stages by default) ``conv1_1`` to ``relu2_2``.

Weights:

- **random**: VGG-19 initialized as torchvision initializes it (He et al. 2015), from the run's
  seed; no download. He, Wang and Hopcroft (2016) showed that such features still carry
  texture and style.
- **imagenet**: torchvision's ImageNet weights of VGG-19 (548 MB), downloaded once into torch's
  hub cache by `torch.hub.load_state_dict_from_url`, the function torchvision's own
  ``VGG19_Weights.IMAGENET1K_V1.get_state_dict()`` calls, from the same address.
- **a file**: the same weights saved by torchvision (``vgg19-dcbb9e9d.pth``, or
  ``torchvision.models.vgg19(...).state_dict()``), checked against VGG-19's layout.
- **a run folder** (``model.features=<run>``): the trained weights of a ``cnn`` run on colour
  images, with its input standardization. The run's config is data: only allow-listed targets
  are built, and its checkpoint is read with ``weights_only=True``.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf
from torch import nn

from experiments.config.errors import ConfigError
from experiments.config.suggest import did_you_mean
from experiments.data import ImageFeatures, load_fitted
from experiments.models import CNN

# Output channels of VGG-19's convolutions, stage by stage (torchvision's configuration "E").
VGG19_STAGES = ((64, 64), (128, 128), (256,) * 4, (512,) * 4, (512,) * 4)
IMAGENET_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
# The standardization VGG-19's ImageNet weights were trained with, for images in [0, 1]; the
# random network gets the same, so that the two see inputs of the same scale.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
VGG19 = "vgg19"
WEIGHT_CHOICES = ("random", "imagenet")
RUN_CONFIG = Path(".hydra") / "config.yaml"
RUN_CHECKPOINT = Path("checkpoints") / "last.ckpt"
# What a run folder may name, and the only classes built from one: its config is data.
ALLOWED_NETS: dict[str, type[nn.Module]] = {"experiments.models.CNN": CNN}
ALLOWED_FEATURIZERS = {"experiments.data.ImageFeatures": ImageFeatures}


class FeatureNetwork(nn.Module):
    """A conv net's layers up to the deepest one asked for, frozen and always in evaluation
    mode (the batch norms of a trained CNN keep their running statistics while the task
    trains), behind the input standardization its weights expect.

    Args:
        layers: the network's layers in order (convolutions, batch norms, ReLUs, pooling).
        mean: per-channel mean subtracted from images in [0, 1].
        std: per-channel scale images in [0, 1] are divided by, after the mean.
        wanted: the names of the layers whose outputs `forward` returns (`layer_names`;
            checked by `check_layers`).
        description: what the network is, for messages (``vgg19 (random weights, seed 0)``).
    """

    def __init__(
        self,
        layers: nn.Sequential,
        mean: Sequence[float],
        std: Sequence[float],
        wanted: Sequence[str],
        description: str,
    ) -> None:
        super().__init__()
        names = layer_names(layers)
        deepest = max(names.index(name) for name in wanted)
        self.layers = nn.Sequential(*(_not_in_place(layer) for layer in layers[: deepest + 1]))
        self.names = names[: deepest + 1]
        self.wanted = frozenset(wanted)
        self.description = description
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        self.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True) -> FeatureNetwork:
        """Stays in evaluation mode whatever Lightning asks (see the class docstring)."""
        return super().train(False)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """The outputs of the wanted layers for ``image`` ``(batch, 3, height, width)`` in
        [0, 1], by layer name."""
        outputs = {}
        x = (image - self.mean) / self.std
        for name, layer in zip(self.names, self.layers, strict=True):
            x = layer(x)
            if name in self.wanted:
                outputs[name] = x
        return outputs


def layer_names(layers: nn.Sequential) -> list[str]:
    """Gatys et al.'s names of ``layers`` (see the module docstring), in order.

    Raises:
        ValueError: a layer other than a convolution, batch norm, ReLU or pooling layer.
    """
    names, stage, index = [], 1, 0
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            index += 1
            names.append(f"conv{stage}_{index}")
        elif isinstance(layer, nn.BatchNorm2d):
            names.append(f"bn{stage}_{index}")
        elif isinstance(layer, nn.ReLU):
            names.append(f"relu{stage}_{index}")
        elif isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
            names.append(f"pool{stage}")
            stage, index = stage + 1, 0
        else:
            raise ValueError(f"no style-transfer name for a {type(layer).__name__} layer")
    return names


def check_layers(
    names: Sequence[str], content_layer: Any, style_layers: Any, description: str
) -> None:
    """Check the model's ``content_layer`` and ``style_layers`` against a network's layers.

    Raises:
        ConfigError: one message for all the names the network lacks (with the closest
            layer of each, and the network's layers); one for a malformed key.
    """
    if not isinstance(content_layer, str):
        raise ConfigError(f"model.content_layer: expected a layer name, got {content_layer!r}")
    if not isinstance(style_layers, Sequence) or isinstance(style_layers, str) or not style_layers:
        raise ConfigError(
            f"model.style_layers: expected a non-empty list of layer names, got {style_layers!r}"
        )
    asked = {"model.content_layer": [content_layer], "model.style_layers": list(style_layers)}
    lacking = {
        key: [f"'{name}'{did_you_mean(str(name), names)}" for name in wanted if name not in names]
        for key, wanted in asked.items()
    }
    told = [f"{key}: {', '.join(bad)}" for key, bad in lacking.items() if bad]
    if told:
        raise ConfigError(
            f"{'; '.join(told)}: not layers of {description}, whose layers are {', '.join(names)}"
        )


def build_features(
    features: str, weights: str, content_layer: Any, style_layers: Any, seed: int
) -> FeatureNetwork:
    """The feature network a style model names, checked, with the layers it asks for.

    Args:
        features: ``vgg19``, or a run folder of a ``cnn`` trained on colour images.
        weights: VGG-19's weights: ``random``, ``imagenet`` or a file (see the module
            docstring); a run folder brings its own, so it must stay ``random``.
        content_layer: the layer of the content loss.
        style_layers: the layers of the style loss.
        seed: seeds VGG-19's random weights.

    Raises:
        ConfigError: an unknown network or weights, a file or run that does not hold the
            expected network, a layer the network lacks, the ImageNet weights out of reach.
    """
    if features == VGG19:
        layers = vgg19_layers()
        # the layers first: a typo fails before 548 MB of ImageNet weights are read
        check_layers(layer_names(layers), content_layer, style_layers, VGG19)
        description = _load_vgg19_weights(layers, weights, seed)
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    else:
        if weights != "random":
            raise ConfigError(
                f"model.weights: '{weights}' applies to model.features=vgg19; a run folder "
                "(model.features) brings its own trained weights: leave model.weights=random"
            )
        layers, mean, std, description = run_features(features)
        check_layers(layer_names(layers), content_layer, style_layers, description)
    return FeatureNetwork(layers, mean, std, [content_layer, *style_layers], description)


def vgg19_layers() -> nn.Sequential:
    """VGG-19's convolutional part in torchvision's layout (``vgg19().features``: the same
    state-dict keys), with ReLUs that do not work in place, weights uninitialized."""
    layers: list[nn.Module] = []
    channels = 3
    for stage in VGG19_STAGES:
        for width in stage:
            layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def _load_vgg19_weights(layers: nn.Sequential, weights: str, seed: int) -> str:
    """Fill VGG-19's ``layers`` with ``weights`` (see the module docstring); what they are.

    Raises:
        ConfigError: see `_download_imagenet_weights`, `_read_weights_file`, `_load_vgg19_state`.
    """
    if weights == "random":
        generator = torch.Generator().manual_seed(seed)
        for layer in layers:
            if isinstance(layer, nn.Conv2d):  # as torchvision's VGG initializes them
                nn.init.kaiming_normal_(
                    layer.weight, mode="fan_out", nonlinearity="relu", generator=generator
                )
                nn.init.zeros_(layer.bias)
        return f"vgg19 (random weights, seed {seed})"
    if weights == "imagenet":
        state, source = _download_imagenet_weights(), "ImageNet weights"
    else:
        state, source = _read_weights_file(weights), f"weights of {weights}"
    _load_vgg19_state(layers, state, weights)
    return f"vgg19 ({source})"


def _download_imagenet_weights() -> dict[str, Any]:
    """torchvision's ImageNet weights of VGG-19, from torch's hub cache or downloaded into it.

    Raises:
        ConfigError: no download (offline) or a damaged one, with what to do instead.
    """
    try:
        return torch.hub.load_state_dict_from_url(
            IMAGENET_URL, map_location="cpu", progress=False, check_hash=True, weights_only=True
        )
    except (OSError, urllib.error.URLError, RuntimeError) as error:
        raise ConfigError(
            f"model.weights=imagenet: cannot get VGG-19's ImageNet weights from {IMAGENET_URL} "
            f"({error}); without a network, download that file elsewhere and give it as "
            "model.weights=/path/to/vgg19-dcbb9e9d.pth, or use model.weights=random"
        ) from error


def _read_weights_file(spec: str) -> dict[str, Any]:
    """The tensors of a weights file, read without running code from it.

    Raises:
        ConfigError: no such file, or not a file of tensors.
    """
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"model.weights: '{spec}' is not a file{did_you_mean(spec, WEIGHT_CHOICES)}; "
            "expected random, imagenet or a file of VGG-19 weights saved by torchvision "
            "(vgg19-dcbb9e9d.pth)"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a foreign or damaged file
        raise ConfigError(
            f"model.weights: cannot read '{spec}' as a file of weights ({error})"
        ) from error
    if not isinstance(state, dict):
        raise ConfigError(
            f"model.weights: '{spec}' holds a {type(state).__name__}, not a state dict of "
            "VGG-19 weights"
        )
    return state


def _load_vgg19_state(layers: nn.Sequential, state: dict[str, Any], spec: str) -> None:
    """Load torchvision's VGG-19 weights (its ``features.*`` tensors; the classifier's are
    not needed) into ``layers``.

    Raises:
        ConfigError: tensors missing or of other shapes: another network's weights.
    """
    found = {
        key.removeprefix("features."): value
        for key, value in state.items()
        if isinstance(key, str) and key.startswith("features.")
    }
    expected = layers.state_dict()
    missing = [key for key in expected if key not in found]
    unexpected = [key for key in found if key not in expected]
    misshaped = [
        f"features.{key} is {tuple(found[key].shape)}, not {tuple(value.shape)}"
        for key, value in expected.items()
        if key in found and getattr(found[key], "shape", None) != value.shape
    ]
    problems = (
        [f"features.{key} missing" for key in missing[:3]]
        + [f"features.{key} unexpected" for key in unexpected[:3]]
        + misshaped[:3]
    )
    if problems:
        raise ConfigError(
            f"model.weights: '{spec}' does not hold VGG-19 weights in torchvision's layout "
            f"({'; '.join(problems)}); expected the file torchvision saves for vgg19 "
            "(vgg19-dcbb9e9d.pth), not vgg19_bn's, vgg16's or another network's"
        )
    layers.load_state_dict(found)


def run_features(
    folder: str,
) -> tuple[nn.Sequential, tuple[float, ...], tuple[float, ...], str]:
    """The convolutional layers of a ``cnn`` run's trained network, and the standardization of
    its inputs (its featurizer's per-channel mean and std, in pixel values 0-255), for images
    in [0, 1].

    Returns:
        The layers, the mean and std for images in [0, 1], and a description.

    Raises:
        ConfigError: not a run folder, a run of another network or data (only `ALLOWED_NETS`
            and `ALLOWED_FEATURIZERS` are built), a run of grayscale images, a run without
            its checkpoint, or a checkpoint that does not fit its network.
    """
    run = Path(folder).expanduser()
    if not (run / RUN_CONFIG).is_file():
        raise ConfigError(
            f"model.features: '{folder}' is neither vgg19 nor a run folder (no {RUN_CONFIG}); "
            "expected vgg19, or the folder of a cnn run such as outputs/cats_dogs/<run>/model=cnn"
        )
    cfg = OmegaConf.load(run / RUN_CONFIG)
    net, featurizer = (
        OmegaConf.select(cfg, f"{key}._target_") for key in ("model.net", "dataset.features")
    )
    if net not in ALLOWED_NETS or featurizer not in ALLOWED_FEATURIZERS:
        raise ConfigError(
            f"model.features: run '{folder}' trained {net or 'no network'} on "
            f"{featurizer or 'no featurizer'}; feature networks come from runs of "
            f"{', '.join(ALLOWED_NETS)} on {', '.join(ALLOWED_FEATURIZERS)} (model=cnn on images)"
        )
    features = _build(ALLOWED_FEATURIZERS[featurizer], cfg.dataset.features, folder)
    shapes = load_fitted(run, features)
    if shapes.in_shape[0] != 3:
        raise ConfigError(
            f"model.features: run '{folder}' trained on images of {shapes.in_shape[0]} "
            "channel(s); style transfer needs a network of colour (RGB) images, such as the "
            "cnn of experiment=cats_dogs"
        )
    network = _build(
        ALLOWED_NETS[net], cfg.model.net, folder,
        in_shape=shapes.in_shape, num_outputs=shapes.num_outputs,
    )  # fmt: skip
    _load_run_weights(network, run / RUN_CHECKPOINT, folder)
    # The featurizer standardizes pixel values 0-255: for [0, 1] images, divide both by 255.
    mean = tuple(float(m) / 255 for m in features.mean.reshape(-1))
    std = tuple(float(s) / 255 for s in features.std.reshape(-1))
    return network.features, mean, std, f"the cnn of run {folder}"


def _build(factory: type, node: Any, folder: str, **data: Any) -> Any:
    """``factory`` (an allow-listed class) called with a run config node's settings (its keys
    but Hydra's ``_target_`` and ``_partial_``) and ``data``.

    Raises:
        ConfigError: settings the class refuses.
    """
    try:
        values = OmegaConf.to_container(node, resolve=True)
        settings = {key: value for key, value in values.items() if not key.startswith("_")}
        return factory(**settings, **data)
    except Exception as error:  # OmegaConf's and the class's own errors: the run's settings
        raise ConfigError(
            f"model.features: the settings of run '{folder}' do not build a "
            f"{factory.__name__} ({error})"
        ) from error


def _load_run_weights(network: nn.Module, checkpoint: Path, folder: str) -> None:
    """Load the ``net.`` weights of a Lightning checkpoint into ``network``.

    Raises:
        ConfigError: no checkpoint, an unreadable one, or weights of another shape.
    """
    if not checkpoint.is_file():
        raise ConfigError(
            f"model.features: run '{folder}' has no {RUN_CHECKPOINT} (trained with "
            "trainer.enable_checkpointing=false, or unfinished); train it with checkpoints"
        )
    try:
        saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
        state = {
            key.removeprefix("net."): value
            for key, value in saved["state_dict"].items()
            if key.startswith("net.")
        }
        network.load_state_dict(state)
    except Exception as error:  # a damaged file, no state_dict, or weights of other shapes
        first = str(error).strip().splitlines()[0]
        raise ConfigError(
            f"model.features: cannot load the network of run '{folder}' from {checkpoint} ({first})"
        ) from error


def _not_in_place(layer: nn.Module) -> nn.Module:
    """``layer``, or a ReLU that does not overwrite its input: a feature taken before it
    (``conv1_1``) must keep its values."""
    return nn.ReLU() if isinstance(layer, nn.ReLU) else layer
