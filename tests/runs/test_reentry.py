from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.config.errors import ConfigError
from experiments.runs.reentry import child_environment, reentry_argv

from ..conftest import run_cli_commands

JOB = "/out/sweep/model=mlp,seed=1"


def run_folder(tmp_path: Path, *overrides: str) -> Path:
    (tmp_path / ".hydra").mkdir(parents=True)
    lines = "".join(f"- {json.dumps(o)}\n" for o in overrides)  # JSON strings are YAML strings
    (tmp_path / ".hydra" / "overrides.yaml").write_text(lines)
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


# A run folder from elsewhere: its recorded overrides are data (runs/reentry.py: checked).
VICTIM = "/tmp/experiments-test-victim.txt"
POISONED = {
    "nested target": f"model.net.dropout={{_target_:numpy.savetxt,fname:{VICTIM},X:[[1]]}}",
    "target key": "+dataset.features.scale._target_=builtins.open",
    "hydra callback": f"+hydra.callbacks.evil={{_target_:numpy.savetxt,fname:{VICTIM},X:[[1]]}}",
    "config file outside": "model=../../../../tmp/evil/net",
    "interpolation": "+model.net.dropout._target_=${oc.env:EVIL_TARGET}",
}


@pytest.mark.parametrize("key", ["resume", "rerun"])
@pytest.mark.parametrize("override", POISONED.values(), ids=POISONED.keys())
def test_recorded_overrides_that_could_run_code_are_refused(tmp_path: Path, key, override) -> None:
    folder = run_folder(tmp_path, "model=mlp", override)
    with pytest.raises(ConfigError, match=r"overrides\.yaml: '.*': ") as raised:
        reentry_argv(["prog", f"{key}={folder}"], {})
    assert len(raised.value.problems) == 1


def test_trust_names_a_labs_package_and_is_not_recorded(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "model.net={_target_:mylab.nets.Net}", "trust=[other]")
    with pytest.raises(ConfigError, match=r"'mylab\.nets\.Net' is not a class .* trust=\[mylab\]"):
        reentry_argv(["prog", f"resume={folder}"], {})
    argv = reentry_argv(["prog", f"resume={folder}", "trust=[mylab,x]"], {})
    assert argv[1] == "model.net={_target_:mylab.nets.Net}"
    assert not any(a.startswith("trust=") for a in argv)


def test_group_options_and_plain_values_pass(tmp_path: Path) -> None:
    recorded = ["experiment=tuned/cats_dogs_cnn", "dataset/features=tfidf", "output_root=../runs",
                "dataset.path=../data/x.csv", "~callbacks.early_stopping", "+metrics.kappa="
                "{_target_:torchmetrics.classification.MulticlassCohenKappa,_partial_:true}"]  # fmt: skip
    argv = reentry_argv(["prog", f"rerun={run_folder(tmp_path, *recorded)}"], {})
    assert argv == ["prog", *recorded]


@pytest.mark.slow
def test_resume_of_a_poisoned_folder_writes_nothing(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    folder = run_folder(
        tmp_path / "run", f"model.net.dropout={{_target_:numpy.savetxt,fname:{victim},X:[[1]]}}"
    )
    ((code, out, err),) = run_cli_commands(
        [["experiments-train", f"resume={folder}"]], tmp_path / "cli"
    )
    assert code == 2 and "numpy.savetxt' is not a class experiments trusts" in err, out + err
    assert "Traceback" not in err and not victim.exists()
    assert sorted(p.name for p in folder.iterdir()) == [".hydra"]


def test_a_ddp_child_keeps_the_users_config_folders() -> None:
    environ = child_environment(Path(JOB), ["dataset=moons"]) | {"LOCAL_RANK": "1"}
    argv = reentry_argv(
        ["prog", "--config-dir", "mylab/conf", "-m", "dataset=moons", "-cn=train",
         "hydra.searchpath=[pkg://lab.conf]", "trainer=ddp_cpu", "hydra.run.dir=x"],
        environ,
    )  # fmt: skip
    assert argv[:5] == [
        "prog", "--config-dir", "mylab/conf", "-cn=train", "hydra.searchpath=[pkg://lab.conf]"
    ]  # fmt: skip
    assert argv[5] == "dataset=moons" and "-m" not in argv and "trainer=ddp_cpu" not in argv
