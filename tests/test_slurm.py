"""Sweeps through a real SLURM controller on this machine (`tests/slurm_cluster.py`): array
jobs, a failing and a cancelled job, DDP inside a SLURM job, an Optuna search whose trials
are SLURM jobs, several search workers on one journal-file study, and a re-run that skips
the done jobs. Skipped, with how to install SLURM, where it is missing."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from experiments.search.storage import open_storage

from . import slurm_cluster

QUICK = ("trainer.max_epochs=1", "trainer.enable_checkpointing=false")
# One cluster per session: `make test` distributes tests by file (pytest-xdist's loadfile),
# so every SLURM test runs in the worker that started the cluster.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[slurm_cluster.Cluster]:
    """A one-node SLURM cluster for the session; clients find it through SLURM_CONF."""
    reason = slurm_cluster.missing_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("slurm")
    with slurm_cluster.running_cluster(folder) as cluster, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLURM_CONF", str(cluster.conf))
        yield cluster


def start(*args: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "experiments.cli.train", "-m", "launcher=slurm", *args,
         f"output_root={out}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ,
    )  # fmt: skip


def sweep(*args: str, out: Path, timeout: float = 480) -> tuple[int, str]:
    """Run ``experiments-train -m launcher=slurm ARGS``: its exit status and output."""
    process = start(*args, out=out)
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def sweep_of(output: str) -> Path:
    (line,) = [line for line in output.splitlines() if line.startswith("Results: ")]
    return Path(line.removeprefix("Results: ")).parent


def results(folder: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in folder.glob("*/result.json")}


def array_tasks(folder: Path) -> list[str]:
    """The SLURM array tasks that ran jobs of the sweep in ``folder`` (submitit's folders)."""
    return sorted(p.name for p in (folder / ".submitit").iterdir() if "_" in p.name and p.is_dir())


def squeue(*args: str) -> list[str]:
    done = subprocess.run(["squeue", "--noheader", *args], capture_output=True, text=True)
    return done.stdout.split()


def job_ids() -> set[str]:
    """Every job the controller knows: queued, running, and ended within its MinJobAge."""
    return set(squeue("--states=all", "--format=%i"))


def test_sweep_with_a_failing_job_then_rerun_skips_done(slurm, tmp_path: Path) -> None:
    # A negative learning rate fails in the job (torch refuses it); the others finish.
    code, output = sweep("model=logreg", "optimizer.lr=-1,0.01,0.03", *QUICK, out=tmp_path)
    assert code == 1, output[-3000:]
    folder = sweep_of(output)
    jobs = results(folder)
    assert len(jobs) == 3
    statuses = {name: job["status"] for name, job in jobs.items()}
    assert sorted(statuses.values()) == ["done", "done", "failed"], statuses
    assert all(("optimizer.lr=-1" in name) == (s == "failed") for name, s in statuses.items())
    assert "Jobs: 2 done, 1 failed." in output
    table = (folder / "results.csv").read_text().splitlines()
    assert len(table) == 4 and {"job", "status", "model", "optimizer.lr", "test/acc"} <= set(
        table[0].split(",")
    )
    assert (folder / "leaderboard.md").is_file()
    # Each job ran as a task of one SLURM array (submitit's folders are <array>_<task>).
    tasks = array_tasks(folder)
    assert len({t.split("_")[0] for t in tasks}) == 1 and len(tasks) == 3, tasks

    rerun = shlex.split(output.split("Re-run just those with:\n")[1].splitlines()[0])
    assert rerun[-1] == f"hydra.sweep.dir={folder}"
    done_before = {n: j for n, j in jobs.items() if j["status"] == "done"}
    command = [sys.executable, "-m", "experiments.cli.train", *rerun[1:]]  # the hint, as printed
    done = subprocess.run(command, capture_output=True, text=True, timeout=480)
    code, output = done.returncode, done.stdout + done.stderr
    assert code == 1, output[-3000:]
    assert "Jobs: 2 skipped (done earlier), 1 failed." in output
    assert {n: j for n, j in results(folder).items() if n in done_before} == done_before
    # The done jobs were skipped before submission: only the failed one ran again.
    assert "submitted 1 job(s) as 1 SLURM array(s)" in output


def test_cancelled_job_is_recorded_failed_and_the_sweep_ends(slurm, tmp_path: Path) -> None:
    # No accounting on this cluster: sacct cannot say that the job ended; squeue can.
    forever = "trainer.max_epochs=100000"
    known = job_ids()  # an earlier test's array task may still be ending
    # an MLP: the convex models stop once converged, whatever the epoch ceiling
    process = start("model=mlp", f"trainer.max_epochs=1,{forever.split('=')[1]}",
                    "trainer.enable_checkpointing=false", out=tmp_path)  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not list(tmp_path.glob(f"*/*/*{forever}*/result.json")):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.5)
        tasks = set(squeue("--array", "--format=%i")) - known
        (task,) = [t for t in tasks if t.endswith("_1")]
        subprocess.run(["scancel", task], check=True)
        output, _ = process.communicate(timeout=100)
    finally:
        process.kill()
    assert process.returncode == 1, output[-3000:]
    folder = sweep_of(output)
    jobs = results(folder)
    (cancelled,) = [job for name, job in jobs.items() if forever in name]
    assert cancelled["status"] == "failed"
    assert f"SLURM job {task} ended CANCELLED" in cancelled["error"]
    assert [job["status"] for name, job in jobs.items() if forever not in name] == ["done"]
    assert (folder / "results.csv").is_file()
    assert "1 job(s) failed" in output and "Re-run just those with:" in output


def test_ddp_job_runs_one_task_per_process(slurm, tmp_path: Path) -> None:
    code, output = sweep("trainer=ddp_cpu", "model=mlp", *QUICK, out=tmp_path)
    assert code == 0, output[-3000:]
    folder = sweep_of(output)
    (name,) = results(folder)
    job = folder / name
    assert results(folder)[name]["status"] == "done"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == [".submitit", name, "plots"]
    sbatch = next((folder / ".submitit").glob("*/*_submission.sh")).read_text()
    assert "#SBATCH --ntasks-per-node=2" in sbatch and "#SBATCH --cpus-per-task=1" in sbatch
    # Rank 1 logs apart: run.log holds rank zero's lines once, not every line twice.
    assert (job / "run.log").read_text().count("done in") == 1
    assert (job / "run.rank1.log").read_text().count("done in") == 1


def test_impossible_request_names_the_setting(slurm, tmp_path: Path) -> None:
    # An earlier test's job may still be ending (its result read, its processes exiting):
    # what matters is that this sweep submitted none.
    known = job_ids()
    code, output = sweep("model=logreg", f"threads={slurm.cpus + 1}", *QUICK, out=tmp_path)
    assert code == 2, output[-3000:]
    assert "lower threads or trainer.devices" in output
    assert "Traceback" not in output
    assert job_ids() <= known


def test_optuna_search_trials_run_as_slurm_jobs(slurm, tmp_path: Path) -> None:
    # Two batches: the second launch finds the first's results and must still run its trial.
    code, output = sweep(
        "hparams_search=mlp_digits", "hydra.sweeper.n_trials=3", "hydra.sweeper.n_jobs=2",
        *QUICK, out=tmp_path,
    )  # fmt: skip
    assert code == 0, output[-3000:]
    search = tmp_path / "search" / "mlp_digits"
    assert {job["status"] for job in results(search).values()} == {"done"}
    assert sorted(results(search)) == ["trial_0", "trial_1", "trial_2"]
    assert len(array_tasks(search)) == 2  # the second batch's one job is no array task
    assert OmegaConf.load(search / "best_trial.yaml").trials_finished == 3


def test_search_workers_share_one_journal_study(slurm, tmp_path: Path) -> None:
    """Two search processes at once, each a SLURM job, on one study in a journal file: every
    trial is run once, in its own folder, and none is lost."""
    search = tmp_path / "search" / "shared"
    storage = f"journal:{search}/study.log"
    search.mkdir(parents=True)
    worker = " ".join([
        sys.executable, "-m", "experiments.cli.train", "-m", "hparams_search=optuna",
        "search.study_name=shared", f"search.storage={storage}", "model=svm_linear",
        "'optimizer.lr=tag(log, interval(1e-3, 1e-1))'", "hydra.sweeper.n_trials=4",
        *QUICK, f"output_root={tmp_path}",
    ])  # fmt: skip
    ids = [
        subprocess.run(
            ["sbatch", "--parsable", "--cpus-per-task=1", f"--output={search}/worker_%j.out",
             f"--wrap={worker}"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        for _ in range(2)
    ]  # fmt: skip
    deadline = time.monotonic() + 480
    while set(ids) & set(squeue("--format=%i")):
        assert time.monotonic() < deadline, "search workers did not end"
        time.sleep(1)
    logs = "\n".join(p.read_text() for p in search.glob("worker_*.out"))
    import optuna

    study = optuna.load_study(study_name="shared", storage=open_storage(storage))
    trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert len(trials) >= 4, logs[-3000:]
    assert sorted(numbers) == list(range(len(trials)))  # none repeated
    assert {t.state.name for t in trials} == {"COMPLETE"}, logs[-3000:]
    jobs = results(search)
    assert sorted(jobs) == sorted(f"trial_{n}" for n in numbers)  # none lost
    assert {job["status"] for job in jobs.values()} == {"done"}
