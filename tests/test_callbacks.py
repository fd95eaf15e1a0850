"""Framework callbacks inside a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.cli.train import train


def test_nan_loss_fails_the_run_with_the_reason(make_cfg, tmp_path: Path) -> None:
    # A learning rate of 1e30 overflows the MLP's weights in the first epoch.
    cfg = make_cfg("optimizer.lr=1e30", "trainer.max_epochs=3")
    with pytest.raises(FloatingPointError, match=r"train/loss is nan at epoch 1"):
        train(cfg, tmp_path, ["optimizer.lr=1e30"])
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "failed"
    assert result["error"].startswith("FloatingPointError: train/loss is nan at epoch 1;")
    assert "metrics" not in result
