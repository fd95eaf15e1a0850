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
