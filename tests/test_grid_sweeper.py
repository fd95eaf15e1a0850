"""The default sweeper: Hydra's grid of every combination, checking each job shape's config
once before any job runs (a bad option still stops the sweep before its first job)."""

from __future__ import annotations

import errno
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.config import compose_config
from hydra_plugins.experiments_grid_sweeper.grid_sweeper import one_per_shape


def test_the_default_sweeper_is_the_grid_with_the_cheaper_check() -> None:
    cfg = compose_config(["seed=1"], return_hydra_config=True)
    assert cfg.hydra.sweeper._target_.endswith("grid_sweeper.GridSweeper")
    protocol = compose_config(["protocol=fair"], return_hydra_config=True)
    assert protocol.hydra.sweeper._target_.endswith("ProtocolSweeper")  # still replaceable


def test_jobs_that_differ_only_in_numbers_are_checked_once() -> None:
    batch = [
        [f"model={model}", f"seed={seed}", f"optimizer.lr={lr}"]
        for model in ("mlp", "nope") for seed in (0, 1, 2) for lr in (0.1, 1e-3)
    ]  # fmt: skip
    assert list(one_per_shape(batch)) == [batch[0], batch[6]]  # one per model


def test_every_distinct_word_is_checked() -> None:
    batch = [["model=mlp", "+dataset/augment=crop"], ["model=mlp", "+dataset/augment=flip"]]
    assert list(one_per_shape(batch)) == batch
    assert list(one_per_shape([["seed=0"], ["seed=1"], ["~callbacks.x"], ["seed=null"]])) == [
        ["seed=0"],
        ["~callbacks.x"],
    ]


@pytest.mark.slow
def test_a_bad_option_in_a_seed_sweep_stops_it_before_any_job(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "experiments.cli.train", "-m", "model=logreg,nope",
            "seed=0,1", f"output_root={tmp_path}",
        ],
        capture_output=True, text=True, timeout=120, env=os.environ | {"HYDRA_FULL_ERROR": "0"},
    )  # fmt: skip
    assert done.returncode != 0
    assert "Could not find 'model/nope'" in done.stderr + done.stdout
    assert not list(tmp_path.rglob("result.json"))


def test_a_file_hydra_cannot_write_ends_the_sweep_with_one_line(monkeypatch, capsys) -> None:
    def full_disk(self, arguments):
        raise OSError(errno.ENOSPC, "No space left on device", "/out/sweep/job/.hydra/config.yaml")

    # the classes as Hydra's plugin scan left them (it imports the plugin modules again)
    grid_sweeper = importlib.import_module("hydra_plugins.experiments_grid_sweeper.grid_sweeper")
    basic = next(c for c in grid_sweeper.GridSweeper.__mro__ if c.__name__ == "BasicSweeper")
    monkeypatch.setattr(basic, "sweep", full_disk)
    with pytest.raises(SystemExit) as stop:
        grid_sweeper.GridSweeper(max_batch_size=None, params=None).sweep([])
    assert stop.value.code == 1
    assert capsys.readouterr().err == (
        "'/out/sweep/job/.hydra/config.yaml' could not be written: No space left on device\n"
    )
