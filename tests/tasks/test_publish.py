"""Epoch metrics of a fit go to the callbacks and the loggers without Lightning's self.log."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from experiments.tasks.publish import EpochMetricsPublisher


class RecordingLogger:
    def __init__(self) -> None:
        self.logged: list[tuple[dict[str, float], int]] = []
        self.saves = 0

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        self.logged.append((metrics, step))

    def save(self) -> None:
        self.saves += 1


def fitting_trainer(logger: RecordingLogger, **state) -> SimpleNamespace:
    defaults = {"sanity_checking": False, "current_epoch": 0, "global_step": 17}
    return SimpleNamespace(
        callback_metrics={}, logged_metrics={}, loggers=[logger], **(defaults | state)
    )


def test_callbacks_and_loggers_get_the_epoch_values_at_the_epochs_last_step() -> None:
    logger = RecordingLogger()
    trainer = fitting_trainer(logger, current_epoch=1, global_step=34)
    values = {"val/acc": torch.tensor(0.75), "val/loss": torch.tensor(0.5)}
    EpochMetricsPublisher()(trainer, values)
    assert trainer.callback_metrics == values and trainer.logged_metrics == values
    assert logger.logged == [({"val/acc": 0.75, "val/loss": 0.5, "epoch": 1}, 33)]


def test_loggers_save_at_most_once_per_save_seconds() -> None:
    logger = RecordingLogger()
    publish = EpochMetricsPublisher(save_seconds=3600)
    for epoch in range(5):
        trainer = fitting_trainer(logger, current_epoch=epoch, global_step=17 * (epoch + 1))
        publish(trainer, {"train/loss": torch.tensor(1.0 / (epoch + 1))})
    assert [step for _, step in logger.logged] == [16, 33, 50, 67, 84]
    assert logger.saves == 1  # the first epoch; Lightning's finalize saves the rest
    EpochMetricsPublisher(save_seconds=0)(fitting_trainer(logger), {"a": torch.tensor(1.0)})
    assert logger.saves == 2


def test_the_sanity_check_reaches_the_callbacks_only() -> None:
    logger = RecordingLogger()
    trainer = fitting_trainer(logger, sanity_checking=True)
    EpochMetricsPublisher()(trainer, {"val/acc": torch.tensor(0.5)})
    assert trainer.callback_metrics == {"val/acc": torch.tensor(0.5)}
    assert logger.logged == [] and logger.saves == 0
