"""Re-entering a run folder with the overrides it was made with.

Two callers need it, before Hydra parses the command line:

- DDP children. Lightning's DDP launcher re-runs the script with the parent's command line
  plus ``hydra.run.dir=...``; inside a multirun (``-m``) that would re-run the whole sweep
  in every child and open a stray folder (``hydra.run.dir`` is not the job's folder in a
  multirun). The parent job exports its folder and overrides (`child_environment`), and a
  child turns its command line into a single run of exactly that job.
- ``experiments-train resume=<run folder>``: continue an interrupted run in its own folder,
  with the overrides recorded in ``<run folder>/.hydra/overrides.yaml``.
- ``experiments-train rerun=<run folder>``: repeat a run, in a new folder, with the same
  recorded overrides (other overrides given beside it are added).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from omegaconf import ListConfig, OmegaConf

from experiments.config.errors import ConfigError
from experiments.runs.result import RESULT_FILE, read_result

JOB_VARIABLE = "EXPERIMENTS_DDP_JOB"
RESUME_KEY = "resume"
RERUN_KEY = "rerun"
_FLAGS = {"true", "false"}


def child_environment(run_dir: Path, overrides: list[str]) -> dict[str, str]:
    """The environment variables that let DDP children re-enter this job."""
    return {JOB_VARIABLE: json.dumps({"run_dir": str(run_dir), "overrides": overrides})}


def recorded_overrides(run_dir: Path) -> list[str]:
    """The overrides a run was launched with, from its ``.hydra/overrides.yaml``, checked
    against those its ``result.json`` recorded (when it has one): a garbled or cut file must
    not resume a run with other settings than it was trained with.

    Raises:
        ConfigError: the folder is not a run folder, or its overrides file cannot be read or
            disagrees with ``result.json``.
    """
    path = run_dir / ".hydra" / "overrides.yaml"
    if not path.is_file():
        raise ConfigError(
            f"{run_dir}: not a run folder (no {path}); give the folder of one run, e.g. "
            "outputs/default/<date>_<time>_<uid>, or one job folder of a sweep"
        )
    try:
        overrides = OmegaConf.load(path)
        if not isinstance(overrides, ListConfig):
            raise ValueError(f"a {type(overrides).__name__}, not a list")
        listed = [str(override) for override in overrides]
    except Exception as error:  # YAML, encoding or type errors alike
        raise ConfigError(f"{path}: unreadable ({error}); the run cannot be re-entered") from None
    recorded = (read_result(run_dir) or {}).get("overrides")
    if isinstance(recorded, list) and _without(recorded, RESUME_KEY) != _without(
        listed, RESUME_KEY
    ):
        raise ConfigError(
            f"{path} does not match the overrides in {run_dir / RESULT_FILE} "
            f"({' '.join(_without(listed, RESUME_KEY))} != {' '.join(recorded)}): the file was "
            "changed or cut; restore it, or start a new run"
        )
    return listed


def _quoted(path: str) -> str:
    """A path as a quoted Hydra override value: job folder names hold ``=`` and ``,``."""
    return "'" + path.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _without(overrides: list[str], key: str) -> list[str]:
    return [o for o in overrides if o.lstrip("+~").partition("=")[0] != key]


def reentry_argv(argv: list[str], environ: Mapping[str, str]) -> list[str]:
    """``argv`` rewritten for a DDP child, ``resume=<run folder>`` or ``rerun=<run folder>``;
    else unchanged (``resume=true`` and ``resume=false`` are plain overrides).

    Raises:
        ConfigError: ``resume=`` or ``rerun=`` names a folder that is not a run folder.
    """
    program, arguments = argv[0], argv[1:]
    if JOB_VARIABLE in environ and environ.get("LOCAL_RANK", "0") != "0":
        job = json.loads(environ[JOB_VARIABLE])
        rank = environ["LOCAL_RANK"]
        return [
            program,
            *job["overrides"],
            f"hydra.run.dir={_quoted(job['run_dir'])}",
            "hydra.output_subdir=null",  # the parent wrote .hydra/ already
            f"hydra.job_logging.handlers.file.filename={_quoted(job['run_dir'] + f'/run.rank{rank}.log')}",
        ]
    keys = {argument.partition("=")[0]: argument for argument in arguments}
    given = [a for a in arguments if a.partition("=")[0] not in (RESUME_KEY, RERUN_KEY)]
    if RERUN_KEY in keys:
        run_dir = Path(keys[RERUN_KEY].partition("=")[2])
        return [program, *_without(recorded_overrides(run_dir), RESUME_KEY), *given]
    resume = keys.get(RESUME_KEY, "").partition("=")[2]
    if not resume or resume.lower() in _FLAGS:
        return argv
    run_dir = Path(resume)
    recorded = _without(recorded_overrides(run_dir), RESUME_KEY)
    return [program, *recorded, *given, f"hydra.run.dir={_quoted(resume)}", f"{RESUME_KEY}=true"]
