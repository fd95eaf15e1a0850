"""Re-entering a run folder with the overrides it was made with.

Two callers need it, before Hydra parses the command line:

- DDP children. Lightning's DDP launcher re-runs the script with the parent's command line
  plus ``hydra.run.dir=...``; inside a multirun (``-m``) that would re-run the whole sweep
  in every child and open a stray folder (``hydra.run.dir`` is not the job's folder in a
  multirun). The parent job exports its folder and overrides (`child_environment`), and a
  child turns its command line into a single run of exactly that job, composed from the
  same config folders (``--config-dir``, ``hydra.searchpath``).
- ``experiments-train resume=<run folder>``: continue an interrupted run in its own folder,
  with the overrides recorded in ``<run folder>/.hydra/overrides.yaml``.
- ``experiments-train rerun=<run folder>``: repeat a run, in a new folder, with the same
  recorded overrides (other overrides given beside it are added).

A run folder may come from elsewhere, and its recorded overrides are data (`checked`): they
may set no Hydra setting (``hydra.callbacks`` would run code before any check), choose no
config file outside the config folders (``model=../../tmp/x``), hold no interpolation, and
name no ``_target_`` that is not trusted (`experiments.config.trusted`; ``trust=[mylab]``
beside ``resume=`` or ``rerun=`` trusts a lab's package). Everything else they can do is to
choose options of the user's own config folders and set values.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import OverrideParseException
from omegaconf import ListConfig, OmegaConf

from experiments.config.compose import CONF_DIR
from experiments.config.errors import ConfigError
from experiments.config.trusted import TARGET_KEY, Trust
from experiments.runs.result import RESULT_FILE, read_result

JOB_VARIABLE = "EXPERIMENTS_DDP_JOB"
RESUME_KEY = "resume"
RERUN_KEY = "rerun"
TRUST_KEY = "trust"
SEARCHPATH_KEY = "hydra.searchpath"
_LOCATION_FLAGS = {"--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn"}
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
        # as written: an interpolation in the file is an override's text, not resolved here
        listed = [str(override) for override in OmegaConf.to_container(overrides)]
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
    return [o for o in overrides if _key(o) != key]


def reentry_argv(argv: list[str], environ: Mapping[str, str]) -> list[str]:
    """``argv`` rewritten for a DDP child, ``resume=<run folder>`` or ``rerun=<run folder>``
    (``trust=[...]`` beside them says what the folder may instantiate: `checked`); else
    unchanged (``resume=true`` and ``resume=false`` are plain overrides).

    Raises:
        ConfigError: ``resume=`` or ``rerun=`` names a folder that is not a run folder, or
            one whose recorded overrides could run code (`checked`).
    """
    program, arguments = argv[0], argv[1:]
    if JOB_VARIABLE in environ and environ.get("LOCAL_RANK", "0") != "0":
        job = json.loads(environ[JOB_VARIABLE])
        rank = environ["LOCAL_RANK"]
        return [
            program,
            *_config_location(arguments),
            *job["overrides"],
            f"hydra.run.dir={_quoted(job['run_dir'])}",
            "hydra.output_subdir=null",  # the parent wrote .hydra/ already
            f"hydra.job_logging.handlers.file.filename={_quoted(job['run_dir'] + f'/run.rank{rank}.log')}",
        ]
    keys = {argument.partition("=")[0]: argument for argument in arguments}
    given = [a for a in arguments if a.partition("=")[0] not in (RESUME_KEY, RERUN_KEY, TRUST_KEY)]
    trust = Trust(packages=_trusted_packages(keys.get(TRUST_KEY)))
    if RERUN_KEY in keys:
        run_dir = Path(keys[RERUN_KEY].partition("=")[2])
        return [program, *checked(run_dir, trust), *given]
    resume = keys.get(RESUME_KEY, "").partition("=")[2]
    if not resume or resume.lower() in _FLAGS:
        return argv
    recorded = checked(Path(resume), trust)
    return [program, *recorded, *given, f"hydra.run.dir={_quoted(resume)}", f"{RESUME_KEY}=true"]


def checked(run_dir: Path, trust: Trust) -> list[str]:
    """The recorded overrides of ``run_dir`` (`recorded_overrides`, less ``resume`` and
    ``trust``: a folder cannot trust itself), refused where they could run code.

    Raises:
        ConfigError: unreadable overrides, or one problem per override that sets a Hydra
            setting, chooses a config file outside the config folders, holds an
            interpolation, or names a ``_target_`` that ``trust`` does not allow.
    """
    recorded = [o for o in recorded_overrides(run_dir) if _key(o) not in (RESUME_KEY, TRUST_KEY)]
    where = run_dir / ".hydra" / "overrides.yaml"
    try:
        parsed = OverridesParser.create().parse_overrides(recorded)
    except OverrideParseException as error:
        raise ConfigError(f"{where}: unreadable ({error}); the run cannot be re-entered") from None
    problems = [
        f"{where}: '{text}': {problem}"
        for text, override in zip(recorded, parsed, strict=True)
        if (problem := _danger(override.key_or_group, override.value(), trust))
    ]
    if problems:
        raise ConfigError(problems)
    return recorded


def _danger(key: str, value: object, trust: Trust) -> str | None:
    """What a recorded override could do that a run folder must not, or None."""
    if key.split(".")[0].split("/")[0] == "hydra":
        return "a run folder sets no Hydra setting; give it on the command line if you mean it"
    if "." not in key and key not in _root_keys() and not _plain_option(value):
        return "not a config option name (a path outside the config folders?)"
    for name, item in _leaves(key, value):
        if isinstance(item, str) and "${" in item:
            return "an interpolation; a run folder's overrides are re-entered as plain values"
        if name.rpartition(".")[2] == TARGET_KEY and not (
            isinstance(item, str) and trust.allows(item)
        ):
            package = str(item).partition(".")[0]
            return (
                f"'{item}' is not a class experiments trusts in a run folder; building it "
                f"could run any code. If you trust the folder's author, add {TRUST_KEY}=[{package}]"
            )
    return None


def _leaves(key: str, value: object) -> Iterator[tuple[str, object]]:
    """Each plain value in ``value`` with its dotted key below ``key``."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(f"{key}.{name}", item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(key, item)
    else:
        yield key, value


def _plain_option(value: object) -> bool:
    """Whether ``value`` names config options (``tfidf``, ``tuned/cats_dogs_cnn``, a list of
    them) or none (``model=null``), not a path that leaves the config folder."""
    if isinstance(value, list):
        return all(_plain_option(item) for item in value)
    if value is None:
        return True
    parts = str(value).split("/")
    return isinstance(value, str) and ".." not in parts and "" not in parts


@functools.cache
def _root_keys() -> frozenset[str]:
    """The plain settings of the root config (``seed``, ``output_root``): the keys without a
    dot that name no config group."""
    root = OmegaConf.load(CONF_DIR / "train.yaml")
    return frozenset(str(key) for key in root if key not in ("defaults", "hydra"))


def _trusted_packages(argument: str | None) -> tuple[str, ...]:
    """The packages of ``trust=mylab`` or ``trust=[mylab,other]``."""
    if argument is None:
        return ()
    (override,) = OverridesParser.create().parse_overrides([argument])
    value = override.value()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _config_location(arguments: list[str]) -> list[str]:
    """The words of ``arguments`` that say where configs are found (``--config-dir DIR``,
    ``-cp``, ``-cn``, ``hydra.searchpath=[...]``): a DDP child composes its job from the
    same folders as its parent."""
    kept, follows = [], False
    for argument in arguments:
        flag = argument.partition("=")[0]
        if follows or flag in _LOCATION_FLAGS or _key(argument) == SEARCHPATH_KEY:
            kept.append(argument)
        follows = argument in _LOCATION_FLAGS  # the flag's value is the next word
    return kept


def _key(override: str) -> str:
    return override.lstrip("+~").partition("=")[0]
