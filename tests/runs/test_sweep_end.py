"""The end of a sweep: a summary and a non-zero exit whenever a job or the summary failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from experiments.report import sweep_end
from experiments.report.sweep_end import CollectResults
from experiments.runs.result import write_result

from ..config.test_job_name import LONG_CALLBACK


@pytest.mark.slow
def test_all_jobs_failing_exits_1_with_summary_and_one_level_job_folders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable, "-m", "experiments.cli.train", "-m", "model=mlp,logreg",
            "optimizer.lr=-1", "monitor=val/acc", LONG_CALLBACK, f"output_root={out}",
        ],
        capture_output=True, text=True, timeout=240, env=os.environ,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Jobs: 2 failed." in done.stdout
    assert "2 job(s) failed" in done.stdout and "Re-run just those with:" in done.stdout
    assert "hydra.sweep.dir=" in done.stdout
    assert "raised" not in done.stderr  # no callback exception turned into a warning
    (sweep,) = (out / "default").iterdir()
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert [p.name.split(",")[1:] for p in jobs] == [["model=logreg", "monitor=val%2Facc",
        "optimizer.lr=-1"], ["model=mlp", "monitor=val%2Facc", "optimizer.lr=-1"]]  # fmt: skip
    for job in jobs:
        result = json.loads((job / "result.json").read_text())
        assert result["status"] == "failed"
        assert LONG_CALLBACK in result["overrides"] and "monitor=val/acc" in result["overrides"]
        assert LONG_CALLBACK in OmegaConf.load(job / ".hydra" / "overrides.yaml")
    assert (sweep / "results.csv").is_file()


def test_a_failing_summary_exits_1_and_still_counts_the_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("dtype 'str' does not support operation 'mean'")

    monkeypatch.setattr(sweep_end, "summarize", broken)
    end = CollectResults()
    end.launch = "this-launch"
    (tmp_path / "job").mkdir()
    write_result(tmp_path / "job", {"status": "done", "launch": end.launch})
    config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(tmp_path)}}, "monitor": "val/acc", "monitor_mode": "max"}
    )
    with pytest.raises(SystemExit) as exit_:
        end.on_multirun_end(config)
    assert exit_.value.code == 1
    printed = capsys.readouterr().out
    assert "Jobs: 1 done." in printed
    assert "could not be written (TypeError: dtype 'str'" in printed


def _done(folder: Path, launch: str, overrides: list[str], metrics: dict) -> None:
    write_result(
        folder,
        {"status": "done", "launch": launch, "overrides": overrides, "metrics": metrics,
         "monitor": "val/acc", "monitor_mode": "max"},
    )  # fmt: skip


def _end_of(sweep: Path, launch: str) -> None:
    end = CollectResults()
    end.launch = launch
    config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(sweep)}}, "monitor": "auto", "monitor_mode": "auto"}
    )
    end.on_multirun_end(config)


def test_a_plain_sweep_ends_with_what_one_split_says(tmp_path: Path, capsys) -> None:
    kappa = "+metrics.kappa={_target_:torchmetrics.classification.MulticlassCohenKappa}"
    for model, val in (("svm_linear", 0.95), ("mlp", 0.97)):
        for lr in ("0.1", "0.01"):
            overrides = ["experiment=spam", kappa, f"model={model}", f"optimizer.lr={lr}", "seed=0"]
            _done(tmp_path / f"{model},{lr}", "now", overrides, {"val/acc": val + float(lr)})
    _end_of(tmp_path, "now")
    printed = capsys.readouterr().out
    closing = printed.split("Jobs: 4 done.\n\n")[1].split(f"\n\nLeaderboard: {tmp_path}")[0]
    assert " ".join(closing.split()).startswith(  # wrapped: compare the words
        "With these settings and one split, model=mlp,optimizer.lr=0.1 leads on val/acc, which "
        "its test rows cannot confirm or refute (no test_predictions.npz to test on);"
    )
    # The overrides as written (a + kept), the models swept, the seed left to the protocol,
    # the whole command on the last line.
    assert closing.rstrip().splitlines()[-1] == (
        f"  experiments-train -m experiment=spam '{kappa}' model=mlp,svm_linear protocol=fair "
        "once per value of optimizer.lr"
    )
    assert (tmp_path / "leaderboard.md").read_text().rstrip().endswith(closing.rstrip())


def test_runs_of_two_tasks_get_their_table_but_no_leaderboard(tmp_path: Path, capsys) -> None:
    _done(tmp_path / "a", "now", ["dataset=digits", "model=mlp"], {"val/acc": 0.9, "test/acc": 0.9})
    _done(tmp_path / "b", "now", ["dataset=diabetes", "model=mlp"], {"val/rmse": 55.0})
    _end_of(tmp_path, "now")  # the jobs did their work: no failure exit
    printed = capsys.readouterr().out
    assert (
        "No leaderboard: the runs are of several tasks (classification: 1 run, regression: "
        "1 run): a leaderboard ranks one task's runs on that task's metrics" in printed
    )
    assert (tmp_path / "results.csv").is_file() and not (tmp_path / "leaderboard.md").exists()
    assert "Jobs: 2 done." in printed
