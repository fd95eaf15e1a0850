"""The protocol's last phase: its winning configuration trained on all training rows, the
model a user predicts with (``experiments-predict ckpt=<protocol folder>``).

The winner is chosen as the protocol chooses everything, on validation only: the model whose
chosen configurations score best on validation (the mean over splits of each split's final
runs, seeds averaged within a split; a tie to the first name: the protocol leaderboard's
ranking, whose first model its report calls best on validation), and of that
model's per-split choices the configuration chosen on the most splits (a tie: the one with
the better validation score). It is trained once (seed 0) on the train and test rows of the
dataset's own split (``dataset.split_seed``), its validation rows still selecting the epoch
and stopping training (``dataset.train_on_all``), into ``<protocol folder>/winner/``, a
normal run folder. Its own test metrics are the validation rows again: how well it does is
the protocol's estimate, not this run's.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.protocol.jobs import Job, Trial, final_job, winner_job
from experiments.protocol.selection import rank_by_validation, validation_score
from experiments.protocol.settings import ProtocolSettings
from experiments.runs.result import read_result

if TYPE_CHECKING:
    from experiments.protocol.run import ModelSearch

log = logging.getLogger(__name__)
WINNER_DIR = "winner"  # below the protocol folder


def winner_jobs(
    chosen: Mapping[str, Mapping[int, Trial]],
    models: Sequence[ModelSearch],
    settings: ProtocolSettings,
    sweep_dir: Path,
) -> list[Job]:
    """The winner's job, or none when no model has a finished final run.

    Args:
        chosen: each model's chosen trial per split (`experiments.protocol.run.Choices`).
        models: the models compared; the winner keeps the validation rows of its
            ``split_seed`` (the dataset config's split).
        settings: the protocol's settings (monitor, seeds).
        sweep_dir: the protocol folder, where the final runs wrote their ``result.json``.
    """
    scores = {
        model: _split_scores(by_split, settings, sweep_dir) for model, by_split in chosen.items()
    }
    means = {
        model: statistics.fmean(by_split.values()) for model, by_split in scores.items() if by_split
    }
    if not means:
        log.error("protocol: no model finished a final run; no winner to train")
        return []
    model = rank_by_validation(means, settings.monitor_mode)[0]
    sign = 1.0 if settings.monitor_mode == "max" else -1.0
    trial = _configuration(chosen[model], scores[model], sign)
    params = " ".join(f"{key}={text}" for key, text in trial.params.items()) or "its defaults"
    log.info(
        "protocol: the winner on %s is %s (trial %d: %s); training it on all training rows "
        "into %s/",
        settings.monitor, model, trial.number, params, WINNER_DIR,
    )  # fmt: skip
    split_seed = next(search.split_seed for search in models if search.name == model)
    return [winner_job(trial, split_seed, WINNER_DIR)]


def _split_scores(
    by_split: Mapping[int, Trial], settings: ProtocolSettings, sweep_dir: Path
) -> dict[int, float]:
    """Per split, the mean validation score of its chosen trial's final runs (splits with
    none finished are left out)."""
    scores = {}
    for split_seed, trial in by_split.items():
        values = [
            score
            for seed in range(settings.seeds)
            if (
                score := validation_score(
                    read_result(sweep_dir / final_job(trial, split_seed, seed).folder),
                    settings.monitor,
                )
            )
            is not None
        ]
        if values:
            scores[split_seed] = statistics.fmean(values)
    return scores


def _configuration(
    by_split: Mapping[int, Trial], scores: Mapping[int, float], sign: float
) -> Trial:
    """The trial chosen on the most scored splits; a tie goes to the better mean score."""
    splits: dict[tuple[int, tuple[tuple[str, str], ...]], list[int]] = {}
    trials: dict[tuple[int, tuple[tuple[str, str], ...]], Trial] = {}
    for split_seed, trial in by_split.items():
        if split_seed in scores:
            key = (trial.number, tuple(sorted(trial.params.items())))
            splits.setdefault(key, []).append(split_seed)
            trials[key] = trial
    best = max(
        splits,
        key=lambda key: (
            len(splits[key]),
            sign * sum(scores[s] for s in splits[key]) / len(splits[key]),
        ),
    )
    return trials[best]
