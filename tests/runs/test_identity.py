"""A job's identity: a folder's finished run answers only the job it was made for (issue 27:
another experiment in the same folder, data that changed, debug runs)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from sklearn.datasets import load_wine

from experiments.core.job import Job, start
from experiments.report.table import find_results
from experiments.runs.identity import debug_settings, differences, identity_of, job_identity
from experiments.runs.result import read_result

from ..conftest import compose_config, run_sweeps

QUICK = ("trainer.max_epochs=2", "trainer.enable_checkpointing=false")


def run(run_dir: Path, *overrides: str, in_sweep: bool = False) -> dict:
    """One job into ``run_dir`` as ``experiments-train`` runs it (skip, set aside, train)."""
    cfg = compose_config([*QUICK, *overrides])
    return start(cfg, Job(run_dir=run_dir, in_sweep=in_sweep, overrides=list(overrides)))


def replaced(run_dir: Path) -> list[dict]:
    """The results set aside in ``run_dir``, oldest first."""
    return [read_result(folder) for folder in sorted((run_dir / ".replaced").iterdir())]


def wine_csv(path: Path, zeroed: int = 0) -> Path:
    """scikit-learn's wine table as a CSV, its first ``zeroed`` feature columns set to 0."""
    table = load_wine(as_frame=True).frame
    table.iloc[:, :zeroed] = 0.0
    table.to_csv(path, index=False)
    return path


def test_another_experiment_in_a_finished_folder_runs_and_sets_the_old_run_aside(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "run"
    digits = run(folder, "experiment=svm_vs_deep", "model=mlp")
    regression = run(folder, "experiment=regression", "model=mlp")
    assert "test/acc" in digits["metrics"]
    assert regression["status"] == "done" and "test/rmse" in regression["metrics"]
    assert read_result(folder)["metrics"] == regression["metrics"]
    assert OmegaConf.load(folder / ".hydra" / "config.yaml").dataset.name == "diabetes"
    (old,) = replaced(folder)
    assert old["metrics"] == digits["metrics"]
    assert [run_dir for run_dir, _ in find_results([tmp_path])] == [folder]  # not the old one
    # The same job again is done: skipped, nothing more set aside.
    again = run(folder, "experiment=regression", "model=mlp")
    assert again == read_result(folder) and len(replaced(folder)) == 1


def test_resume_into_a_finished_run_of_another_job_refuses(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    logreg = run(folder, "model=logreg")
    with pytest.raises(SystemExit) as stop:
        run(folder, "model=mlp", "resume=true")
    assert stop.value.code == 2
    assert read_result(folder) == logreg and not (folder / ".replaced").exists()


def test_changed_data_is_another_job_and_a_touch_is_not(tmp_path: Path) -> None:
    data = wine_csv(tmp_path / "wine.csv")
    args = (
        "dataset=csv", f"dataset.path={data}", "dataset.task=classification",
        "dataset.target_column=target", "model=logreg",
    )  # fmt: skip
    folder = tmp_path / "sweep" / "model=logreg"
    first = run(folder, *args, in_sweep=True)
    wine_csv(data, zeroed=4)
    second = run(folder, *args, in_sweep=True)
    old, new = first["identity"]["data"], second["identity"]["data"]
    assert old["rows"] != new["rows"] and old["id"] != new["id"]
    assert [result["identity"] for result in replaced(folder)] == [first["identity"]]
    os.utime(data)  # the same bytes, a new modification time: the same data
    assert run(folder, *args, in_sweep=True) == read_result(folder) == second


def test_debug_run_is_recorded_as_debug_and_never_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    first = run(folder, "+trainer.fast_dev_run=true")
    assert first["status"] == "debug" and first["debug"] == ["trainer.fast_dev_run=True"]
    assert read_result(folder)["status"] == "debug"
    (folder / "result.json").rename(folder / "first.json")
    run(folder, "+trainer.fast_dev_run=true")  # not skipped: it runs again
    assert read_result(folder)["status"] == "debug"


@pytest.mark.parametrize(
    ("settings", "debug"),
    [
        ({"fast_dev_run": 1}, ["trainer.fast_dev_run=1"]),
        ({"fast_dev_run": False, "limit_train_batches": 1.0}, []),
        ({"limit_val_batches": 0.25}, ["trainer.limit_val_batches=0.25"]),
        ({"limit_test_batches": 3}, ["trainer.limit_test_batches=3"]),
        ({"overfit_batches": 0.0}, []),
    ],
)
def test_debug_settings(settings: dict, debug: list[str]) -> None:
    assert debug_settings(OmegaConf.create(settings)) == debug


def test_identity_leaves_out_where_and_how_a_run_is_written(tmp_path: Path) -> None:
    base = identity_of(compose_config(["model=logreg"]))
    moved = identity_of(
        compose_config(
            ["model=logreg", f"output_root={tmp_path}", "experiment_name=x", "progress_bar=true",
             f"dataset.cache_dir={tmp_path}", "resume=true", "steps_per_call=1"]
        )
    )  # fmt: skip
    assert moved["id"] == base["id"]
    for changed in ("seed=1", "threads=2", "dataset.split_seed=1", "model.C=2"):
        other = identity_of(compose_config(["model=logreg", changed]))
        assert other["id"] != base["id"], changed
    # Only what chooses the scored rows changes the data id that leaderboards group by.
    assert (
        identity_of(compose_config(["dataset.batch_size=8"]))["data"]["id"] == (base["data"]["id"])
    )
    assert (
        identity_of(compose_config(["dataset.split_seed=1"]))["data"]["id"] != (base["data"]["id"])
    )


def test_differences_name_the_data_and_the_keys_broadest_first() -> None:
    old = job_identity({"model": {"name": "logreg", "C": 1.0}}, {"source": "a", "rows": "r1"})
    new = job_identity({"model": {"name": "mlp"}, "x": 1}, {"source": "a", "rows": "r2"})
    assert differences(old, new) == [
        "data: a [r1] -> a [r2]",
        "x: (unset) -> 1",
        "model.C: 1.0 -> (unset)",
        'model.name: "logreg" -> "mlp"',
    ]
    assert differences(old, old) == []
    assert differences(None, new) == [
        "identity: none recorded (the run was made before runs recorded one)"
    ]


@pytest.mark.slow
def test_sweep_of_another_experiment_into_a_sweep_folder_runs_its_jobs(tmp_path: Path) -> None:
    job = ("model=mlp", "seed=0", "trainer.max_epochs=1")
    ran = run_sweeps(
        {
            "digits": ["experiment=svm_vs_deep", *job],
            "digits_again": ["experiment=regression", *job],
        },
        tmp_path,
    )
    code, out, err, sweep = ran["digits_again"]
    assert code == 0, out + err
    assert "Jobs: 1 done." in out and "skipped" not in out
    assert "held a finished run of another job" in out + err
    (result,) = [result for _, result in find_results([sweep])]
    assert "test/rmse" in result["metrics"]
    assert "test/acc" not in (sweep / "leaderboard.md").read_text()
    folder = sweep / "model=mlp,seed=0,trainer.max_epochs=1"
    hydra = OmegaConf.load(folder / ".hydra" / "hydra.yaml")
    assert "experiment=regression" in hydra.hydra.overrides.task
    assert json.loads(next((folder / ".replaced").glob("*/result.json")).read_text())[
        "dataset"
    ] == ("digits")
