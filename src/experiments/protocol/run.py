"""The protocol's two phases, launched in batches through a caller's ``launch`` function.

1. Search: for every model, ``trials`` configurations on the search split, trial 0 being the
   model's defaults and the others drawn from the model's search space (seeded random draws,
   or TPE told each trial's validation score). Each model's trial with the best validation
   score is chosen.
2. Final: each chosen configuration re-trained on ``splits`` data splits x ``seeds`` seeds and
   scored on each split's test rows; every model sees the same splits.

Decisions come from the jobs' ``result.json`` files, so the phases work with any launcher
(in process, parallel processes, SLURM) and a re-run, whose done jobs are skipped and
report their old results, asks and chooses exactly what the first run did. The phase logic
knows nothing of Hydra: a learning curve runs it once per training size, with a folder
``prefix`` and the size among the fixed overrides of its ``launch``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.protocol.jobs import Job, Trial, final_job, search_job
from experiments.protocol.selection import best_trial, validation_score
from experiments.protocol.settings import ProtocolSettings
from experiments.protocol.space import make_sampler, override_text
from experiments.runs.result import read_result

if TYPE_CHECKING:
    import optuna

log = logging.getLogger(__name__)
Launch = Callable[[Sequence[Job]], None]  # runs the jobs; they write <sweep>/<folder>/result.json


@dataclass(frozen=True)
class ModelSearch:
    """One model of the comparison as the protocol sees it.

    Attributes:
        name: the model's config name (``model=<name>``).
        space: its search space, override key -> Optuna distribution.
        added: keys of the space that are not in the model's config (added with ``++``).
        split_seed: the split the search runs on (the dataset config's ``split_seed``).
        seed: the training seed of the search (the root ``seed``).
    """

    name: str
    space: Mapping[str, optuna.distributions.BaseDistribution]
    added: frozenset[str]
    split_seed: int
    seed: int


def run_protocol(
    models: Sequence[ModelSearch],
    settings: ProtocolSettings,
    sweep_dir: Path,
    launch: Launch,
    prefix: str = "",
) -> dict[str, Trial]:
    """Run both phases into ``sweep_dir`` and return each model's chosen trial (a model
    none of whose trials finished has none, and no final jobs)."""
    chosen = search(models, settings, sweep_dir, launch, prefix)
    launch(
        [
            final_job(trial, split_seed, seed, prefix)
            for trial in chosen.values()
            for split_seed in range(settings.splits)
            for seed in range(settings.seeds)
        ]
    )
    return chosen


def search(
    models: Sequence[ModelSearch],
    settings: ProtocolSettings,
    sweep_dir: Path,
    launch: Launch,
    prefix: str = "",
) -> dict[str, Trial]:
    """Phase 1: ``settings.trials`` trials per model, launched in rounds (one round for
    random draws; with TPE one new trial per model a round, since each depends on the
    results before it). Returns each model's trial with the best validation score."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the jobs' own lines say enough
    direction = "maximize" if settings.monitor_mode == "max" else "minimize"
    studies = {
        model.name: optuna.create_study(
            direction=direction, sampler=make_sampler(settings.sampler, settings.search_seed)
        )
        for model in models
    }
    # A model with nothing to search has one configuration: its defaults run once.
    budget = {model.name: settings.trials if model.space else 1 for model in models}
    ran: dict[str, list[tuple[Trial, dict | None]]] = {model.name: [] for model in models}
    while any(len(ran[model.name]) < budget[model.name] for model in models):
        round_: list[tuple[ModelSearch, Trial, optuna.trial.Trial | None]] = []
        for model in models:
            count = len(ran[model.name])
            if count == 0:
                round_.append((model, Trial(model.name, 0), None))
                count = 1
            room = budget[model.name] - count
            for number in range(
                count, count + (room if settings.sampler == "random" else min(room, 1))
            ):
                asked = studies[model.name].ask(dict(model.space))
                params = {key: override_text(asked.params[key]) for key in model.space}
                round_.append((model, Trial(model.name, number, params, model.added), asked))
        jobs = [
            search_job(trial, model.split_seed, model.seed, prefix) for model, trial, _ in round_
        ]
        launch(jobs)
        for (model, trial, asked), job in zip(round_, jobs, strict=True):
            result = read_result(sweep_dir / job.folder)
            ran[model.name].append((trial, result))
            if asked is not None:
                _tell(studies[model.name], asked, validation_score(result, settings.monitor))
    chosen = {}
    for model in models:
        trial = best_trial(ran[model.name], settings.monitor, settings.monitor_mode)
        if trial is None:
            log.error("%s: no search trial finished; it gets no final runs", model.name)
            continue
        chosen[model.name] = trial
        log.info("%s", _choice_line(trial, ran[model.name], settings.monitor))
    return chosen


def _tell(study: optuna.Study, asked: optuna.trial.Trial, score: float | None) -> None:
    from optuna.trial import TrialState

    if score is None:
        study.tell(asked, state=TrialState.FAIL)
    else:
        study.tell(asked, score)


def _choice_line(trial: Trial, ran: list[tuple[Trial, dict | None]], monitor: str) -> str:
    scores = {t.number: validation_score(result, monitor) for t, result in ran}
    default = scores.get(0)
    params = " ".join(f"{key}={text}" for key, text in trial.params.items()) or "the defaults"
    versus = f", defaults {default:.4f}" if default is not None else ", defaults failed"
    return f"{trial.model}: trial {trial.number} chosen, {monitor} {scores[trial.number]:.4f}{versus}: {params}"
