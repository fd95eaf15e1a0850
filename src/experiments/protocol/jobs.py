"""The protocol's jobs: their folders, overrides and the ``protocol`` record each one keeps.

A job is fully named by what it is (phase, model, split, trial or seed), so that a re-run
of the same protocol finds the jobs that are done by their folders and skips them.

    <sweep>/<prefix>search/<model>/split_<r>,trial_<k>/    trial k of the model's search on split r
    <sweep>/<prefix>final/<model>/split_<r>,seed_<s>/      split r's chosen trial, seed s, scored
    <sweep>/<prefix>default/<model>/split_<r>,seed_<s>/    the defaults (trial 0) scored on split r,
                                                           where split r chose another trial
    <sweep>/winner/                                        the winning configuration trained on
                                                           all training rows (`protocol.winner`)

A search job withholds its split's test rows (``dataset.withhold_test``): its test phase
scores the validation rows again; its saved model is deleted once it ends
(``keep_model=false``). Only final and default jobs, launched once the split's
configuration is fixed, score test rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SEARCH = "search"
FINAL = "final"
DEFAULT = "default"
PHASES = (SEARCH, FINAL, DEFAULT)
WITHHOLD_TEST = "++dataset.withhold_test=true"  # ++: a dataset file of the user's may lack it
TRAIN_ON_ALL = "++dataset.train_on_all=true"
# The winner is a model to use: saved even when the protocol's runs save none (to save disk).
SAVE_MODEL = "++trainer.enable_checkpointing=true"
# A search trial's model is never used: deleted once it ended (its checkpoints serve a resume
# until then), to save disk.
DROP_MODEL = "++keep_model=false"
RECORD_KEY = "protocol.job"  # the config key a job's record is given under; train copies it
PRUNING_KEY = "callbacks.protocol_pruning"  # a search trial's pruning callback


@dataclass(frozen=True)
class Trial:
    """One configuration of a model's search.

    Attributes:
        model: the model's config name.
        number: 0 for the model's defaults, then 1, 2, ... for the drawn ones.
        params: override key -> value as override text (``{"optimizer.lr": "0.0031"}``);
            empty for trial 0.
        added: the keys of ``params`` that are not in the model's config and are added
            (``++key=value``), e.g. a scikit-learn parameter left at its default in the YAML.
    """

    model: str
    number: int
    params: Mapping[str, str] = field(default_factory=dict)
    added: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Job:
    """One run of the protocol: its folder below the sweep folder, its overrides (among them
    its record, ``protocol.job={...}``, what ``result.json`` keeps as ``protocol``, and its
    folder, ``hydra.sweep.subdir``) and its model's name."""

    folder: str
    overrides: tuple[str, ...]
    model: str


def search_job(
    trial: Trial, split_seed: int, seed: int, prefix: str = "", extra: tuple[str, ...] = ()
) -> Job:
    """Trial ``trial`` of its model's search on split ``split_seed``: trained on its train
    rows, selected on its validation rows, its test rows withheld; ``extra`` overrides (its
    pruning: `pruning_override`)."""
    folder = f"{prefix}{SEARCH}/{trial.model}/split_{split_seed},trial_{trial.number}"
    return _job(folder, SEARCH, trial, split_seed, seed, (WITHHOLD_TEST, DROP_MODEL, *extra))


def pruning_override(
    monitor: str, mode: str, checkpoints: tuple[float, ...], bars: Mapping[int, float]
) -> str:
    """The override that gives a search trial its pruning callback
    (`experiments.search.CheckpointPruning`): ``monitor`` recorded at ``checkpoints``
    (fractions of its epochs), the run stopped where it is worse than ``bars[epoch]``."""
    shown = ", ".join(f"{epoch}: {bar!r}" for epoch, bar in bars.items())
    return (
        f"+{PRUNING_KEY}={{_target_: experiments.search.CheckpointPruning, monitor: {monitor}, "
        f"mode: {mode}, checkpoints: [{', '.join(map(repr, checkpoints))}], bars: {{{shown}}}}}"
    )


def final_job(trial: Trial, split_seed: int, seed: int, prefix: str = "") -> Job:
    """The chosen ``trial`` of a model re-trained on split ``split_seed`` with ``seed``."""
    folder = f"{prefix}{FINAL}/{trial.model}/split_{split_seed},seed_{seed}"
    return _job(folder, FINAL, trial, split_seed, seed)


def default_job(model: str, split_seed: int, seed: int, prefix: str = "") -> Job:
    """A model's defaults (trial 0) scored on split ``split_seed``'s test rows with ``seed``:
    the report's default score, on the same splits as the tuned one."""
    folder = f"{prefix}{DEFAULT}/{model}/split_{split_seed},seed_{seed}"
    return _job(folder, DEFAULT, Trial(model, 0), split_seed, seed)


def winner_job(trial: Trial, split_seed: int, folder: str) -> Job:
    """``trial`` trained on the train and test rows of split ``split_seed``, seed 0, and
    saved: the model a protocol hands over (`experiments.protocol.winner`)."""
    return _job(folder, folder, trial, split_seed, 0, (TRAIN_ON_ALL, SAVE_MODEL))


def _job(
    folder: str, phase: str, trial: Trial, split_seed: int, seed: int, extra: tuple[str, ...] = ()
) -> Job:
    params = ", ".join(f"{key}: {text}" for key, text in trial.params.items())
    record = (
        f"{{phase: {phase}, model: {quoted(trial.model)}, trial: {trial.number}, "
        f"params: {{{params}}}, split_seed: {split_seed}, seed: {seed}}}"
    )
    overrides = (
        f"model={trial.model}",
        *(
            f"{'++' if key in trial.added else ''}{key}={text}"
            for key, text in trial.params.items()
        ),
        f"dataset.split_seed={split_seed}",
        *extra,
        f"seed={seed}",
        f"{RECORD_KEY}={record}",
        f"hydra.sweep.subdir={quoted(folder)}",  # quoted: a comma would make it a sweep
    )
    return Job(folder=folder, overrides=overrides, model=trial.model)


def quoted(text: str) -> str:
    """``text`` as a quoted override value: a comma, a space or a bracket stays text."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"
