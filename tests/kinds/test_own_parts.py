"""A lab's own LightningModule, data loader and metric plug in by `_target_` and still get
data linking, seeds, results and the leaderboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.config import ConfigError
from experiments.core import train

KAPPA = "+metrics.kappa={_target_:torchmetrics.classification.MulticlassCohenKappa,_partial_:true}"
BLOBS = [
    "dataset=csv",
    "dataset.source={_target_:tests.kinds.lab_parts.blobs,_partial_:true,rows:200}",
    "dataset.task=classification",
    "dataset.target_column=label",
]


def test_own_metric_is_logged_and_monitored_by_every_kind(make_cfg, tmp_path: Path) -> None:
    monitored = make_cfg(
        KAPPA, "monitor=val/kappa", "model=logreg", "trainer.max_epochs=5", fast=False
    )
    network = train(monitored, tmp_path / "a", [])
    estimator = train(make_cfg(KAPPA, "model=sk_logreg"), tmp_path / "b", [])
    for result in (network, estimator):
        assert 0.85 <= result["metrics"]["test/kappa"] <= 1.0
    assert (tmp_path / "a" / "checkpoints" / "best.ckpt").is_file()


def test_an_own_metric_may_not_take_a_built_in_name(make_cfg, tmp_path: Path) -> None:
    own_acc = KAPPA.replace("+metrics.kappa", "+metrics.acc")
    with pytest.raises(ConfigError, match=r"metrics.acc: every classification run logs 'acc'"):
        train(make_cfg(own_acc, "model=sk_logreg"), tmp_path, [])
    assert json.loads((tmp_path / "result.json").read_text())["status"] == "failed"


def test_own_task_and_own_data_loader(make_cfg, tmp_path: Path) -> None:
    task = "+model.task={_target_:tests.kinds.lab_parts.StepCountingTask,_partial_:true}"
    cfg = make_cfg(*BLOBS, task, "model=mlp", "trainer.max_epochs=3", "dataset.batch_size=40")
    result = train(cfg, tmp_path, [])
    assert result["metrics"]["train/steps"] == 3.0  # 120 train rows / 40 per batch
    assert result["metrics"]["test/acc"] >= 0.95
