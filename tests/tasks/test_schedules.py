"""Learning-rate schedules get what the run knows (total steps) and step when told to."""

from __future__ import annotations

from pathlib import Path

import pytest
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
