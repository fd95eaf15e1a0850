"""SLURM overhead: a sweep of N tiny jobs through a real SLURM controller on this machine,
side by side with the same sweep in one process (the default launcher).

Each job is digits, linear SVM, one epoch (seeds 0..N-1). For each launcher it reports

    (sweep wall time - sum of the jobs' fit seconds) / N         overhead per job

and, for SLURM, where a job's time goes: the submission (sbatch of the whole array and the
pickles), each job process's start (Python, imports, unpickling, config composition: from
the process start in submitit's log to the run's ``started``), the run itself (``started``
to ``finished``: data, fit, test, files), and the launcher's wait beyond the last job.
These are the numbers the 10,000-job calculation in benchmarks/README.md uses. Needs root and
SLURM (see tests/slurm_cluster.py); the cluster is started for the benchmark and stopped after.

    .venv/bin/python benchmarks/slurm_overhead.py              # N = 100
    .venv/bin/python benchmarks/slurm_overhead.py --jobs 20
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests/
from tests.slurm_cluster import missing_reason, running_cluster

START = re.compile(r"submitit INFO \((.+?)\) - Starting with JobEnvironment")
EXIT = re.compile(r"submitit INFO \((.+?)\) - Exiting after successful completion")


def sweep(jobs: int, out: Path, *launcher: str) -> tuple[float, str]:
    """Wall seconds and output of a sweep of ``jobs`` tiny jobs with ``launcher`` overrides."""
    seeds = ",".join(map(str, range(jobs)))
    command = [
        sys.executable, "-m", "experiments.cli.train", "-m", *launcher, "model=svm_linear",
        "trainer.max_epochs=1", "trainer.enable_checkpointing=false", f"seed={seeds}",
        f"output_root={out}",
    ]  # fmt: skip
    env = os.environ | {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"the sweep failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return time.perf_counter() - start, done.stdout + done.stderr


def results(out: Path) -> list[dict]:
    found = [json.loads(p.read_text()) for p in out.rglob("result.json")]
    assert all(r["status"] == "done" for r in found), [r["status"] for r in found]
    return found


def _time(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def slurm_breakdown(out: Path, wall: float, output: str) -> dict[str, float]:
    """Seconds per job spent starting the job process, in the run, and after it; the
    submission (pickles and sbatch, as the launcher logs it); the launcher's wait beyond the
    last job's exit."""
    (sweep_dir,) = {p.parent.parent for p in out.rglob("result.json")}
    submitted = sweep_dir / "multirun.yaml"
    submission = float(re.search(r"SLURM array\(s\) in ([\d.]+) s", output).group(1))
    starts, exits = {}, {}
    for log in (sweep_dir / ".submitit").glob("*_*/*_0_log.out"):
        text = log.read_text()
        starts[log.parent.name] = _time(START.search(text).group(1))
        exits[log.parent.name] = _time(EXIT.search(text).group(1))
    runs = {}
    for path in sweep_dir.glob("*/result.json"):
        result = json.loads(path.read_text())
        seed = result["seed"]
        runs[seed] = (
            datetime.fromisoformat(result["started"]).timestamp(),
            datetime.fromisoformat(result["finished"]).timestamp(),
        )
    job_of_seed = {}
    for name in starts:
        text = (sweep_dir / ".submitit" / name / f"{name}_0_log.out").read_text()
        job_of_seed[int(re.search(r"seed=(\d+)", text).group(1))] = name
    before = [runs[s][0] - starts[job_of_seed[s]] for s in runs]
    during = [runs[s][1] - runs[s][0] for s in runs]
    after = [exits[job_of_seed[s]] - runs[s][1] for s in runs]
    pickles = [p.stat().st_size for p in (sweep_dir / ".submitit").glob("*_*/*_submitted.pkl")]
    return {
        "submission_s": submission,
        "start_s": statistics.mean(before),
        "run_s": statistics.mean(during),
        "exit_s": statistics.mean(after),
        "process_s": statistics.mean(
            b + d + a for b, d, a in zip(before, during, after, strict=True)
        ),
        "first_start_s": min(starts.values()) - submitted.stat().st_mtime,
        "tail_s": (submitted.stat().st_mtime + wall) - max(exits.values()),
        "pickle_kb": statistics.mean(pickles) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100, help="jobs in each sweep")
    jobs = parser.parse_args().jobs
    reason = missing_reason()
    if reason:
        sys.exit(reason)
    with tempfile.TemporaryDirectory() as tmp, running_cluster(Path(tmp) / "slurm") as cluster:
        os.environ.update(cluster.env)
        sweep(1, Path(tmp) / "warm")  # fills the data cache and the OS file cache
        in_process, _ = sweep(jobs, Path(tmp) / "in_process")
        in_process_fit = sum(r["fit_seconds"] for r in results(Path(tmp) / "in_process"))
        slurm, output = sweep(jobs, Path(tmp) / "slurm", "launcher=slurm")
        slurm_fit = sum(r["fit_seconds"] for r in results(Path(tmp) / "slurm"))
        parts = slurm_breakdown(Path(tmp) / "slurm", slurm, output)
    print(f"{jobs} jobs (digits, svm_linear, 1 epoch); node: {cluster.cpus} CPUs\n")
    print("| launcher | wall s | sum of fit s | (wall - fit) / N | wall / N |")
    print("|---|---|---|---|---|")
    for name, wall, fit in (
        ("in-process", in_process, in_process_fit),
        ("slurm", slurm, slurm_fit),
    ):
        print(
            f"| {name} | {wall:.1f} | {fit:.1f} | {(wall - fit) / jobs:.2f} | {wall / jobs:.2f} |"
        )
    print(
        f"\nSLURM, per job (means): process start to run start {parts['start_s']:.2f} s "
        f"(Python, imports, unpickling, config), run {parts['run_s']:.2f} s (data, fit, test, "
        f"files), run end to process exit {parts['exit_s']:.2f} s; whole process "
        f"{parts['process_s']:.2f} s on one CPU.\nSubmission (grouping, pickles, sbatch): "
        f"{parts['submission_s']:.2f} s; first job started {parts['first_start_s']:.2f} s after "
        f"the sweep began; launcher finished {parts['tail_s']:.2f} s after the last job's exit "
        f"(polling, result collection, leaderboard); pickle per job {parts['pickle_kb']:.0f} KiB."
        f"\nSLURM / in-process wall: {slurm / in_process:.2f}x"
    )


if __name__ == "__main__":
    main()
