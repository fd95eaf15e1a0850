"""`experiments-train -m ... protocol=fair` from the shell: the folders and records of both
phases, a re-run that skips everything, and bad input that stops before any job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..data.test_ratings import write_ratings

MODELS = ("logreg", "sk_naive_bayes")


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "experiments.cli.train", "-m", *arguments],
        capture_output=True, text=True, timeout=600, env=os.environ,
    )  # fmt: skip


@pytest.mark.slow
def test_protocol_runs_both_phases_in_named_folders_and_resumes(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    command = [
        "protocol=fair", f"model={','.join(MODELS)}", "protocol.trials=2", "protocol.splits=2",
        "protocol.seeds=1", "trainer.max_epochs=1", "trainer.enable_checkpointing=false",
        f"hydra.sweep.dir={sweep}",
    ]  # fmt: skip
    done = run(*command, "launcher=parallel")
    assert done.returncode == 0, done.stderr[-3000:]

    results = {
        str(path.parent.relative_to(sweep)): json.loads(path.read_text())
        for path in sweep.rglob("result.json")
    }
    assert sorted(results) == sorted(
        [f"search/{m}/trial_{k}" for m in MODELS for k in (0, 1)]
        + [f"final/{m}/split_{r},seed_0" for m in MODELS for r in (0, 1)]
    )
    assert all(result["status"] == "done" for result in results.values())
    for model in MODELS:
        search = [results[f"search/{model}/trial_{k}"] for k in (0, 1)]
        assert search[0]["protocol"] == {
            "phase": "search", "model": model, "trial": 0, "params": {}, "split_seed": 0, "seed": 0,
        }  # fmt: skip
        assert search[1]["protocol"]["params"]  # a draw from the model's search space
        chosen = max(search, key=lambda r: (r["metrics"]["val/acc"], -r["protocol"]["trial"]))
        for split in (0, 1):
            final = results[f"final/{model}/split_{split},seed_0"]["protocol"]
            assert final == chosen["protocol"] | {"phase": "final", "split_seed": split}

    again = run(*command)  # the default launcher: done jobs are found by their folders
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Jobs: 8 skipped (done earlier)." in again.stdout


@pytest.mark.slow
def test_bad_protocol_input_stops_before_any_job(tmp_path: Path) -> None:
    done = run(
        "protocol=fair", "model=mlp", "protocol.trials=0", "protocol.rope=-0.5",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
    )  # fmt: skip
    assert done.returncode == 2
    for problem in (
        "model: a protocol compares several models, got mlp",
        "protocol.trials: expected a positive integer, got 0",
        "protocol.rope: expected a number >= 0 or null, got -0.5",
    ):
        assert problem in done.stdout + done.stderr
    assert not list(tmp_path.rglob("result.json"))


@pytest.mark.slow
def test_protocol_compares_recommenders_on_a_ratings_table(tmp_path: Path) -> None:
    """Ratings data has no dataset.task: the protocol takes the monitor its command names."""
    table = write_ratings(tmp_path / "data")
    done = run(
        "protocol=fair", "model=bias,mf", "dataset=ratings", f"dataset.path={table}",
        "dataset.user_column=uid", "dataset.item_column=iid", "dataset.rating_column=stars",
        "monitor=val/rmse", "monitor_mode=min", "protocol.trials=1", "protocol.splits=1",
        "protocol.seeds=1", "trainer.max_epochs=2", "trainer.enable_checkpointing=false",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Jobs: 4 done." in done.stdout
    assert (tmp_path / "sweep" / "report.md").is_file()
