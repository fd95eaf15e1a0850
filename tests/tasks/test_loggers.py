"""The run's loggers: TensorBoard, CSV and MLflow, one or several at once; images and HPARAMS
only where a logger takes them, resume's purge_step only to TensorBoard."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger

from experiments.config import compose_config
from experiments.core import train
from experiments.tasks.loggers import build_loggers, image_writers


def test_csv_and_tensorboard_log_one_run_at_once(make_cfg, tmp_path: Path) -> None:
    result = train(make_cfg("logger=[tensorboard,csv]"), tmp_path, [])
    assert result["status"] == "done"
    with open(tmp_path / "csv" / "metrics.csv") as file:
        rows = list(csv.DictReader(file))
    logged = [float(row["val/acc"]) for row in rows if row.get("val/acc")]
    assert logged and logged[-1] == result["metrics"]["val/acc"]
    assert any(row.get("test/acc") for row in rows)
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))  # images and HPARAMS there


def test_csv_alone_trains_and_tests_a_classifier_of_images(make_cfg, tmp_path: Path) -> None:
    result = train(make_cfg("logger=csv"), tmp_path, [])  # digits: images, a confusion matrix
    assert result["status"] == "done" and (tmp_path / "csv" / "metrics.csv").is_file()
    assert not (tmp_path / "tb").exists()


def test_mlflow_logs_into_a_local_store(make_cfg, tmp_path: Path) -> None:
    MlflowClient = pytest.importorskip("mlflow.tracking").MlflowClient  # an optional extra

    root = tmp_path / "outputs"
    cfg = make_cfg("logger=mlflow", f"output_root={root}", "experiment_name=mine")
    result = train(cfg, tmp_path / "run", [])
    client = MlflowClient(f"sqlite:///{root}/mlflow.db")
    experiment = client.get_experiment_by_name("mine")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.metrics["val/acc"] == result["metrics"]["val/acc"]
    assert run.data.metrics["test/acc"] == result["metrics"]["test/acc"]


def test_resume_purges_only_tensorboard(tmp_path: Path) -> None:
    node = compose_config(["logger=[tensorboard,csv]"]).logger
    tensorboard, csv_logger = build_loggers(node, tmp_path, purge_step=5)
    assert isinstance(tensorboard, TensorBoardLogger) and isinstance(csv_logger, CSVLogger)
    assert tensorboard._kwargs["purge_step"] == 5
    assert image_writers([tensorboard, csv_logger]) == [tensorboard.experiment]


def test_lightning_pytorch_targets_build_pytorch_lightning_loggers(tmp_path: Path) -> None:
    node = OmegaConf.create(
        {"csv": {"_target_": "lightning.pytorch.loggers.CSVLogger", "_partial_": True}}
    )
    (logger,) = build_loggers(node, tmp_path, purge_step=None)
    assert isinstance(logger, CSVLogger)
    assert node.csv._target_ == "lightning.pytorch.loggers.CSVLogger"  # the config unchanged
