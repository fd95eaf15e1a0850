"""Feature networks: VGG-19 in torchvision's layout with Gatys et al.'s layer names, its
weights random (seeded), from a file (checked: another network's file is one message) or
downloaded (offline: one message saying what to do), and a cnn run folder's layers, loaded
without running anything its folder names."""

from __future__ import annotations

import pickle
import re
import urllib.error
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from experiments.config.errors import ConfigError
from experiments.style import build_features
from experiments.style.features import layer_names, vgg19_layers

from ..conftest import train_run
from ..data.test_images import image_folder

GATYS = ("relu4_2", ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])


def test_vgg19_has_torchvisions_layout_and_gatys_layer_names() -> None:
    layers = vgg19_layers()
    names = layer_names(layers)
    # torchvision's vgg19().features: relu4_2 is features[22], relu5_1 features[29]
    assert (names.index("relu4_2"), names.index("relu5_1"), len(names)) == (22, 29, 37)
    assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert sum(p.numel() for p in layers.parameters()) == 20_024_384  # torchvision's count
    assert list(layers.state_dict())[-2:] == ["34.weight", "34.bias"]


def test_random_weights_come_from_the_seed() -> None:
    first, again, other = (build_features("vgg19", "random", *GATYS, seed=s) for s in (0, 0, 1))
    assert torch.equal(first.layers[0].weight, again.layers[0].weight)
    assert not torch.equal(first.layers[0].weight, other.layers[0].weight)
    assert len(first.layers) == 30  # up to relu5_1, the deepest layer asked for


def test_the_network_is_frozen_and_keeps_the_features_it_returns() -> None:
    network = build_features("vgg19", "random", "conv1_1", ["relu1_1"], seed=0)
    network.train()
    assert not network.training and not any(p.requires_grad for p in network.parameters())
    outputs = network(torch.rand(1, 3, 8, 8))
    assert outputs["conv1_1"].min() < 0  # taken before its ReLU, which did not overwrite it
    assert torch.equal(outputs["relu1_1"], outputs["conv1_1"].clamp_min(0))


def test_a_layer_the_network_lacks_is_one_message() -> None:
    with pytest.raises(ConfigError) as error:
        build_features("vgg19", "random", "relu4_2", ["relu1_1", "relu6_1"], seed=0)
    (message,) = error.value.problems
    assert message.startswith(
        "model.style_layers: 'relu6_1' (did you mean 'relu5_1'?): not layers of vgg19, whose "
        "layers are conv1_1, relu1_1, conv1_2,"
    )


def torchvision_file(path: Path, layers: torch.nn.Sequential) -> Path:
    """A file as torchvision saves vgg19's weights: ``features.*`` and ``classifier.*``."""
    state = {f"features.{key}": value for key, value in layers.state_dict().items()}
    torch.save(state | {"classifier.0.weight": torch.zeros(2, 2)}, path)
    return path


def test_weights_from_a_file_of_torchvisions_layout(tmp_path: Path) -> None:
    trained = build_features("vgg19", "random", "relu5_4", ["relu1_1"], seed=3).layers
    path = torchvision_file(tmp_path / "vgg19.pth", trained)
    network = build_features("vgg19", str(path), *GATYS, seed=0)
    assert network.description == f"vgg19 (weights of {path})"
    assert torch.equal(network.layers[28].weight, trained[28].weight)


def vgg16_layers() -> torch.nn.Sequential:
    """VGG-16's convolutional part: three convolutions in the last three stages, not four."""
    layers, channels = [], 3
    for width, count in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(count):
            layers += [torch.nn.Conv2d(channels, width, 3, padding=1), torch.nn.ReLU()]
            channels = width
        layers.append(torch.nn.MaxPool2d(2))
    return torch.nn.Sequential(*layers)


class Payload:
    """Unpickling it would run code: what ``weights_only=True`` refuses."""

    def __reduce__(self):
        return (print, ("this ran",))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("vgg16", r"^model.weights: '.*weights.pth' does not hold VGG-19 weights in torchvision's layout \(features.16.weight missing; .*; features.19.weight is \(512, 512, 3, 3\), not \(512, 256, 3, 3\)\); expected the file torchvision saves for vgg19 \(vgg19-dcbb9e9d.pth\), not vgg19_bn's, vgg16's or another network's$"),
        ("text", r"^model.weights: cannot read '.*weights.pth' as a file of weights"),
        ("code", r"^model.weights: cannot read '.*weights.pth' as a file of weights .*Weights only load failed"),
    ],
)  # fmt: skip
def test_a_weights_file_of_another_network_is_one_message(
    tmp_path: Path, content: str, message: str, capsys
) -> None:
    path = tmp_path / "weights.pth"
    if content == "vgg16":
        torchvision_file(path, vgg16_layers())
    elif content == "text":
        path.write_text("not weights")
    else:
        path.write_bytes(pickle.dumps({"features.0.weight": Payload()}, protocol=2))
    with pytest.raises(ConfigError) as error:
        build_features("vgg19", str(path), *GATYS, seed=0)
    (problem,) = error.value.problems
    assert re.match(message, problem, flags=re.S), problem
    assert "this ran" not in capsys.readouterr().out


def test_a_misspelled_weights_choice_is_not_taken_for_a_file() -> None:
    with pytest.raises(ConfigError, match=r"'imagnet' is not a file \(did you mean 'imagenet'\?\)"):
        build_features("vgg19", "imagnet", *GATYS, seed=0)


def test_a_layer_typo_fails_before_the_imagenet_weights_are_read(monkeypatch) -> None:
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", pytest.fail)
    with pytest.raises(ConfigError, match=r"^model.content_layer: 'relu4_9'"):
        build_features("vgg19", "imagenet", "relu4_9", GATYS[1], seed=0)


def test_imagenet_weights_out_of_reach_say_what_to_do(monkeypatch) -> None:
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(ConfigError) as error:
        build_features("vgg19", "imagenet", *GATYS, seed=0)
    (message,) = error.value.problems
    assert "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth" in message
    assert message.endswith(
        "model.weights=/path/to/vgg19-dcbb9e9d.pth, or use model.weights=random"
    )


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cnn trained for one epoch on 16x16 colour images."""
    root = tmp_path_factory.mktemp("cnn")
    data = ["dataset=imagefolder", f"dataset.path={image_folder(root / 'img', ((16, 16),), 'RGB')}"]
    return train_run(root / "run", *data, "model=cnn", "trainer.max_epochs=1")


def test_a_cnn_run_gives_its_trained_layers_and_its_standardization(cnn_run: Path) -> None:
    network = build_features(str(cnn_run), "random", "relu2_2", ["relu1_1", "relu2_1"], seed=0)
    checkpoint = torch.load(cnn_run / "checkpoints" / "last.ckpt", weights_only=True)
    assert torch.equal(network.layers[0].weight, checkpoint["state_dict"]["net.features.0.weight"])
    assert network.names[:3] == ["conv1_1", "bn1_1", "relu1_1"] and network.names[-1] == "relu2_2"
    assert isinstance(network.layers[1], torch.nn.BatchNorm2d)
    # the run's images are 'dark' (40) and 'light' (200) pixels: its mean lies between, /255
    assert 40 / 255 < float(network.mean.mean()) < 200 / 255
    network.train()
    assert not network.layers[1].training  # batch norm keeps the run's statistics


def test_a_run_folder_brings_its_own_weights(cnn_run: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"^model.weights: 'imagenet' applies to model.features=vgg19"
    ):
        build_features(str(cnn_run), "imagenet", "relu2_2", ["relu1_1"], seed=0)


def test_a_run_of_another_network_is_refused_without_building_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    config = {"model": {"name": "evil", "net": {"_target_": "os.system", "command": "touch pwned"}}}
    OmegaConf.save(OmegaConf.create(config), run / ".hydra" / "config.yaml")
    with pytest.raises(ConfigError) as error:
        build_features(str(run), "random", "relu2_2", ["relu1_1"], seed=0)
    assert error.value.problems == [
        f"model.features: run '{run}' trained os.system on no featurizer; feature networks come "
        "from runs of experiments.models.CNN on experiments.data.ImageFeatures (model=cnn on images)"
    ]
    assert not Path("pwned").exists()


def test_neither_vgg19_nor_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"^model.features: 'vgg16' is neither vgg19 nor a run folder"
    ):
        build_features("vgg16", "random", *GATYS, seed=0)
