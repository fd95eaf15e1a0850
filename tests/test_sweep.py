"""Multiruns from the shell: one folder per job, one results table, user config folders."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import compose_config

WIDE_MLP = """\
name: wide_mlp
net:
  _target_: experiments.models.MLP
  _partial_: true
  hidden_sizes: [512]
loss:
  classification:
    _target_: torch.nn.CrossEntropyLoss
C: null
"""


def write_user_config(folder: Path) -> Path:
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "wide_mlp.yaml").write_text(WIDE_MLP)
    return folder


def test_user_config_folder_adds_a_model(tmp_path: Path) -> None:
    user = write_user_config(tmp_path / "my_conf")
    cfg = compose_config([f"hydra.searchpath=[file://{user}]", "model=wide_mlp"])
    assert cfg.model.net.hidden_sizes == [512]


@pytest.mark.slow
def test_multirun_writes_every_job_and_one_results_table(tmp_path: Path) -> None:
    user = write_user_config(tmp_path / "my_conf")
    done = subprocess.run(
        [
            sys.executable, "-m", "experiments.cli.train", "--config-dir", str(user), "-m",
            "model=svm_linear,wide_mlp", "seed=0,1", "trainer.max_epochs=3",
            f"output_root={tmp_path / 'out'}",
        ],
        capture_output=True, text=True, timeout=300, env=os.environ,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (sweep,) = (tmp_path / "out" / "default").iterdir()
    jobs = sorted(p.name for p in sweep.iterdir() if (p / "result.json").is_file())
    assert jobs == [  # named from the job's overrides
        f"model={model},seed={seed},trainer.max_epochs=3"
        for model in ("svm_linear", "wide_mlp") for seed in (0, 1)
    ]  # fmt: skip
    for job in jobs:
        result = json.loads((sweep / job / "result.json").read_text())
        assert result["status"] == "done"
        assert (sweep / job / "run.log").stat().st_size > 0
        assert list((sweep / job / "tb").glob("events.out.tfevents.*"))
    with (sweep / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["job"] for row in rows] == jobs
    assert {"job", "status", "model", "seed", "test/acc", "fit_seconds", "n_params"} <= set(rows[0])
    assert "| model" in (sweep / "leaderboard.md").read_text()
    assert f"tensorboard --logdir {sweep}" in done.stdout
    assert "wide_mlp" in done.stdout and "svm_linear" in done.stdout
