"""A run made with a relative dataset.path is evaluated and predicted from another folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from experiments.cli.evaluate import evaluate

from ..conftest import train_run
from ..data.test_text import messages


def test_a_relative_data_path_is_recorded_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    messages(tmp_path)  # ./sms/train.csv, ./sms/test.csv
    run = train_run(
        tmp_path / "run", "dataset=csv", "dataset.path=sms", "dataset.task=classification",
        "dataset.target_column=label", "dataset/features=tfidf",
        "dataset.features.text_column=sms", "dataset.features.min_df=1", "model=logreg",
        "trainer.max_epochs=2",
    )  # fmt: skip
    assert OmegaConf.load(run / ".hydra" / "config.yaml").dataset.path == str(tmp_path / "sms")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    report, _ = evaluate(run)
    assert report["same_as_result"] is True
