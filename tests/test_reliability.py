"""Crash and resume, rerun, and DDP inside a sweep: subprocess runs (slow tier)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from experiments.core import train

from .conftest import compose_config, run_cli_commands
from .runs.test_checkpoints import garble

# last.ckpt every epoch (not at most once a second): the kill waits for the second one.
RUN = ["model=mlp", "trainer.max_epochs=20", "seed=4", "callbacks.last_checkpoint.min_seconds=0"]


def cli(*arguments: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "experiments.cli.train", *arguments],
        capture_output=True, text=True, timeout=timeout, env=os.environ,
    )  # fmt: skip


def kill_after_second_checkpoint(arguments: list[str], run_root: Path) -> Path:
    """Start a run, SIGKILL it once it has saved two checkpoints, return its folder."""
    process = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli.train", *arguments],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(run_root.rglob("last.prev.ckpt")) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    (checkpoint,) = run_root.rglob("last.prev.ckpt")
    return checkpoint.parent.parent


def scalar_steps(run_dir: Path, tag: str) -> list[int]:
    events = EventAccumulator(str(run_dir / "tb"))
    events.Reload()
    return [event.step for event in events.Scalars(tag)]


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_numbers(tmp_path: Path) -> None:
    run_dir = kill_after_second_checkpoint([*RUN, f"output_root={tmp_path}"], tmp_path)
    assert json.loads((run_dir / "result.json").read_text())["status"] == "running"
    garble(run_dir / "checkpoints" / "last.ckpt")  # e.g. a bit flip on the shared disk

    # Resume it, resume it again (refused: done), and re-run its config: one child process.
    resumed, refused, repeated = run_cli_commands(
        [["experiments-train", f"resume={run_dir}"], ["experiments-train", f"resume={run_dir}"],
         ["experiments-train", f"rerun={run_dir}", f"output_root={tmp_path / 'again'}"]],
        tmp_path / "cli",
    )  # fmt: skip
    assert resumed[0] == 0, resumed[2][-3000:]
    assert "last.ckpt does not match its recorded checksum" in resumed[1] + resumed[2]
    assert "resuming from the previous checkpoint" in resumed[1] + resumed[2]
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "done"
    reference = train(compose_config(RUN), tmp_path / "reference", RUN)
    assert result["metrics"] == reference["metrics"]  # exact: deterministic CPU, same threads
    steps = scalar_steps(run_dir, "val/acc")
    assert len(steps) == len(set(steps)) == 20, "no epoch logged twice or lost"

    assert refused[0] == 2
    assert "has finished (result.json says done); nothing to resume" in refused[1] + refused[2]

    assert repeated[0] == 0, repeated[2][-3000:]
    (again,) = (tmp_path / "again").rglob("result.json")
    assert json.loads(again.read_text())["metrics"] == reference["metrics"]


@pytest.mark.slow
def test_ddp_inside_a_sweep_trains_each_job_once(tmp_path: Path) -> None:
    done = cli(
        # adamw: L-BFGS, the convex models' default, runs in one process only
        "-m", "model=mlp,logreg", "optimizer=adamw", "trainer=ddp_cpu", "trainer.max_epochs=2",
        f"output_root={tmp_path}", timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (sweep,) = (tmp_path / "default").iterdir()  # no stray folder from the child ranks
    jobs = sorted(p for p in sweep.iterdir() if (p / ".hydra").is_dir())
    assert [job.name for job in jobs] == [
        "model=logreg,optimizer=adamw,trainer.max_epochs=2,trainer=ddp_cpu",
        "model=mlp,optimizer=adamw,trainer.max_epochs=2,trainer=ddp_cpu",
    ]
    for job in jobs:
        result = json.loads((job / "result.json").read_text())
        assert result["status"] == "done" and result["metrics"]["test/acc"] > 0.5
        writers = {path.name.split(".")[-2] for path in (job / "tb").glob("events.out.tfevents.*")}
        assert len(writers) == 1, "one process (rank zero) writes events"
        assert scalar_steps(job, "val/acc") == sorted(set(scalar_steps(job, "val/acc")))


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_no_claimed_file(tmp_path: Path) -> None:
    """A disk full from the start (one line naming the folder, exit 1), and one that fills
    during a sweep (the job fails with one line; no "Results:" for a table not written)."""
    full, small = tmp_path / "full", tmp_path / "small"
    for folder, size in ((full, "128k"), (small, "150k")):
        folder.mkdir()
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
        )
        if mounted.returncode:
            pytest.skip("cannot mount a tmpfs here")
    try:
        (full / "filler").write_bytes(b"\0" * 120 * 1024)
        ran = run_cli_commands(
            [
                ["experiments-train", "model=sk_naive_bayes", f"output_root={full}"],
                ["experiments-train", "-m", "model=sk_naive_bayes", f"hydra.sweep.dir={full}/s"],
                ["experiments-train", "-m", "seed=0,1", "model=sk_naive_bayes", f"hydra.sweep.dir={small}/s"],
            ],
            tmp_path / "cli",
        )  # fmt: skip
        csv_written = (small / "s" / "results.csv").is_file()
    finally:
        for folder in (full, small):
            subprocess.run(["umount", "-l", str(folder)], check=False)
    for code, out, err in ran:
        assert code == 1 and "Traceback" not in out + err, out + err
    for _, out, err in ran[:2]:
        assert (out + err).strip().count("\n") == 0
        assert f"cannot write the run folder '{full}/" in err and "No space left on device" in err
    out = ran[2][1] + ran[2][2]
    assert "No space left on device" in out and ("Results: " in out) == csv_written


@pytest.mark.slow
def test_ddp_children_compose_from_the_users_config_folder(tmp_path: Path) -> None:
    conf = tmp_path / "mylab" / "conf" / "dataset"
    conf.mkdir(parents=True)
    (conf / "moons.yaml").write_text(
        "defaults: [_base, {features: table}, _self_]\n"
        "name: moons\nsource: builtin:breast_cancer\ntask: classification\ntarget_column: target\n"
    )
    done = cli(
        "--config-dir", str(conf.parent), "dataset=moons", "trainer=ddp_cpu",
        "trainer.max_epochs=1", f"hydra.run.dir={tmp_path / 'run'}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((tmp_path / "run" / "result.json").read_text())["status"] == "done"
