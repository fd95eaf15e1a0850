"""Bad config gives one message naming the key, before training, and no 'done' result."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
import torch
from hydra.errors import ConfigCompositionException, MissingConfigException

from experiments.config.errors import ConfigError
from experiments.core import train
from experiments.runs.paths import check_output_folder

from .conftest import compose_config, run_cli_commands
from .data.test_images import image_folder


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model=nope", "Could not find 'model/nope'"),
        ("launcher=nope", "Could not find 'launcher/nope'"),
        ("hparams_search=nope", "Could not find 'hparams_search/nope'"),
        ("trainer.max_epoch=3", "Could not override 'trainer.max_epoch'"),
    ],
)
def test_unknown_option_or_key_fails_composition(override: str, message: str) -> None:
    with pytest.raises((MissingConfigException, ConfigCompositionException)) as error:
        compose_config([override])
    assert message in str(error.value)
    if isinstance(error.value, MissingConfigException):
        assert "Available options in" in str(error.value)


# A table of bad runs: config values, data settings, model/data mismatches, devices. Each
# fails before training with one message naming the key, and leaves a 'failed' result.
BAD_RUNS = [
    (["optimizer.lr=abc"], "optimizer.lr: expected a number for torch.optim.AdamW, got 'abc'"),
    (["optimizer.lr=-1"], "Invalid learning rate: -1"),
    (["model.net.activation=swish"], "activation 'swish' is not one of relu, gelu, tanh"),
    (["+model.net.width=3"], "model.net.width: not a parameter of experiments.models.MLP"),
    (["model.net.hidden_sizes=[0]"], "hidden_sizes must be positive, got [0]"),
    (["trainer.max_epochs=many"], "trainer.max_epochs: expected an integer"),
    (["trainer.devices=0"], "`Trainer(devices=0)` value is not a valid input"),
    (["dataset.val_size=2"], "dataset.val_size: 2 is not a fraction in (0, 1)"),
    (["dataset.batch_size=0"], "dataset.batch_size: expected a positive integer, got 0"),
    (["dataset.split_seed=x"], "dataset.split_seed: expected an integer"),
    (["dataset.features.image_column=pixels"], "no column 'pixels'; the data has image, label"),
    (["dataset=csv"], "dataset.path: dataset.source 'csv' reads local files"),
    (["dataset=csv", "dataset.path=/no/such.csv"], "dataset.path: '/no/such.csv' does not exist"),
    (["dataset=sms_spam"], "To run offline, point the config at local files in the same schema"),
    (["model.C=0"], "model.C: expected a positive number, got 0"),
    (["threads=0"], "threads: expected a positive integer, got 0"),
    (["keep_model=sometimes"], "keep_model: expected true or false, got 'sometimes'"),
    (["model=cnn", "dataset=breast_cancer"], "model 'cnn' cannot be built for tabular data"),
    (["model=text_cnn"], "model 'text_cnn' needs vocab_size, which image data does not provide"),
    (["model=logreg", "dataset=diabetes"], "model 'logreg' supports classification only"),
    (["model=sk_svc", "dataset=diabetes"], "model 'sk_svc' is a scikit-learn classifier (SVC)"),
    (["seed=abc"], "seed: expected an integer, got 'abc'"),
    (["model=sk_naive_bayes_multinomial"], "(MultinomialNB) needs non-negative inputs"),
    (["monitor=val/kapa"], "does not log 'val/kapa' (did you mean 'val/acc'?)"),
    (["dataset.features.image_column=imag"], "no column 'imag' (did you mean 'image'?)"),
    # refused before a DDP process is started: a failing child would take the sweep down
    (["model=logreg", "trainer=ddp_cpu"], "callbacks.full_batch (optimizer=lbfgs) runs in one"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_RUNS, ids=[" ".join(o) for o, _ in BAD_RUNS])
def test_bad_run_fails_before_training(
    make_cfg, tmp_path: Path, overrides: list[str], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        train(make_cfg(*overrides), tmp_path, overrides)
    assert message in str(error.value)
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "failed" and message in result["error"]
    assert not (tmp_path / "tb").exists(), "nothing was trained or logged"


@pytest.mark.skipif(torch.cuda.is_available(), reason="the point is a machine without a GPU")
def test_gpu_asked_on_a_machine_without_one(make_cfg, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="trainer: No supported gpu backend found"):
        train(make_cfg("trainer.accelerator=gpu"), tmp_path, [])


def test_every_problem_is_reported_at_once(make_cfg, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        train(make_cfg("optimizer.lr=abc", "optimizer.weight_decay=x"), tmp_path, [])
    assert len(error.value.problems) == 2


# Bad command lines: each exits non-zero with its message, no traceback, no 'done' result.
CLI_CASES = [
    ("model=nope", "Could not find 'model/nope'"),
    ("optimizer.lr=abc", "optimizer.lr: expected a number"),
    ("optimizer.lr=-1", "Invalid learning rate: -1"),
    ("trainer.max_epoch=3", "Key 'max_epoch' is not in struct"),
]


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    """Each command of `CLI_CASES` as the console script runs it (in one child process):
    its exit status, output and output root."""
    root = tmp_path_factory.mktemp("cli")
    commands = [
        ["experiments-train", override, f"output_root={root / str(n)}"]
        for n, (override, _) in enumerate(CLI_CASES)
    ]
    ran = run_cli_commands(commands, root / "output", env={"HYDRA_FULL_ERROR": "0"})
    return {
        override: (code, out + err, root / str(n))
        for n, ((override, _), (code, out, err)) in enumerate(zip(CLI_CASES, ran, strict=True))
    }


@pytest.mark.slow
@pytest.mark.parametrize(("override", "message"), CLI_CASES)
def test_cli_exits_nonzero_with_one_message(cli_runs, override: str, message: str) -> None:
    code, output, out = cli_runs[override]
    assert code != 0
    assert message in output
    assert "Traceback" not in output
    for result in out.rglob("result.json"):
        assert json.loads(result.read_text())["status"] == "failed"


def bomb_png(path: Path, side: int = 20000) -> Path:
    """A PNG that says it is ``side`` x ``side`` pixels (400 MB decoded at 20000): PIL
    refuses it as a decompression bomb when it reads the header, so the file stays tiny."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grayscale
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )  # fmt: skip
    return path


def test_a_decompression_bomb_among_the_images(make_cfg, tmp_path: Path) -> None:
    folder = image_folder(tmp_path / "images")
    bomb = bomb_png(folder / "dark" / "huge.png")
    with pytest.raises(ConfigError) as error:
        train(make_cfg("dataset=imagefolder", f"dataset.path={folder}"), tmp_path / "run", [])
    assert str(bomb) in str(error.value) and "decompression bomb" in str(error.value)


ONE_CLASS_MODELS = ["logreg", "mlp", "sk_logreg", "svm_linear"]


@pytest.mark.parametrize("model", ONE_CLASS_MODELS)
def test_a_target_of_one_class_is_one_message_for_every_model(make_cfg, tmp_path, model) -> None:
    table = tmp_path / "one_class.csv"
    table.write_text("x,y\n" + "".join(f"{i},yes\n" for i in range(30)))
    overrides = [
        "dataset=csv",
        f"dataset.path={table}",
        "dataset.target_column=y",
        "dataset.task=classification",
    ]
    with pytest.raises(ConfigError, match="the train split holds one class, 'yes'; a classifier"):
        train(make_cfg(*overrides, f"model={model}"), tmp_path / "run", [])


@pytest.mark.skipif(torch.cuda.is_available(), reason="the point is a machine without a GPU")
def test_trainer_gpu_without_a_gpu_says_it_trains_on_the_cpu(make_cfg, tmp_path, caplog) -> None:
    result = train(make_cfg("trainer=gpu", "trainer.max_epochs=1"), tmp_path, [])
    assert result["status"] == "done" and result["provenance"]["device"] == "cpu"
    (warning,) = [r.getMessage() for r in caplog.records if "no GPU" in r.getMessage()]
    assert "trainer=gpu" in warning and "training on the CPU" in warning


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", ""])
def test_experiment_name_is_one_folder_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=f"experiment_name: '{re.escape(name)}' is not a folder"):
        check_output_folder(name, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_output_folder_problems_are_one_line(tmp_path: Path) -> None:
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(readonly)]
    ).returncode:
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        ran = run_cli_commands(
            [
                ["experiments-train", f"output_root={tmp_path / 'out'}", "experiment_name=../../x"],
                [
                    "experiments-train",
                    "-m",
                    f"output_root={tmp_path / 'out'}",
                    "experiment_name=a/b",
                ],
                ["experiments-train", f"output_root={readonly}"],
            ],
            tmp_path / "cli",
        )
    finally:
        subprocess.run(["umount", "-l", str(readonly)], check=False)
    for code, out, err in ran:
        assert code == 2 and "Traceback" not in out + err, out + err
        assert len((out + err).strip().splitlines()) == 1, out + err
    assert "experiment_name: '../../x' is not a folder name" in ran[0][2]
    assert f"output_root: cannot write the run folder '{readonly}/default/" in ran[2][2]
    assert "Read-only file system); choose a writable output_root" in ran[2][2]
    assert not (tmp_path / "x").exists() and not any((tmp_path / "out").rglob("*"))
