"""Framework callbacks inside a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from experiments.core import train
from experiments.runs.checkpoints import AtomicCheckpointIO

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


def _best_score(checkpoint: dict) -> float:
    """The best score a checkpoint's record of the monitored checkpoint names."""
    (state,) = [s for s in checkpoint["callbacks"].values() if s.get("monitor") == "val/acc"]
    return float(state["best_model_score"])


@pytest.fixture
def checkpoint_writes(monkeypatch) -> list[tuple[str, dict]]:
    """(file name, checkpoint) of every checkpoint written, in order."""
    writes = []
    save = AtomicCheckpointIO.save_checkpoint

    def recording(self, checkpoint, path, storage_options=None) -> None:
        writes.append((Path(path).name, checkpoint))
        save(self, checkpoint, path, storage_options)

    monkeypatch.setattr(AtomicCheckpointIO, "save_checkpoint", recording)
    return writes


def test_a_held_best_checkpoint_is_the_best_epochs_written_at_once(
    make_cfg, tmp_path: Path, checkpoint_writes
) -> None:
    # Sub-second epochs: with min_seconds=3600 every best epoch is held in memory and the
    # last one written at the end; the file must be what writing at once gives.
    runs = {}
    for min_seconds in (0, 3600):
        overrides = [
            "trainer.max_epochs=10",  # the best epoch is the 6th
            f"callbacks.model_checkpoint.min_seconds={min_seconds}",
            f"callbacks.last_checkpoint.min_seconds={min_seconds}",
        ]
        checkpoint_writes.clear()
        train(make_cfg(*overrides, fast=False), tmp_path / str(min_seconds), overrides)
        best = [checkpoint for name, checkpoint in checkpoint_writes if name == "best.ckpt"]
        runs[min_seconds] = (
            len(best),
            torch.load(
                tmp_path / str(min_seconds) / "checkpoints" / "best.ckpt", weights_only=True
            ),
        )
    (writes_at_once, at_once), (writes_held, held) = runs[0], runs[3600]
    assert writes_held == 1 < writes_at_once  # once, at the end
    assert held["epoch"] == at_once["epoch"] < 9 and held["global_step"] == at_once["global_step"]
    assert _best_score(held) == _best_score(at_once)
    for name, tensor in at_once["state_dict"].items():
        assert torch.equal(held["state_dict"][name], tensor), name
    assert (
        held["optimizer_states"][0]["state"].keys()
        == at_once["optimizer_states"][0]["state"].keys()
    )
    for step, state in at_once["optimizer_states"][0]["state"].items():
        assert torch.equal(held["optimizer_states"][0]["state"][step]["exp_avg"], state["exp_avg"])


def test_a_held_best_checkpoint_is_on_disk_before_a_checkpoint_names_it(
    make_cfg, tmp_path: Path, checkpoint_writes
) -> None:
    # last.ckpt every epoch records the best checkpoint; what it names must be on disk then.
    overrides = [
        "trainer.max_epochs=10",
        "callbacks.model_checkpoint.min_seconds=3600",
        "callbacks.last_checkpoint.min_seconds=0",
    ]
    train(make_cfg(*overrides, fast=False), tmp_path, overrides)
    best_on_disk = None
    lasts = 0
    for name, checkpoint in checkpoint_writes:
        if name == "best.ckpt":
            best_on_disk = _best_score(checkpoint)
        else:
            lasts += 1
            assert best_on_disk == _best_score(checkpoint), (
                f"last.ckpt of epoch {checkpoint['epoch']}"
            )
    assert lasts == 10
