"""Style transfer runs end to end, as `experiments-train experiment=style_transfer` runs them:
the image, the losses in result.json and TensorBoard, the images in TensorBoard; bad input
(a missing image, a layer the network lacks, a weights file of another network) is one
message and exit status 2; a sweep ends with its contact sheet."""

from __future__ import annotations

import json
from pathlib import Path

import PIL.Image
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from experiments.cli.evaluate import evaluate
from experiments.cli.predict import main as predict_main
from experiments.config.errors import ConfigError
from experiments.core import train
from experiments.style.images import CONTENT, OUTPUT

from ..conftest import compose_config, run_cli_commands, run_sweeps, train_run
from .test_features import torchvision_file, vgg16_layers

# 32-pixel images, 2 steps of 20 L-BFGS iterations: VGG-19 runs an iteration in ~20 ms.
TINY = [
    "experiment=style_transfer",
    "dataset.size=32",
    "trainer.max_epochs=2",
    "optimizer.max_iter=20",
]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_run(tmp_path_factory.mktemp("style") / "run", *TINY)


def test_a_tiny_style_transfer_paints_the_image_and_records_its_losses(tiny_run: Path) -> None:
    result = json.loads((tiny_run / "result.json").read_text())
    assert result["status"] == "done" and result["n_params"] == 3 * 21 * 32
    assert result["rows"] == {"train": 1, "val": 0, "test": 1}  # one pair of images
    metrics = result["metrics"]
    losses = ("loss", "content_loss", "style_loss", "tv_loss")
    assert set(metrics) == {f"train/{n}" for n in losses} | {
        f"test/{n}" for n in (*losses, "style_ratio")
    }
    assert metrics["test/style_ratio"] < 0.1  # the style loss fell more than tenfold
    assert 0 < metrics["test/content_loss"] < 1  # closer to the photo than a black image
    assert PIL.Image.open(tiny_run / OUTPUT).size == (32, 21)  # china.jpg, 640 x 427
    events = EventAccumulator(str(tiny_run / "tb"), size_guidance={"images": 0})
    events.Reload()
    assert [e.step for e in events.Images("style/output")] == [0, 1, 2]  # each step, the last
    assert {"style/content", "style/style"} <= set(events.Tags()["images"])
    assert len(events.Scalars("train/style_loss")) == 2


def test_a_style_run_has_no_model_to_evaluate_or_predict_with(tiny_run: Path, capsys) -> None:
    message = (
        f"model 'style_transfer' paints an image ({tiny_run / OUTPUT}); it has no model to "
        "evaluate or predict with: its result is images/stylized.png and the losses in result.json"
    )
    with pytest.raises(ConfigError) as error:
        evaluate(tiny_run)
    assert error.value.problems == [message]
    assert predict_main([f"ckpt={tiny_run}", f"input={tiny_run / CONTENT}"]) == 2
    assert capsys.readouterr().err == f"experiments-predict: {message}\n"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=style_transfer"], "model 'style_transfer' paints an image: it needs dataset=style_images (dataset.content, dataset.style), not dataset 'digits'"),
        (["dataset=style_images"], "dataset 'style_images' holds style images: it needs the style transfer model (model=style_transfer), not 'mlp'"),
    ],
)  # fmt: skip
def test_a_style_model_and_style_images_go_together(
    tmp_path: Path, overrides: list[str], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        train(compose_config(overrides), tmp_path, overrides)
    assert error.value.problems == [message]
    assert not (tmp_path / OUTPUT).exists()


def test_every_bad_setting_is_reported_at_once(tmp_path: Path) -> None:
    overrides = [
        *TINY, "model.init=zeros", "model.style_weight=-1", "model.image_every=0.5",
        "optimizer.lr=-1", "trainer=ddp_cpu", "scheduler=cosine",
    ]  # fmt: skip
    with pytest.raises(ConfigError) as error:
        train(compose_config(overrides), tmp_path, overrides)
    assert [problem.split(":")[0] for problem in error.value.problems] == [
        "trainer", "scheduler",
    ]  # fmt: skip
    overrides = overrides[:-2]
    with pytest.raises(ConfigError) as error:
        train(compose_config(overrides), tmp_path, overrides)
    assert [problem.split(":")[0] for problem in error.value.problems] == [
        "model.style_weight", "model.init", "model.image_every", "optimizer (torch.optim.LBFGS)",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    """Each case of `BAD` run by the console script (one child process): exit status,
    console output (stdout and stderr) and the run folder."""
    root = tmp_path_factory.mktemp("bad")
    weights = torchvision_file(root / "vgg16.pth", vgg16_layers())
    cases = {
        "missing image": ["dataset.content=no_such_photo.jpg"],
        "bad layer": ["model.content_layer=relu4_5"],
        "wrong weights": [f"model.weights={weights}"],
    }
    ran = run_cli_commands(
        [
            ["experiments-train", *TINY, *overrides, f"hydra.run.dir={root / name}"]
            for name, overrides in cases.items()
        ],
        root / "cli",
    )
    return {
        name: (code, out + err, root / name)
        for name, (code, out, err) in zip(cases, ran, strict=True)
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing image", "dataset.content: 'no_such_photo.jpg' is not a file; expected an image file (PNG, JPEG, ...) or one of sklearn:china.jpg, sklearn:flower.jpg"),
        ("bad layer", "model.content_layer: 'relu4_5' (did you mean 'relu4_4'?): not layers of vgg19, whose layers are conv1_1, relu1_1,"),
        ("wrong weights", "does not hold VGG-19 weights in torchvision's layout (features.16.weight missing;"),
    ],
)  # fmt: skip
def test_bad_input_is_one_message_and_exit_status_2(bad_runs, case: str, message: str) -> None:
    code, output, run = bad_runs[case]
    assert code == 2
    (line,) = [line for line in output.splitlines() if line.startswith("  ")]  # one problem
    assert message in line and "Traceback" not in output
    assert json.loads((run / "result.json").read_text())["status"] == "failed"
    assert not (run / OUTPUT).exists()


@pytest.mark.slow
def test_a_sweep_over_the_style_weight_ends_with_a_contact_sheet(tmp_path: Path) -> None:
    weights = ["experiment=style_transfer", "dataset.size=32", "trainer.max_epochs=1"]
    (code, out, err, sweep) = run_sweeps(
        {"weights": [*weights, "model.style_weight=1,100"]}, tmp_path
    )["weights"]
    assert code == 0, err[-2000:]
    jobs = sorted(path.parent.parent for path in sweep.rglob(str(OUTPUT)))
    assert [job.name.split(",")[1] for job in jobs] == [
        "model.style_weight=1",
        "model.style_weight=100",
    ]
    ratios = [json.loads((job / "result.json").read_text())["metrics"] for job in jobs]
    assert ratios[1]["test/style_ratio"] < ratios[0]["test/style_ratio"]  # more weight, more style
    sheet = PIL.Image.open(sweep / "contact_sheet.png")
    assert sheet.width == 4 + 4 * (256 + 4)  # content, style and the two outputs in one row
    assert f"Contact sheet: {sweep / 'contact_sheet.png'}" in out


@pytest.mark.slow
def test_trainer_gpu_runs_where_there_is_no_gpu(tmp_path: Path) -> None:
    """trainer=gpu keeps accelerator auto: the same settings (bf16 autocast) on a CPU."""
    ((code, _, err),) = run_cli_commands(
        [["experiments-train", *TINY, "trainer=gpu", f"hydra.run.dir={tmp_path / 'run'}"]],
        tmp_path / "cli",
    )
    assert code == 0, err[-2000:]
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["metrics"]["test/style_ratio"] < 0.5
    assert (tmp_path / "run" / OUTPUT).is_file()
