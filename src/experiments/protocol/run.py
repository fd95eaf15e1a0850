"""The protocol's two phases, launched in batches through a caller's ``launch`` function.

1. Search, nested in the outer splits by default (``protocol.tuning=nested``): for every
   model and every split r = 0 .. splits-1, ``trials`` configurations trained on split r's
   train rows and scored on its validation rows, trial 0 being the model's defaults and the
   others drawn from the model's search space (seeded random draws, the same on every split,
   or TPE told each trial's validation score). Each split's trial with the best validation
   score is chosen for that split. ``tuning=once`` searches on the search split only
   (``dataset.split_seed``) and uses its choice on every split: cheaper, but the choice has
   seen most of the other splits' test rows as training or validation rows.
2. Final: on each split, its chosen configuration re-trained with ``seeds`` seeds and scored
   on the split's test rows; where the choice is not the defaults, the defaults are scored
   too (seed 0), so that default and tuned scores come from the same splits.

Search jobs withhold their test rows, and a split's final jobs are launched after its
search has ended: no test row of split r is read before split r's configuration is fixed.
Decisions come from the jobs' ``result.json`` files, so the phases work with any launcher
(in process, parallel processes, SLURM) and a re-run, whose done jobs are skipped and
report their old results, asks and chooses exactly what the first run did. The phase logic
knows nothing of Hydra: a learning curve runs it once per training size, with a folder
``prefix`` and the size among the fixed overrides of its ``launch``.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.protocol.jobs import (
    Job,
    Trial,
    default_job,
    final_job,
    pruning_override,
    search_job,
)
from experiments.protocol.selection import best_trial, validation_score
from experiments.protocol.settings import CHECKPOINTS, MIN_FINISHED, ProtocolSettings
from experiments.protocol.space import make_sampler, override_text
from experiments.protocol.winner import winner_jobs
from experiments.runs.result import read_result

if TYPE_CHECKING:
    import optuna

log = logging.getLogger(__name__)
Launch = Callable[[Sequence[Job]], None]  # runs the jobs; they write <sweep>/<folder>/result.json
Choices = dict[str, dict[int, Trial]]  # model -> split seed -> the trial chosen for that split
# Batches of jobs, each to be run (its result.json files written) before the next is asked
# for; what the generator returns is what the batches decided.
Batches = Generator[list[Job], None, Choices]


@dataclass(frozen=True)
class ModelSearch:
    """One model of the comparison as the protocol sees it.

    Attributes:
        name: the model's config name (``model=<name>``).
        space: its search space, override key -> Optuna distribution.
        added: keys of the space that are not in the model's config (added with ``++``).
        split_seed: the split a ``tuning=once`` search runs on (the dataset config's
            ``split_seed``); a nested search runs on every split.
        seed: the training seed of the search (the root ``seed``).
        in_epochs: whether a run of the model trains in epochs (``trainer.max_epochs``
            defines it), which pruning can stop at its checkpoints; False for a model fitted
            in one call (a scikit-learn estimator), which runs every trial to its end.
    """

    name: str
    space: Mapping[str, optuna.distributions.BaseDistribution]
    added: frozenset[str]
    split_seed: int
    seed: int
    in_epochs: bool = False


def run_protocol(
    models: Sequence[ModelSearch],
    settings: ProtocolSettings,
    sweep_dir: Path,
    launch: Launch,
    prefix: str = "",
) -> Choices:
    """Run both phases into ``sweep_dir`` and return each model's chosen trial per split (a
    split none of whose trials finished has no choice, and no final jobs); then, but for a
    learning curve's sizes and a suite's datasets (``prefix``), train the winner
    (`experiments.protocol.winner`). Each batch is launched longest job first
    (`LongestFirst`)."""
    batches = protocol_batches(models, settings, sweep_dir, prefix)
    return run_batches(batches, LongestFirst(launch, sweep_dir))


def protocol_batches(
    models: Sequence[ModelSearch], settings: ProtocolSettings, sweep_dir: Path, prefix: str = ""
) -> Batches:
    """Both phases as batches of jobs (`run_protocol` launches each in turn; a suite of
    datasets launches the batches of all its protocols together), then the winner's (none
    with a ``prefix``); returns the choices."""
    chosen = yield from search_batches(models, settings, sweep_dir, prefix)
    yield final_jobs(chosen, settings.seeds, prefix)
    if not prefix and (winner := winner_jobs(chosen, models, settings, sweep_dir)):
        yield winner
    return chosen


def run_batches(batches: Batches, launch: Launch) -> Choices:
    """Launch each batch of ``batches`` before asking for the next; return what they decided."""
    while True:
        try:
            jobs = next(batches)
        except StopIteration as stop:
            return stop.value
        launch(jobs)


class LongestFirst:
    """A ``launch`` that orders each batch by its models' mean fit seconds in the batches
    before, longest first (the first batch as given): a launcher that runs several jobs at
    once then ends them together, where a long job started last would run alone at the end.
    The order changes no result: each job's config and seed decide it.
    """

    def __init__(self, launch: Launch, sweep_dir: Path) -> None:
        self.launch = launch
        self.sweep_dir = sweep_dir
        self.seconds: dict[str, list[float]] = defaultdict(list)

    def __call__(self, jobs: Sequence[Job]) -> None:
        def expected(job: Job) -> float:
            seconds = self.seconds.get(job.model)
            return statistics.mean(seconds) if seconds else 0.0

        self.launch(sorted(jobs, key=expected, reverse=True))  # stable: ties keep their order
        for job in jobs:
            result = read_result(self.sweep_dir / job.folder) or {}
            if isinstance(seconds := result.get("fit_seconds"), int | float):
                self.seconds[job.model].append(float(seconds))


def final_jobs(chosen: Choices, seeds: int, prefix: str = "") -> list[Job]:
    """Each split's chosen trial with seeds 0 .. seeds-1, and the defaults with seed 0 where
    the split chose another trial."""
    jobs = []
    for model, by_split in chosen.items():
        for split_seed, trial in sorted(by_split.items()):
            jobs += [final_job(trial, split_seed, seed, prefix) for seed in range(seeds)]
            if trial.number != 0:
                jobs.append(default_job(model, split_seed, 0, prefix))
    return jobs


def search(
    models: Sequence[ModelSearch],
    settings: ProtocolSettings,
    sweep_dir: Path,
    launch: Launch,
    prefix: str = "",
) -> Choices:
    """Phase 1 (`search_batches`), each batch launched in turn."""
    return run_batches(search_batches(models, settings, sweep_dir, prefix), launch)


def search_batches(
    models: Sequence[ModelSearch], settings: ProtocolSettings, sweep_dir: Path, prefix: str = ""
) -> Batches:
    """Phase 1: ``settings.trials`` trials per model and split searched (every split when
    nested, the model's ``split_seed`` when once), in rounds (one round for random draws;
    with TPE, or where its trials are pruned, one new trial per search a round, since each
    depends on the results before it). A model with nothing to search has one configuration, its defaults, and no search
    job. Returns each model's trial with the best validation score, per split."""
    searched = {
        (model.name, split_seed): model
        for model in models
        if model.space
        for split_seed in (
            range(settings.splits) if settings.tuning == "nested" else (model.split_seed,)
        )
    }
    ran = yield from _search_rounds(searched, settings, sweep_dir, prefix)
    return {model.name: _choices(model, ran, settings) for model in models}


def _choices(
    model: ModelSearch,
    ran: Mapping[tuple[str, int], list[tuple[Trial, dict | None]]],
    settings: ProtocolSettings,
) -> dict[int, Trial]:
    """``model``'s trial best on validation per split searched, and for ``tuning=once``
    the search split's choice on every split; trial 0 everywhere for an empty space."""
    if not model.space:
        return {split_seed: Trial(model.name, 0) for split_seed in range(settings.splits)}
    picks = {}
    for (name, split_seed), outcomes in ran.items():
        if name != model.name:
            continue
        trial = best_trial(outcomes, settings.monitor, settings.monitor_mode)
        if trial is None:
            log.error("%s: no search trial on split %d finished", name, split_seed)
            continue
        picks[split_seed] = trial
        log.info("%s", _choice_line(trial, split_seed, outcomes, settings.monitor))
    if settings.tuning == "once":
        return {r: trial for trial in picks.values() for r in range(settings.splits)}
    return picks


def _search_rounds(
    searched: Mapping[tuple[str, int], ModelSearch],
    settings: ProtocolSettings,
    sweep_dir: Path,
    prefix: str,
) -> Generator[list[Job], None, dict[tuple[str, int], list[tuple[Trial, dict | None]]]]:
    """The trials of every (model, split) search in rounds until each has
    ``settings.trials``: one round for random draws; with TPE, or for a pruned search, one
    new trial per search a round (the first round: the defaults and one more), since each
    depends on the trials before it. Returns each search's trials with their ``result.json``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the jobs' own lines say enough
    direction = "maximize" if settings.monitor_mode == "max" else "minimize"
    # The same sampler seed on every split: random draws try the same configurations on each.
    studies = {
        key: optuna.create_study(
            direction=direction, sampler=make_sampler(settings.sampler, settings.search_seed)
        )
        for key in searched
    }
    ran: dict[tuple[str, int], list[tuple[Trial, dict | None]]] = {key: [] for key in searched}
    while any(len(outcomes) < settings.trials for outcomes in ran.values()):
        round_ = _next_round(searched, studies, ran, settings)
        jobs = []
        for key, trial, _ in round_:
            pruning = _pruning(searched[key], ran[key], settings)
            jobs.append(search_job(trial, key[1], searched[key].seed, prefix, pruning))
        yield jobs
        for (key, trial, asked), job in zip(round_, jobs, strict=True):
            result = read_result(sweep_dir / job.folder)
            ran[key].append((trial, result))
            if asked is not None:
                _tell(studies[key], asked, result, settings.monitor)
    return ran


def _next_round(
    searched: Mapping[tuple[str, int], ModelSearch],
    studies: Mapping[tuple[str, int], optuna.Study],
    ran: Mapping[tuple[str, int], list[tuple[Trial, dict | None]]],
    settings: ProtocolSettings,
) -> list[tuple[tuple[str, int], Trial, optuna.trial.Trial | None]]:
    """The trials of the next round: each search's next ones (all that are left, or one
    where a trial depends on those before it: TPE's, or a pruned one's), trial 0 being the
    defaults and the others asked of the search's study."""
    round_: list[tuple[tuple[str, int], Trial, optuna.trial.Trial | None]] = []
    for key, model in searched.items():
        one_each = settings.sampler != "random" or _pruned(model, settings)
        count = len(ran[key])
        if count == 0:
            round_.append((key, Trial(model.name, 0), None))
            count = 1
        room = settings.trials - count
        for number in range(count, count + (min(room, 1) if one_each else room)):
            asked = studies[key].ask(dict(model.space))
            params = {name: override_text(asked.params[name]) for name in model.space}
            round_.append((key, Trial(model.name, number, params, model.added), asked))
    return round_


def _pruning(
    model: ModelSearch, earlier: list[tuple[Trial, dict | None]], settings: ProtocolSettings
) -> tuple[str, ...]:
    """The pruning a search trial gets (`experiments.search.CheckpointPruning` as an override):
    at each checkpoint (`CHECKPOINTS` of its epochs), the median of the values there of its
    search's earlier finished trials, where `MIN_FINISHED` or more have one. Every trial of
    a model trained in epochs records its values; a model fitted in one call gets none."""
    if not _pruned(model, settings):
        return ()
    values: dict[int, list[float]] = defaultdict(list)
    for _, result in earlier:
        if result and result.get("status") == "done":
            for epoch, value in (result.get("checkpoint_scores") or {}).items():
                values[int(epoch)].append(float(value))
    bars = {
        epoch: statistics.median(found)
        for epoch, found in sorted(values.items())
        if len(found) >= MIN_FINISHED
    }
    return (pruning_override(settings.monitor, settings.monitor_mode, CHECKPOINTS, bars),)


def _pruned(model: ModelSearch, settings: ProtocolSettings) -> bool:
    """Whether ``model``'s search trials are pruned: a model trained in epochs, pruning on."""
    return settings.pruning != "none" and model.in_epochs


def _tell(
    study: optuna.Study, asked: optuna.trial.Trial, result: dict | None, monitor: str
) -> None:
    from optuna.trial import TrialState

    score = validation_score(result, monitor)
    if score is not None:
        study.tell(asked, score)
    elif result and result.get("status") == "pruned":
        study.tell(asked, state=TrialState.PRUNED)
    else:
        study.tell(asked, state=TrialState.FAIL)


def _choice_line(
    trial: Trial, split_seed: int, ran: list[tuple[Trial, dict | None]], monitor: str
) -> str:
    scores = {t.number: validation_score(result, monitor) for t, result in ran}
    default = scores.get(0)
    params = " ".join(f"{key}={text}" for key, text in trial.params.items()) or "the defaults"
    versus = f", defaults {default:.4f}" if default is not None else ", defaults failed"
    return (
        f"{trial.model}, split {split_seed}: trial {trial.number} chosen, {monitor} "
        f"{scores[trial.number]:.4f}{versus}: {params}"
    )
