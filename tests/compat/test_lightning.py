"""Each Lightning internal this package uses (experiments/compat/lightning.py) is still
there and still called as it expects: an upgrade that moves one fails here, by name."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.demos.boring_classes import BoringModel
from pytorch_lightning.loops.training_epoch_loop import _TrainingEpochLoop
from pytorch_lightning.strategies.launchers import subprocess_script
from pytorch_lightning.trainer.connectors.logger_connector.logger_connector import (
    _LoggerConnector,
)

from experiments.compat.lightning import (
    OBSERVER_NAME,
    CheckpointWrites,
    count_logging_steps,
    count_optimizer_step,
    dump_checkpoint,
    process_observer,
    publish_metrics,
)


def test_the_ddp_launcher_calls_the_process_observer_with_its_processes() -> None:
    assert callable(getattr(subprocess_script, OBSERVER_NAME, None)), (
        f"pytorch_lightning ...subprocess_script.{OBSERVER_NAME} is gone: see compat/lightning.py"
    )
    launch = inspect.getsource(subprocess_script._SubprocessScriptLauncher.launch)
    assert f"{OBSERVER_NAME}(self.procs)" in launch, "the DDP launcher no longer calls it so"


def test_the_observer_is_replaced_for_the_block_only() -> None:
    original = getattr(subprocess_script, OBSERVER_NAME)
    seen = []
    with process_observer(seen.append):
        getattr(subprocess_script, OBSERVER_NAME)(["procs"])
    assert seen == [["procs"]] and getattr(subprocess_script, OBSERVER_NAME) is original


def _fit(tmp_path: Path, callbacks: list[pl.Callback], module: pl.LightningModule) -> pl.Trainer:
    trainer = pl.Trainer(
        default_root_dir=tmp_path,
        max_epochs=2,
        limit_train_batches=2,
        limit_val_batches=1,
        num_sanity_val_steps=0,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
    )
    trainer.fit(module)
    return trainer


def test_loggers_are_given_the_count_that_count_logging_steps_advances() -> None:
    loop = pl.Trainer(logger=False).fit_loop.epoch_loop
    assert isinstance(getattr(loop, "_batches_that_stepped", None), int), (
        "pytorch_lightning's epoch loop has no int _batches_that_stepped any more: "
        "see count_logging_steps in compat/lightning.py"
    )
    source = inspect.getsource(_LoggerConnector.log_metrics)
    assert "epoch_loop._batches_that_stepped" in source, (
        "Lightning's loggers no longer log at epoch_loop._batches_that_stepped: "
        "count_logging_steps would advance a count nobody reads"
    )
    trainer = pl.Trainer(logger=False)
    count_logging_steps(trainer, 3)
    assert trainer.fit_loop.epoch_loop._batches_that_stepped == 3


def test_count_optimizer_step_is_what_makes_the_global_step_under_manual_optimization() -> None:
    source = inspect.getsource(_TrainingEpochLoop.global_step.fget)
    assert "manual_optimization.optim_step_progress.total.completed" in source, (
        "trainer.global_step under manual optimization no longer reads "
        "manual_optimization.optim_step_progress: see count_optimizer_step in compat/lightning.py"
    )
    trainer = pl.Trainer(logger=False)
    progress = trainer.fit_loop.epoch_loop.manual_optimization.optim_step_progress
    count_optimizer_step(trainer)
    count_optimizer_step(trainer)
    assert (progress.total.ready, progress.total.completed) == (2, 2)


def test_dump_checkpoint_is_what_save_checkpoint_writes(tmp_path: Path) -> None:
    trainer = _fit(tmp_path, [], BoringModel())
    dumped = dump_checkpoint(trainer, weights_only=False)
    trainer.save_checkpoint(tmp_path / "saved.ckpt")
    saved = torch.load(tmp_path / "saved.ckpt", weights_only=False)
    assert set(dumped) == set(saved), "trainer._checkpoint_connector.dump_checkpoint changed"
    assert dumped["global_step"] == saved["global_step"] == 4
    assert all(torch.equal(dumped["state_dict"][k], v) for k, v in saved["state_dict"].items())
    assert "optimizer_states" not in dump_checkpoint(trainer, weights_only=True)


def test_published_metrics_are_what_callbacks_and_the_progress_bar_read() -> None:
    trainer = pl.Trainer(logger=False)
    publish_metrics(trainer, {"val/loss": torch.tensor(0.5)})
    assert float(trainer.callback_metrics["val/loss"]) == 0.5, (
        "trainer.callback_metrics no longer returns the logger connector's own dict: "
        "see publish_metrics in compat/lightning.py"
    )
    assert float(trainer.logged_metrics["val/loss"]) == 0.5


class _Recording(CheckpointWrites):
    def __init__(self, skip: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.skip, self.asked, self.written = skip, 0, []

    def skips_write(self, trainer: pl.Trainer) -> bool:
        self.asked += 1
        return self.skip or super().skips_write(trainer)

    def write(self, trainer: pl.Trainer, filepath: str) -> None:
        self.written.append(Path(filepath).name)
        super().write(trainer, filepath)


@pytest.mark.parametrize("skip", [False, True])
def test_model_checkpoint_asks_and_writes_through_checkpoint_writes(
    tmp_path: Path, skip: bool
) -> None:
    checkpoint = _Recording(skip, dirpath=tmp_path / "ckpt")
    _fit(tmp_path, [checkpoint], BoringModel())
    assert checkpoint.asked > 0, (
        "ModelCheckpoint no longer asks _should_skip_saving_checkpoint: see CheckpointWrites"
    )
    written = sorted(p.name for p in (tmp_path / "ckpt").glob("*.ckpt"))
    if skip:
        assert checkpoint.written == [] and written == []
        return
    assert written and set(written) <= set(checkpoint.written), (
        "ModelCheckpoint no longer writes through _save_checkpoint: see CheckpointWrites"
    )


def test_mark_saved_stops_model_checkpoint_writing_that_step_again(tmp_path: Path) -> None:
    trainer = _fit(tmp_path, [], BoringModel())
    checkpoint = CheckpointWrites(dirpath=tmp_path / "ckpt")
    assert not checkpoint.skips_write(trainer)
    checkpoint.mark_saved(trainer, str(tmp_path / "held.ckpt"))
    assert checkpoint.skips_write(trainer), (
        "ModelCheckpoint no longer skips a step it recorded in _last_global_step_saved"
    )
    assert checkpoint._last_checkpoint_saved == str(tmp_path / "held.ckpt")
