"""How runs end: the status and one-line reason recorded, also when result.json cannot be
written; which jobs a sweep ran, by launch id rather than by clock."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from experiments.core import train
from experiments.report.sweep_end import CollectResults
from experiments.runs.result import LAUNCH_VARIABLE, record_result, write_result


def test_model_too_large_is_out_of_memory_not_bad_configuration(make_cfg, tmp_path: Path) -> None:
    with pytest.raises(MemoryError, match="out of memory building model 'mlp'"):
        train(make_cfg("model.net.hidden_sizes=[4000000000]"), tmp_path, [])
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "failed"
    assert result["error"].startswith("MemoryError: out of memory building model 'mlp'")
    assert "can't allocate memory" in result["error"] and "\n" not in result["error"]


def test_status_that_cannot_be_written_is_one_line_on_stderr(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    def disk_full(path, text) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("experiments.runs.result.write_atomic", disk_full)
    assert not record_result(tmp_path, {"status": "failed", "error": "OSError: disk full"})
    assert capsys.readouterr().err == (
        f"{tmp_path / 'result.json'} could not be written (No space left on device); "
        "the run is failed: OSError: disk full\n"
    )


def test_sweep_counts_its_own_jobs_by_launch_id_whatever_their_clock(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv(LAUNCH_VARIABLE, "restored-after-the-test")
    config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(tmp_path)}}, "monitor": "val/acc", "monitor_mode": "max"}
    )
    collector = CollectResults()
    collector.on_multirun_start(config)
    behind = "2000-01-01T00:00:00+00:00"  # the job's machine's clock runs far behind
    for seed, status in enumerate(("done", "failed")):
        write_result(
            tmp_path / f"seed={seed}",
            {
                "status": status, "overrides": [f"seed={seed}"], "started": behind,
                "launch": os.environ[LAUNCH_VARIABLE], "metrics": {"val/acc": 0.9},
            },
        )  # fmt: skip
    with pytest.raises(SystemExit) as exit:
        collector.on_multirun_end(config)
    assert exit.value.code == 1
    assert "Jobs: 1 done, 1 failed." in capsys.readouterr().out
