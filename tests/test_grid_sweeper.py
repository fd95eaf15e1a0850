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
from hydra import compose, initialize_config_dir

from experiments.config import compose_config
from hydra_plugins.experiments_grid_sweeper.grid_sweeper import data_problems, one_per_shape


def test_the_default_sweeper_is_the_grid_with_the_cheaper_check() -> None:
    cfg = compose_config(["seed=1"], return_hydra_config=True)
    assert cfg.hydra.sweeper._target_.endswith("grid_sweeper.GridSweeper")
    protocol = compose_config(["protocol=fair"], return_hydra_config=True)
    assert protocol.hydra.sweeper._target_.endswith("ProtocolSweeper")  # still replaceable


def test_another_hydra_app_in_the_environment_keeps_hydras_basic_sweeper(tmp_path: Path) -> None:
    importlib.import_module("hydra_plugins.experiments_grid_sweeper.grid_sweeper")
    (tmp_path / "app.yaml").write_text("lr: 0.1\n")
    with initialize_config_dir(config_dir=str(tmp_path), version_base="1.3"):
        cfg = compose("app", overrides=["lr=0.2"], return_hydra_config=True)
    assert cfg.hydra.sweeper._target_ == "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


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


def configs(*common: str, model: str = "svm_linear,logreg,mlp") -> list:
    """One composed config per job of ``-m model=... seed=0,1 *common``."""
    return [
        compose_config([*common, f"model={name}", f"seed={seed}"])
        for name in model.split(",") for seed in (0, 1)
    ]  # fmt: skip


def test_models_that_do_not_fit_the_data_are_said_once_with_the_fix() -> None:
    problems = data_problems(configs("experiment=svm_vs_deep", "dataset=diabetes"))
    assert problems == [
        "model 'svm_linear' supports classification only, but the data is a regression task "
        "(dataset.task)",
        "model 'logreg' supports classification only, but the data is a regression task "
        "(dataset.task)",
        "the data is a regression task: for its models, experiment=regression",
    ]
    (estimator,) = data_problems(configs("dataset=diabetes", model="sk_svc"))[:1]
    assert estimator.startswith("model 'sk_svc' is a scikit-learn classifier (SVC)")


def test_a_dataset_problem_is_said_once_for_all_jobs() -> None:
    problems = data_problems(configs("dataset.features.image_column=imag"))
    assert len(problems) == 1 and "no column 'imag' (did you mean 'image'?)" in problems[0]
    assert data_problems(configs()) == []


@pytest.mark.slow
def test_a_sweep_of_models_that_cannot_fit_the_data_runs_no_job(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "experiments.cli.train", "-m", "experiment=svm_vs_deep",
            "dataset=diabetes", f"hydra.sweep.dir={tmp_path / 'sweep'}",
        ],
        capture_output=True, text=True, timeout=300, env=os.environ,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert output.count("supports classification only") == 2 and "Traceback" not in output
    assert "experiment=regression" in output and "Re-run" not in output
    assert not list(tmp_path.rglob("result.json"))
