"""The monitor follows the task unless set, and a monitor the run will not log fails first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.config.errors import ConfigError
from experiments.core import train
from experiments.tasks.monitor import logged_metrics, resolve_monitor

from ..conftest import compose_config, train_run

CLASSIFICATION = logged_metrics("classification", with_loss=True)


@pytest.mark.parametrize(
    ("monitor", "mode", "task", "expected"),
    [
        ("auto", "auto", "classification", ("val/acc", "max")),
        ("auto", "auto", "regression", ("val/rmse", "min")),
        ("val/loss", "auto", "classification", ("val/loss", "min")),
        ("val/f1", "min", "classification", ("val/f1", "min")),  # an explicit mode stays
    ],
)
def test_monitor_follows_the_task_unless_set(monitor, mode, task, expected) -> None:
    logged = logged_metrics(task, with_loss=True)
    assert resolve_monitor(monitor, mode, task, logged) == expected


def test_a_monitor_the_run_does_not_log_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"does not log 'val/kapa' \(did you mean 'val/acc'\?\)"):
        resolve_monitor("val/kapa", "max", "classification", CLASSIFICATION)
    estimator = logged_metrics("classification", with_loss=False)
    with pytest.raises(ConfigError, match="does not log 'val/loss'"):
        resolve_monitor("val/loss", "min", "classification", estimator)


def test_a_regression_csv_trains_with_the_default_monitor(tmp_path: Path) -> None:
    table = tmp_path / "houses.csv"
    rows = [f"{area},{rooms},{1000 * area + 5000 * rooms}" for area in range(40, 100, 2)
            for rooms in (1, 2, 3)]  # fmt: skip
    table.write_text("area,rooms,price\n" + "\n".join(rows) + "\n")
    run = train_run(
        tmp_path / "run", "dataset=csv", f"dataset.path={table}", "dataset.task=regression",
        "dataset.target_column=price", "model=linear_regression", "trainer.max_epochs=2",
    )  # fmt: skip
    result = json.loads((run / "result.json").read_text())
    assert result["status"] == "done"
    assert (result["monitor"], result["monitor_mode"]) == ("val/rmse", "min")
    assert (run / "checkpoints" / "best.ckpt").is_file()


def test_a_misspelled_monitor_fails_before_training(tmp_path: Path) -> None:
    cfg = compose_config(["monitor=val/kapa", "trainer.max_epochs=1"])
    with pytest.raises(ConfigError, match="did you mean 'val/acc'"):
        train(cfg, tmp_path, ["monitor=val/kapa"])
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "failed" and not (tmp_path / "checkpoints").exists()
