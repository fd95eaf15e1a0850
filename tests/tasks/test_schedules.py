"""Learning-rate schedules get what the run knows (total steps) and step when told to."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from experiments.config import ConfigError
from experiments.core import train
from experiments.kinds.network_build import build_scheduler

from ..conftest import compose_config


def test_one_cycle_receives_the_runs_total_steps() -> None:
    schedule = build_scheduler(compose_config(["scheduler=one_cycle"]).scheduler)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = schedule.create(optimizer, total_steps=170, epochs=10)
    assert scheduler.total_steps == 170 and schedule.interval == "step"


class LearningRates(pl.Callback):
    """Records the learning rate as each epoch starts and as training ends (in `RATES`)."""

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        RATES.append(trainer.optimizers[0].param_groups[0]["lr"])

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        RATES.append(trainer.optimizers[0].param_groups[0]["lr"])


RATES: list[float] = []


@pytest.mark.parametrize(("scheduler", "steps"), [("cosine", 1), ("one_cycle", 17)])
def test_the_learning_rate_moves_as_scheduled(make_cfg, tmp_path: Path, scheduler, steps) -> None:
    """The lr at each epoch's start and at the end is the schedule's after as many steps
    (``steps`` per epoch: cosine steps per epoch, one-cycle per batch; digits: 17 batches)."""
    RATES.clear()
    record = "+callbacks.lrs={_target_:tests.tasks.test_schedules.LearningRates}"
    cfg = make_cfg(f"scheduler={scheduler}", "model=mlp", "trainer.max_epochs=2", record)
    train(cfg, tmp_path, [])
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=cfg.optimizer.lr)
    schedule = build_scheduler(cfg.scheduler).create(optimizer, total_steps=34, epochs=2)
    expected = []
    for _ in range(3):
        expected.append(optimizer.param_groups[0]["lr"])
        for _ in range(steps if len(expected) < 3 else 0):
            optimizer.step()
            schedule.step()
    assert pytest.approx(expected, rel=1e-6) == RATES
    assert RATES[0] != RATES[1] != RATES[2]


@pytest.mark.parametrize("scheduler", ["one_cycle", "plateau", "cosine"])
def test_every_schedule_trains(make_cfg, tmp_path: Path, scheduler: str) -> None:
    """ReduceLROnPlateau needs its monitor, OneCycleLR its total steps: both come from the
    config and the run, not from hand-worked numbers."""
    cfg = make_cfg(f"scheduler={scheduler}", "model=mlp", "trainer.max_epochs=2")
    assert train(cfg, tmp_path, [])["status"] == "done"


def test_unknown_schedule_setting_is_named() -> None:
    cfg = compose_config(["scheduler=cosine", "+scheduler.intervall=step"])
    with pytest.raises(
        ConfigError,
        match=r"scheduler\.intervall: not a scheduler setting \(did you mean .interval.\?\)",
    ):
        build_scheduler(cfg.scheduler)
