"""Sweeps from the shell: a failing job, the summary and exit code, a re-run that skips the
done jobs, same-second launches, the parallel and SLURM (local) launchers, HPARAMS records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

# An SVM whose C is 0 fails its config check; fixed between the two launches.
FLAKY = "defaults:\n  - svm_linear\n  - _self_\nname: flaky\nC: {C}\n"
QUICK = "trainer.max_epochs=2"  # also in every job name


def launch(*args: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "experiments.cli.train", "-m", *args, QUICK, f"output_root={out}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ,
    )  # fmt: skip


def finish(process: subprocess.Popen) -> tuple[int, str]:
    stdout, stderr = process.communicate(timeout=240)
    return process.returncode, stdout + stderr


def results(sweep: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sweep.glob("*/result.json")}


def job(model: str, seed: int) -> str:
    """A job's folder name: its overrides, sorted."""
    return f"model={model},seed={seed},{QUICK}"


def sweep_of(output: str) -> Path:
    (line,) = [line for line in output.splitlines() if line.startswith("Results: ")]
    return Path(line.removeprefix("Results: ")).parent


@pytest.mark.slow
def test_failed_job_reruns_alone_and_launchers_work(tmp_path: Path) -> None:
    user = tmp_path / "conf"
    (user / "model").mkdir(parents=True)
    (user / "model" / "flaky.yaml").write_text(FLAKY.format(C=0))
    out = tmp_path / "out"
    sweep_args = ("--config-dir", str(user), "model=logreg,flaky", "seed=0,1")
    # Two launches in the same second (both start now) must not share a folder.
    first = launch(*sweep_args, out=out)
    parallel = launch("launcher=parallel", "model=svm_linear,mlp", out=out)
    code, output = finish(first)
    parallel_code, parallel_output = finish(parallel)

    sweep = sweep_of(output)
    assert code == 1, output[-3000:]
    jobs = results(sweep)
    assert sorted(jobs) == [job(m, s) for m in ("flaky", "logreg") for s in (0, 1)]
    for seed in (0, 1):
        assert jobs[job("logreg", seed)]["status"] == "done"
        failed = jobs[job("flaky", seed)]
        assert failed["status"] == "failed"
        assert failed["error"] == "ConfigError: model.C: expected a positive number, got 0"
        log = (sweep / job("flaky", seed) / "run.log").read_text()
        assert "model.C: expected a positive number, got 0" in log
    assert "Jobs: 2 done, 2 failed." in output
    assert f"failed {job('flaky', 0)}: ConfigError: model.C" in output
    rerun_line = output.split("Re-run just those with:\n")[1].splitlines()[0].strip()
    assert rerun_line.endswith(f"hydra.sweep.dir={sweep}")

    assert parallel_code == 0, parallel_output[-3000:]
    parallel_sweep = sweep_of(parallel_output)
    assert parallel_sweep != sweep and parallel_sweep.parent == sweep.parent
    assert "Jobs: 2 done." in parallel_output
    assert "at a time, on worker processes" in parallel_output  # launcher=parallel
    for model in ("svm_linear", "mlp"):
        name = f"model={model},{QUICK}"
        events = EventAccumulator(str(parallel_sweep / name / "tb"))
        events.Reload()
        plugin = events.PluginTagToContent("hparams")
        start = plugin_data_pb2.HParamsPluginData.FromString(plugin["_hparams_/session_start_info"])
        assert start.session_start_info.hparams["model.name"].string_value == model
        final = results(parallel_sweep)[name]["metrics"]["test/acc"]
        assert events.Scalars("test/acc")[-1].value == pytest.approx(final)

    # Fix the config; the same command into the same folder re-runs only the failed jobs,
    # while a sweep on submitit's local executor (the SLURM launcher's code path) runs beside it.
    (user / "model" / "flaky.yaml").write_text(FLAKY.format(C=1))
    done_before = {name: r for name, r in jobs.items() if r["status"] == "done"}
    again = launch(*sweep_args, f"hydra.sweep.dir={sweep}", out=out)
    slurm = launch("launcher=slurm_local", "model=svm_linear", out=out)
    code, output = finish(again)
    slurm_code, slurm_output = finish(slurm)

    assert code == 0, output[-3000:]
    assert "Jobs: 2 done, 2 skipped (done earlier)." in output
    assert output.count("skipped, already done") == 2
    jobs = results(sweep)
    assert all(result["status"] == "done" for result in jobs.values())
    assert {name: jobs[name] for name in done_before} == done_before  # untouched
    log = (sweep / job("flaky", 0) / "run.log").read_text()
    assert log.index("expected a positive number, got 0") < log.index("done in")
    assert "| flaky |" in (sweep / "leaderboard.md").read_text()

    assert slurm_code == 0, slurm_output[-3000:]
    slurm_sweep = sweep_of(slurm_output)
    assert (slurm_sweep / ".submitit").is_dir()
    assert [r["status"] for r in results(slurm_sweep).values()] == ["done"]
