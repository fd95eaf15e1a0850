"""`SlurmLauncher`: Hydra's submitit SLURM launcher, made to finish.

What it changes (hydra-submitit-launcher 1.2 waits on ``sacct``, asks the same resources
for every run, and raises on the first job that did not return):

- Each job asks what its run needs (`resources.job_request`): DDP runs get one task per
  process; jobs that need different resources go in separate arrays. A request no node of
  the partition has is refused before submission with one message naming the setting.
- Jobs are submitted as SLURM job arrays of at most ``MaxArraySize`` tasks, with at most
  ``array_parallelism`` running at once per array.
- The launcher waits on result files and ``squeue`` (`cluster.job_states`), so a job that
  ends without a result (``scancel``, time limit, out of memory, node failure) is seen
  within seconds also where ``sacct`` is disabled. Such a job is recorded as failed in its
  ``result.json`` with the reason, and the sweep goes on to its summary.
- Interrupted (Ctrl-C), it cancels the jobs it submitted that have not ended.
- DDP ranks other than zero log to ``run.rank<N>.log`` and write no ``.hydra/``.
"""

from __future__ import annotations

import functools
import logging
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, run_job, setup_globals
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import BaseSubmititLauncher
from omegaconf import DictConfig, OmegaConf, open_dict

from experiments.config.compose import CONF_DIR
from experiments.config.errors import ConfigError
from experiments.config.job_name import job_name
from experiments.runs.identity import differences, identity_of
from experiments.runs.result import now_iso, read_result, write_result
from hydra_plugins.experiments_grid_sweeper.grid_sweeper import job_shape
from hydra_plugins.experiments_launcher.sequential import settled
from hydra_plugins.experiments_slurm_launcher import cluster
from hydra_plugins.experiments_slurm_launcher.resources import job_request, unmet

log = logging.getLogger(__name__)
# Seconds a job that SLURM says has ended may take to show its result file (network
# filesystems publish files late); after that it counts as ended without a result.
RESULT_GRACE_S = 10.0
# Seconds between squeue calls: from the first to the longest, growing by half each time.
FIRST_POLL_S, LONGEST_POLL_S = 1.0, 30.0
# Override keys that change what a job asks SLURM for.
RESOURCE_KEYS = ("trainer", "threads")


@functools.cache
def _shipped_subdir() -> str:
    """How the shipped train.yaml names a sweep's job folders (`experiments.config.job_name`),
    its interpolations as written."""
    hydra = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "train.yaml").hydra, resolve=False)
    return hydra["sweep"]["subdir"]


class SlurmLauncher(BaseSubmititLauncher):
    """Runs each job of a sweep as a task of a SLURM job array (see the module docstring)."""

    _EXECUTOR = "slurm"

    def __call__(
        self,
        sweep_overrides: list[str],
        job_dir_key: str,
        job_num: int,
        job_id: str,
        singleton_state: dict[type, Singleton],
    ) -> JobReturn:
        """Runs one job on its node, in each of its SLURM tasks (one per DDP rank)."""
        import submitit

        assert self.hydra_context is not None and self.config is not None
        Singleton.set_state(singleton_state)
        setup_globals()
        sweep_config = self.hydra_context.config_loader.load_sweep_config(
            self.config, sweep_overrides
        )
        environment = submitit.JobEnvironment()
        with open_dict(sweep_config.hydra):
            sweep_config.hydra.job.id = environment.job_id
            sweep_config.hydra.job.num = job_num
            if environment.global_rank > 0:  # rank zero writes the run's files and run.log
                sweep_config.hydra.output_subdir = None
                sweep_config.hydra.job_logging.handlers.file.filename = (
                    f"${{hydra.runtime.output_dir}}/run.rank{environment.global_rank}.log"
                )
        job = run_job(
            hydra_context=self.hydra_context,
            task_function=self.task_function,
            config=sweep_config,
            job_dir_key=job_dir_key,
            job_subdir_key="hydra.sweep.subdir",
        )
        return settled(job, job_num) if environment.global_rank == 0 else job

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        assert self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info("Submitit 'slurm' sweep output dir : %s", sweep_dir)
        if not shutil.which("sbatch") or not shutil.which("squeue"):
            _refuse([
                "launcher=slurm submits with sbatch and watches with squeue, and they are not "
                "both on PATH here: run it on a login node of the cluster (on one machine, "
                "use launcher=parallel)"
            ])  # fmt: skip
        jobs = [(index, list(overrides)) for index, overrides in enumerate(job_overrides)]
        # A re-run into a sweep's folder: its done jobs are skipped here, not each in a
        # SLURM job of its own that starts Python only to say so.
        done_before = next(sweep_dir.rglob("result.json"), None) is not None
        returns = self._done_earlier(jobs) if done_before else {}
        try:
            groups = self._grouped([job for job in jobs if job[0] not in returns])
        except ConfigError as error:
            _refuse(error.problems)
        submitted: list[tuple[int, list[str], Any]] = []
        try:
            start = time.perf_counter()
            for request, members in groups.items():
                submitted += self._submit(dict(request), members, initial_job_idx)
            arrays = {job.job_id.split("_")[0] for _, _, job in submitted}
            log.info(
                "submitted %d job(s) as %d SLURM array(s) in %.1f s",
                len(submitted), len(arrays), time.perf_counter() - start,
            )  # fmt: skip
            returns |= self._wait(submitted)
        except KeyboardInterrupt:
            cluster.cancel([job.job_id for _, _, job in submitted])
            log.error("interrupted: cancelled this sweep's SLURM jobs that had not ended")
            raise
        return [returns[index] for index in range(len(job_overrides))]

    def _done_earlier(self, jobs: list[tuple[int, list[str]]]) -> dict[int, JobReturn]:
        """The returns of the jobs (index in the sweep, overrides) whose folder holds a
        finished run of the same job (`_same_job`); the others' SLURM jobs decide."""
        assert self.config is not None
        folder_of = self._folder_namer()
        returns: dict[int, JobReturn] = {}
        verified: dict[tuple, bool] = {}
        for index, overrides in jobs:
            run_dir = folder_of(overrides)
            record = read_result(run_dir)
            if (
                record is not None
                and record.get("status") == "done"
                and self._same_job(record, overrides, verified)
            ):
                log.info("skipped, already done: %s", run_dir)
                returns[index] = JobReturn(
                    overrides=overrides,
                    working_dir=str(run_dir),
                    task_name=str(self.config.hydra.job.name),
                    status=JobStatus.COMPLETED,
                    _return_value=record,
                )
        return returns

    def _same_job(self, record: dict, overrides: list[str], verified: dict[tuple, bool]) -> bool:
        """Whether the finished run ``record`` is the job of ``overrides``: it recorded those
        overrides, and the first finished job of their shape (`job_shape`: the same values
        but numbers) recorded the identity that job has now (its config composed, 0.3-0.6 s:
        once per shape in ``verified``, not once per job; jobs of one shape read the same
        config files and data)."""
        if [o for o in record.get("overrides", []) if not o.startswith("resume=")] != overrides:
            return False
        shape = job_shape(overrides)
        if shape not in verified:
            sweep_config, _ = self._job_folder(overrides)
            with open_dict(sweep_config):
                del sweep_config["hydra"]
            verified[shape] = not differences(record.get("identity"), identity_of(sweep_config))
        return verified[shape]

    def _folder_namer(self) -> Callable[[list[str]], Path]:
        """A job's run folder from its overrides: by `job_name` where the sweep names its job
        folders the default way (10,000 jobs in seconds), else by composing each job's config
        (0.3-0.6 s a job on this project's CPU)."""
        assert self.config is not None
        sweep = self.config.hydra.sweep
        if OmegaConf.to_container(sweep, resolve=False).get("subdir") != _shipped_subdir():
            return lambda overrides: self._job_folder(overrides)[1]
        excluded = list(self.config.hydra.job.config.override_dirname.exclude_keys)
        return lambda overrides: Path(str(sweep.dir)) / job_name(overrides, excluded)

    def _job_folder(self, overrides: list[str]) -> tuple[DictConfig, Path]:
        """The job's composed config and its run folder."""
        assert self.hydra_context is not None and self.config is not None
        sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        return sweep_config, Path(sweep_config.hydra.sweep.dir) / str(
            sweep_config.hydra.sweep.subdir
        )

    def _grouped(
        self, jobs: list[tuple[int, list[str]]]
    ) -> dict[tuple, list[tuple[int, list[str]]]]:
        """The jobs (index in the sweep, overrides) by what they ask SLURM for. A config is
        composed once per distinct set of trainer and threads overrides (usually none or
        one), not once per job."""
        assert self.hydra_context is not None and self.config is not None
        requests: dict[tuple[str, ...], tuple] = {}
        groups: dict[tuple, list[tuple[int, list[str]]]] = {}
        for index, overrides in jobs:
            relevant = tuple(
                o for o in overrides if o.lstrip("+~").split("=")[0].split(".")[0] in RESOURCE_KEYS
            )
            if relevant not in requests:
                cfg = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
                requests[relevant] = tuple(sorted(job_request(cfg, self.params).items()))
            groups.setdefault(requests[relevant], []).append((index, overrides))
        return groups

    def _executor(self, request: dict[str, int]) -> Any:
        import submitit

        params = self.params | request
        executor = submitit.AutoExecutor(
            cluster=self._EXECUTOR,
            folder=params.pop("submitit_folder"),
            slurm_max_num_timeout=params.pop("max_num_timeout"),
        )
        shared = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(
            **{key if key in shared else f"slurm_{key}": value for key, value in params.items()}
        )
        return executor

    def _submit(
        self, request: dict[str, int], members: list[tuple[int, list[str]]], first_index: int
    ) -> list[tuple[int, list[str], Any]]:
        """Submit ``members`` (index in the sweep, overrides) as arrays of at most the
        cluster's ``MaxArraySize`` tasks, after checking that a node can take one job."""
        partition = cluster.partition(self.params.get("partition"))
        if partition is not None:
            problems = unmet(request | self._asked(), partition)
            if problems:
                _refuse(problems)
        executor = self._executor(request)
        size = cluster.max_array_size() - 1
        submitted = []
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            for index, overrides in chunk:
                log.info("\t#%d : %s", first_index + index, " ".join(overrides))
            state = Singleton.get_state()  # a deep copy: taken once, not once per job
            calls = [
                (overrides, "hydra.sweep.dir", first_index + index, f"job_id_for_{index}", state)
                for index, overrides in chunk
            ]
            try:
                jobs = executor.map_array(self, *zip(*calls, strict=True))
            except Exception as error:  # sbatch's refusal, with its own words
                cluster.cancel([job.job_id for _, _, job in submitted])
                _refuse([f"sbatch refused the jobs ({request | self._asked()}): {error}".strip()])
            submitted += [
                (index, overrides, job) for (index, overrides), job in zip(chunk, jobs, strict=True)
            ]
        return submitted

    def _asked(self) -> dict[str, Any]:
        return {key: self.params.get(key) for key in ("mem_gb", "gpus_per_node")}

    def _wait(self, submitted: list[tuple[int, list[str], Any]]) -> dict[int, JobReturn]:
        """Every job's return once it has a result or has ended without one."""
        returns: dict[int, JobReturn] = {}
        waiting = {index: (overrides, job) for index, overrides, job in submitted}
        ended_at: dict[int, float] = {}
        poll_s, next_poll = FIRST_POLL_S, time.monotonic() + FIRST_POLL_S
        while waiting:
            for index, (overrides, job) in list(waiting.items()):
                if all(_result_file(job, task).exists() for task in range(job.num_tasks)):
                    returns[index] = self._returned(overrides, job)
                    del waiting[index]
            if waiting and time.monotonic() >= next_poll:
                states = cluster.job_states([job.job_id for _, job in waiting.values()])
                now = time.monotonic()
                for index, (overrides, job) in list(waiting.items()):
                    state = states.get(job.job_id) if states else None
                    if state is None or state.split()[0] in cluster.ACTIVE_STATES:
                        continue
                    if now - ended_at.setdefault(index, now) >= RESULT_GRACE_S:
                        returns[index] = self._failed(overrides, job, state)
                        del waiting[index]
                poll_s = min(poll_s * 1.5, LONGEST_POLL_S)
                in_grace = any(index in waiting for index in ended_at)
                next_poll = now + (FIRST_POLL_S if in_grace else poll_s)
            if waiting:
                # A pass stats one file per waiting job: pace it for sweeps of thousands.
                time.sleep(max(1.0, len(waiting) / 1000))
        return returns

    def _returned(self, overrides: list[str], job: Any) -> JobReturn:
        """The job's own return, or a failed one when it raised outside the run."""
        try:
            return job.results()[0]
        except Exception as error:
            return self._failed(overrides, job, f"FAILED ({type(error).__name__}: {error})")

    def _failed(self, overrides: list[str], job: Any, state: str) -> JobReturn:
        """A job that ended without returning: recorded failed in its ``result.json`` (where
        the run did not record its own end); the return holds that record, as a run that
        failed inside returns its ``result.json`` (a sweeper reads ``status``)."""
        sweep_config, run_dir = self._job_folder(overrides)
        reason = (
            f"SLURM job {job.job_id} ended {state} without a result (cancelled, time limit, "
            f"out of memory or a node failure); its log: {job.paths.stdout}"
        )
        log.error("%s: %s", run_dir.name, reason)
        record = read_result(run_dir) or {}
        if record.get("status") not in ("done", "failed", "pruned"):
            record = (
                {"overrides": [o for o in overrides if not o.startswith("resume=")]}
                | {"started": now_iso()}
                | record
                | {"status": "failed", "error": reason, "finished": now_iso()}
            )
            run_dir.mkdir(parents=True, exist_ok=True)
            write_result(run_dir, record)
        with open_dict(sweep_config.hydra):
            sweep_config.hydra.runtime.output_dir = str(run_dir)
        # Completed, as a job whose run failed inside returns (experiments.core.job.run_job): the
        # sweep goes on, and its end reads the failure from result.json.
        return JobReturn(
            overrides=overrides,
            cfg=sweep_config,
            hydra_cfg=OmegaConf.create({"hydra": sweep_config.hydra}),
            working_dir=str(run_dir),
            task_name=str(sweep_config.hydra.job.name),
            status=JobStatus.COMPLETED,
            _return_value=record,
        )


def _result_file(job: Any, task: int) -> Path:
    return job.task(task).paths.result_pickle if job.num_tasks > 1 else job.paths.result_pickle


def _refuse(problems: list[str]) -> NoReturn:
    """Stop the sweep before anything runs: bad input, one message, exit 2."""
    log.error("launcher=slurm cannot run this sweep:\n  %s", "\n  ".join(problems))
    sys.exit(2)
