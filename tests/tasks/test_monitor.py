"""The monitor follows the task unless set, and a monitor the run will not log fails first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from experiments.config.errors import ConfigError
from experiments.core import train
from experiments.report.table import find_results, leaderboard, results_frame
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
        ("val/r2", "auto", "regression", ("val/r2", "max")),
        ("val/mae", "auto", "regression", ("val/mae", "min")),
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


# An error rate of the user's own: torchmetrics says lower is better (higher_is_better=False).
HAMMING = "{_target_:torchmetrics.classification.MulticlassHammingDistance,_partial_:true}"
OWN_ERROR = {"hamming": {"_target_": "torchmetrics.classification.MulticlassHammingDistance",
                         "_partial_": True}}  # fmt: skip


def test_an_own_metric_gives_its_direction() -> None:
    logged = logged_metrics("classification", with_loss=True, extra=["hamming"])
    assert resolve_monitor("val/hamming", "auto", "classification", logged, OWN_ERROR) == (
        "val/hamming", "min",
    )  # fmt: skip
    kappa = {"kappa": {"_target_": "torchmetrics.classification.MulticlassCohenKappa",
                       "_partial_": True}}  # fmt: skip
    assert resolve_monitor("val/kappa", "auto", "classification", None, kappa)[1] == "max"


def test_a_monitor_of_unknown_direction_needs_a_mode() -> None:
    # torchmetrics.MeanMetric sets no higher_is_better: neither direction can be assumed.
    mean = {"mean": {"_target_": "torchmetrics.MeanMetric", "_partial_": True}}
    with pytest.raises(ConfigError, match="nothing says whether a higher or a lower 'val/mean'"):
        resolve_monitor("val/mean", "auto", "classification", None, mean)
    assert resolve_monitor("val/mean", "min", "classification", None, mean) == ("val/mean", "min")
    with pytest.raises(ConfigError, match="set monitor_mode=max or monitor_mode=min"):
        resolve_monitor("val/custom", "auto", "classification", None)  # a lab's own task's name


def test_an_own_error_metric_keeps_the_lowest_epoch_and_ranks_low_first(tmp_path: Path) -> None:
    for model in ("mlp", "logreg"):
        train_run(
            tmp_path / model, f"model={model}", f"+metrics.hamming={HAMMING}",
            "monitor=val/hamming", "trainer.max_epochs=4", "optimizer.lr=0.003",
        )  # fmt: skip
    run = tmp_path / "mlp"
    result = json.loads((run / "result.json").read_text())
    assert result["monitor_mode"] == "min"
    events = EventAccumulator(str(run / "tb"))
    events.Reload()
    errors = [event.value for event in events.Scalars("val/hamming")]
    best = torch.load(run / "checkpoints" / "best.ckpt", weights_only=True, map_location="cpu")
    (state,) = (v for k, v in best["callbacks"].items() if "'monitor': 'val/hamming'" in k)
    assert len(errors) == 4 and float(state["best_model_score"]) == pytest.approx(min(errors))
    frame = results_frame(find_results([tmp_path]))
    board = leaderboard(frame, "val/hamming", result["monitor_mode"], ["model"])
    assert board["val/hamming mean"].is_monotonic_increasing  # the lowest error ranks first
