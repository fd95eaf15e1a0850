"""Several optimizer steps per Lightning call (``steps_per_call``): the same run as one step
per call, bit for bit on CPU with the same threads; settings it cannot honour are refused."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint, TQDMProgressBar
from torch import nn
from torch.optim import LBFGS, SGD, AdamW
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau
from torchmetrics import MetricCollection

from experiments.config import ConfigError
from experiments.core import train
from experiments.data import TensorBatches
from experiments.tasks.steps import (
    AUTO_MAX,
    grouping_blockers,
    per_batch_hook_users,
    resolve_steps_per_call,
)
from experiments.tasks.supervised import SupervisedTask

# digits: 1077 training rows = 17 batches of 64; 5 per call leaves a short last call of 2.
RUN = ["trainer.max_epochs=2", "trainer.enable_checkpointing=true", "scheduler=cosine"]


def last_checkpoint(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)


def assert_same_training(a: dict, b: dict) -> None:
    assert a["global_step"] == b["global_step"] and a["epoch"] == b["epoch"]
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for key in a["state_dict"]:
        assert torch.equal(a["state_dict"][key], b["state_dict"][key]), key
    moments = [
        (x[k], y[k])
        for x, y in zip(
            a["optimizer_states"][0]["state"].values(),
            b["optimizer_states"][0]["state"].values(),
            strict=True,
        )
        for k in ("exp_avg", "exp_avg_sq", "step")
    ]
    assert all(torch.equal(x, y) for x, y in moments)
    assert a["optimizer_states"][0]["param_groups"] == b["optimizer_states"][0]["param_groups"]
    assert a["lr_schedulers"] == b["lr_schedulers"]
    # the logging step of the epoch metrics (TensorBoard's x axis, resume's purge_step)
    loop = "epoch_loop.state_dict"
    assert a["loops"]["fit_loop"][loop] == b["loops"]["fit_loop"][loop]


def test_grouped_steps_train_exactly_like_one_step_per_call(make_cfg, tmp_path) -> None:
    runs = {}
    for setting in (1, "auto", 5):
        run_dir = tmp_path / str(setting)
        result = train(make_cfg(*RUN, f"steps_per_call={setting}"), run_dir, [])
        runs[setting] = (result["metrics"], last_checkpoint(run_dir))
    metrics, checkpoint = runs[1]
    assert checkpoint["global_step"] == 2 * 17
    for setting in ("auto", 5):
        assert runs[setting][0] == metrics, setting
        assert_same_training(runs[setting][1], checkpoint)


def test_grouped_steps_step_a_per_step_schedule_like_one_step_per_call(make_cfg, tmp_path) -> None:
    # one_cycle: stepped after every optimizer step, sized by the run's total steps
    runs = [
        train(make_cfg(*RUN, "scheduler=one_cycle", f"steps_per_call={k}"), tmp_path / str(k), [])
        for k in (1, 5)
    ]
    assert runs[0]["metrics"] == runs[1]["metrics"]
    assert_same_training(last_checkpoint(tmp_path / "1"), last_checkpoint(tmp_path / "5"))


def test_grouped_steps_resume_to_the_uninterrupted_weights(make_cfg, tmp_path) -> None:
    # cut after 1 of the 2 epochs (max_steps, so that the cosine schedule stays that of 2)
    train(make_cfg(*RUN, "+trainer.max_steps=17"), tmp_path / "cut", [])
    resumed = train(make_cfg(*RUN, "resume=true"), tmp_path / "cut", [])
    whole = train(make_cfg(*RUN, "steps_per_call=1"), tmp_path / "whole", [])
    assert resumed["metrics"] == whole["metrics"]
    assert_same_training(last_checkpoint(tmp_path / "cut"), last_checkpoint(tmp_path / "whole"))


def test_auto_groups_up_to_an_epoch_and_at_most_auto_max() -> None:
    assert resolve_steps_per_call("auto", 17, []) == 17
    assert resolve_steps_per_call("auto", 500, []) == AUTO_MAX
    assert resolve_steps_per_call(4, 500, []) == 4


@pytest.mark.parametrize(
    ("trainer", "optimizer", "scheduler", "reason"),
    [
        ({"gradient_clip_val": 1.0}, AdamW, None, "trainer.gradient_clip_val=1.0: Lightning"),
        ({"accumulate_grad_batches": 4}, AdamW, None, "trainer.accumulate_grad_batches=4"),
        ({"strategy": "ddp", "devices": 2}, AdamW, None, "sync gradients once per forward"),
        ({}, LBFGS, None, "LBFGS re-evaluates the loss through a closure"),
        ({}, SGD, ReduceLROnPlateau, "ReduceLROnPlateau steps on a validation metric"),
    ],
)
def test_what_cannot_be_grouped_falls_back_to_one_step_or_is_refused(
    trainer, optimizer, scheduler, reason, caplog
) -> None:
    blockers = grouping_blockers(trainer, optimizer, scheduler)
    with caplog.at_level(logging.INFO, logger="experiments.tasks.steps"):
        assert resolve_steps_per_call("auto", 17, blockers) == 1
    assert "steps_per_call=1 (auto)" in caplog.text and reason in caplog.text
    with pytest.raises(ConfigError, match="use steps_per_call=1") as refused:
        resolve_steps_per_call(8, 17, blockers)
    assert reason in str(refused.value)
    assert resolve_steps_per_call(1, 17, blockers) == 1


def test_the_default_trainer_and_optimizers_group() -> None:
    assert grouping_blockers({"devices": 1, "max_epochs": 30}, AdamW, CosineAnnealingLR) == []


@pytest.mark.parametrize("setting", [0, -2, "many", 1.5, True])
def test_bad_steps_per_call_is_refused(setting) -> None:
    with pytest.raises(ConfigError, match="steps_per_call: expected auto or a positive integer"):
        resolve_steps_per_call(setting, 17, [])


def test_grouped_batches_are_the_same_batches_in_lists() -> None:
    inputs, targets = torch.arange(11.0)[:, None], torch.arange(11)  # batches of 3, 3, 3, 2
    one = TensorBatches(inputs, targets, batch_size=3, shuffle=True, seed=1)
    grouped = TensorBatches(inputs, targets, batch_size=3, shuffle=True, seed=1, steps_per_call=3)
    groups = list(grouped)
    assert len(grouped) == 2 and [len(g) for g in groups] == [3, 1]
    flat = [batch for group in groups for batch in group]
    assert all(
        torch.equal(x, y) and torch.equal(t, u) for (x, t), (y, u) in zip(flat, one, strict=True)
    )


class BatchCounter(pl.Callback):
    """Records the batch each ``on_train_batch_end`` call is given (in `SEEN`)."""

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        SEEN.append(batch)


SEEN: list = []


def test_a_per_batch_callback_sees_every_batch_under_auto(make_cfg, tmp_path, caplog) -> None:
    SEEN.clear()
    counter = "+callbacks.counter={_target_:tests.tasks.test_steps.BatchCounter}"
    with caplog.at_level(logging.INFO, logger="experiments.tasks.steps"):
        train(make_cfg("trainer.max_epochs=3", "steps_per_call=auto", counter), tmp_path, [])
    assert len(SEEN) == 3 * 17  # one call per optimizer step, as Lightning promises
    assert all(isinstance(inputs, torch.Tensor) for inputs, _ in SEEN)
    assert (
        "steps_per_call=1 (auto): callback BatchCounter implements on_train_batch_end, "
        "which Lightning calls once per batch" in caplog.text
    )


class EveryBatchTask(SupervisedTask):
    def on_train_batch_start(self, batch, batch_idx) -> None:
        pass


def test_only_per_batch_hooks_of_the_users_own_block_grouping() -> None:
    task = EveryBatchTask(nn.Linear(2, 2), nn.MSELoss(), SGD, None, MetricCollection({}))
    callbacks = [TQDMProgressBar(), ModelCheckpoint(), BatchCounter()]
    assert per_batch_hook_users(task, callbacks) == [
        "model.task EveryBatchTask implements on_train_batch_start, which Lightning calls "
        "once per batch",
        "callback BatchCounter implements on_train_batch_end, which Lightning calls once per batch",
    ]
