"""Framework callbacks inside a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from experiments.cli.train import train

from .conftest import compose_config, train_run


def test_nan_loss_fails_the_run_with_the_reason(make_cfg, tmp_path: Path) -> None:
    # A learning rate of 1e30 overflows the MLP's weights in the first epoch.
    cfg = make_cfg("optimizer.lr=1e30", "trainer.max_epochs=3")
    with pytest.raises(FloatingPointError, match=r"train/loss is nan at epoch 1"):
        train(cfg, tmp_path, ["optimizer.lr=1e30"])
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "failed"
    assert result["error"].startswith("FloatingPointError: train/loss is nan at epoch 1;")
    assert "metrics" not in result


def test_a_resumed_runs_fit_seconds_count_every_attempt(tmp_path) -> None:
    first = train_run(tmp_path, "trainer.max_epochs=2")
    result = json.loads((first / "result.json").read_text())
    saved = torch.load(first / "checkpoints" / "last.ckpt", weights_only=True)["fit_seconds"]
    assert 0 < saved <= result["fit_seconds"]
    cfg = compose_config(["trainer.max_epochs=3", "resume=true"])
    resumed = train(cfg, first, ["trainer.max_epochs=3"])
    assert resumed["fit_seconds"] > saved  # the first attempt's time, plus the third epoch
