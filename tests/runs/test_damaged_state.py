"""Damaged or foreign state in a run folder: warned about and worked around, never a crash
and never a silent result."""

from __future__ import annotations

import json
import logging
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.cli.compare import main as compare
from experiments.config.errors import ConfigError
from experiments.io.process import process_identity
from experiments.report.summary import summarize
from experiments.report.table import find_results
from experiments.runs.config_folder import is_done
from experiments.runs.reentry import reentry_argv
from experiments.runs.result import RESULT_FILE, read_result, write_result

from .test_table import fake_sweep

DAMAGED = {
    "invalid bytes": b'{"status": "done", "metrics": {"test/acc": 0.9\xff\xfe}}',
    "a list": b'["done"]',
    "a number": b"1",
    "cut": b'{"status": "do',
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_result_reads_as_unfinished_with_a_warning(tmp_path: Path, content, caplog) -> None:
    (tmp_path / RESULT_FILE).write_bytes(content)
    with caplog.at_level(logging.WARNING):
        result = read_result(tmp_path)
    assert result["status"] == "failed" and "unreadable result.json" in result["error"]
    assert "treated as unfinished" in caplog.text
    assert not is_done(tmp_path)  # a re-run of the sweep runs it again


def test_compare_goes_on_past_damaged_results(tmp_path: Path, capsys) -> None:
    sweep = fake_sweep(tmp_path / "sweep")
    for name, content in DAMAGED.items():
        (sweep / name).mkdir()
        (sweep / name / RESULT_FILE).write_bytes(content)
    assert compare([str(sweep), "--metric", "val/acc"]) == 0
    out = capsys.readouterr().out
    assert "Leaderboard (11 runs" in out and out.count("unreadable result.json") == 4


def test_running_status_of_a_gone_process_reads_as_interrupted(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    write_result(
        tmp_path / "gone",
        {"status": "running", "process": {"pid": gone.pid, "host": platform.node()}},
    )
    write_result(tmp_path / "alive", {"status": "running", "process": process_identity()})
    write_result(
        tmp_path / "elsewhere", {"status": "running", "process": {"pid": 1, "host": "node-7"}}
    )
    statuses = {path.name: result["status"] for path, result in find_results([tmp_path])}
    assert statuses == {"alive": "running", "elsewhere": "running", "gone": "interrupted"}
    assert (
        f"process {gone.pid} on {platform.node()} ended" in read_result(tmp_path / "gone")["error"]
    )


def test_orphan_temporaries_of_a_killed_summary_are_removed(tmp_path: Path) -> None:
    sweep = fake_sweep(tmp_path)
    orphan = sweep / ".leaderboard.md.abc123.tmp"
    orphan.write_text("half a table")
    summarize([sweep], "val/acc", "max", sweep)
    assert not orphan.exists() and (sweep / "leaderboard.md").is_file()


def run_with_overrides(run_dir: Path, in_file: str, in_result: list[str]) -> Path:
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text(in_file)
    write_result(run_dir, {"status": "running", "overrides": in_result})
    return run_dir


def test_cut_overrides_file_is_refused_on_resume(tmp_path: Path) -> None:
    recorded = ["seed=3", "dataset.batch_size=16", "resume=true"]
    run_dir = run_with_overrides(tmp_path / "run", "- seed=3\n", recorded[:2])
    with pytest.raises(ConfigError, match=r"does not match the overrides in .*result\.json"):
        reentry_argv(["prog", f"resume={run_dir}"], {})
    (run_dir / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in recorded))
    argv = reentry_argv(["prog", f"resume={run_dir}"], {})
    assert argv[1:3] == ["seed=3", "dataset.batch_size=16"]
    (run_dir / ".hydra" / "overrides.yaml").write_bytes(b"- seed=3\n- \xff: [\n")
    with pytest.raises(ConfigError, match=r"overrides\.yaml: unreadable"):
        reentry_argv(["prog", f"rerun={run_dir}"], {})


def test_result_json_records_the_process(tmp_path: Path) -> None:
    identity = process_identity()
    assert identity["host"] == platform.node() and isinstance(identity["pid"], int)
    assert json.loads(json.dumps(identity)) == identity
