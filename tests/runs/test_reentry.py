from __future__ import annotations

from pathlib import Path

import pytest

from experiments.config.errors import ConfigError
from experiments.runs.reentry import child_environment, reentry_argv

JOB = "/out/sweep/model=mlp,seed=1"


def run_folder(tmp_path: Path, *overrides: str) -> Path:
    (tmp_path / ".hydra").mkdir(parents=True)
    (tmp_path / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    return tmp_path


def test_ddp_child_of_a_sweep_runs_only_its_job() -> None:
    environ = child_environment(Path(JOB), ["model=mlp", "seed=1"]) | {"LOCAL_RANK": "1"}
    argv = reentry_argv(["prog", "-m", "model=mlp,logreg", "seed=0,1", "hydra.run.dir=x"], environ)
    assert argv[:3] == ["prog", "model=mlp", "seed=1"]
    assert "-m" not in argv and "model=mlp,logreg" not in argv
    assert f"hydra.run.dir='{JOB}'" in argv  # quoted: job folder names hold = and ,
    assert "hydra.output_subdir=null" in argv


def test_rank_zero_and_plain_runs_are_left_alone() -> None:
    environ = child_environment(Path(JOB), ["model=mlp"])
    argv = ["prog", "-m", "model=mlp,logreg"]
    assert reentry_argv(argv, environ | {"LOCAL_RANK": "0"}) == argv
    assert reentry_argv(argv, environ) == argv
    assert reentry_argv(["prog", "resume=true"], {}) == ["prog", "resume=true"]


def test_resume_a_run_folder_with_its_recorded_overrides(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "model=svm_linear", "seed=3", "resume=true")
    argv = reentry_argv(["prog", f"resume={folder}", "threads=2"], {})
    assert argv == [
        "prog", "model=svm_linear", "seed=3", "threads=2", f"hydra.run.dir='{folder}'", "resume=true",
    ]  # fmt: skip


def test_rerun_repeats_the_overrides_in_a_new_folder(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "model=mlp", "seed=2")
    assert reentry_argv(["prog", f"rerun={folder}"], {}) == ["prog", "model=mlp", "seed=2"]


@pytest.mark.parametrize("key", ["resume", "rerun"])
def test_a_folder_that_is_not_a_run_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError, match=r"not a run folder \(no .*overrides.yaml\)"):
        reentry_argv(["prog", f"{key}={tmp_path}"], {})
