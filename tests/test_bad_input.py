"""Bad config gives one message naming the key, before training, and no 'done' result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException, MissingConfigException

from experiments.errors import ConfigError
from experiments.train import train

from .conftest import compose_config


def test_unknown_model_lists_the_options() -> None:
    with pytest.raises(MissingConfigException, match="nope") as error:
        compose_config(["model=nope"])
    assert "mlp" in str(error.value) and "svm_linear" in str(error.value)


def test_misspelled_key_is_rejected() -> None:
    with pytest.raises(ConfigCompositionException, match="max_epoch"):
        compose_config(["trainer.max_epoch=3"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optimizer.lr=abc", "optimizer.lr: expected a number for torch.optim.AdamW, got 'abc'"),
        ("optimizer.lr=-1", "Invalid learning rate: -1"),
        ("model.net.activation=swish", "activation 'swish' is not one of relu, gelu, tanh"),
        ("+model.net.width=3", "model.net.width: not a parameter of experiments.models.MLP"),
        ("trainer.max_epochs=many", "trainer.max_epochs: expected an integer"),
        ("dataset.val_size=2", "dataset.val_size: 2 is not a fraction in (0, 1)"),
        ("dataset.features.image_column=pixels", "no column 'pixels'; the data has image, label"),
        ("model.C=0", "model.C: expected a positive number, got 0"),
        ("threads=0", "threads: expected a positive integer, got 0"),
    ],
)
def test_bad_value_fails_before_training(make_cfg, tmp_path: Path, override: str, message: str):
    with pytest.raises(ConfigError) as error:
        train(make_cfg(override), tmp_path, [override])
    assert message in str(error.value)
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "failed" and message in result["error"]
    assert not (tmp_path / "tb").exists(), "nothing was trained or logged"


def test_every_problem_is_reported_at_once(make_cfg, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        train(make_cfg("optimizer.lr=abc", "optimizer.weight_decay=x"), tmp_path, [])
    assert len(error.value.problems) == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model=nope", "Could not find 'model/nope'"),
        ("optimizer.lr=abc", "optimizer.lr: expected a number"),
        ("optimizer.lr=-1", "Invalid learning rate: -1"),
        ("trainer.max_epoch=3", "Key 'max_epoch' is not in struct"),
    ],
)
def test_cli_exits_nonzero_with_one_message(tmp_path: Path, override: str, message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "experiments.train", override, f"output_root={tmp_path}"],
        capture_output=True, text=True, timeout=120, env=os.environ | {"HYDRA_FULL_ERROR": "0"},
    )  # fmt: skip
    assert done.returncode != 0
    assert message in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    for result in tmp_path.rglob("result.json"):
        assert json.loads(result.read_text())["status"] == "failed"
