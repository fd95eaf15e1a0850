"""The protocol's pruning (protocol.pruning=median): one rule for every model trained in
epochs, decided from its search's earlier finished trials; a stopped trial is one of the
model's trials and never chosen; a model fitted in one call runs every trial out."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest
import torch
from hydra.core.override_parser.overrides_parser import OverridesParser

from experiments.config import RunPruned, instantiate_checked
from experiments.protocol.jobs import PRUNING_KEY, Job
from experiments.protocol.run import ModelSearch, run_protocol
from experiments.protocol.settings import ProtocolSettings
from experiments.search import CheckpointPruning

SPACE = {"model.C": optuna.distributions.FloatDistribution(1e-3, 1e3, log=True)}
SETTINGS = ProtocolSettings(
    trials=6, sampler="random", splits=2, seeds=1, tuning="nested", rope=0.01, search_seed=0,
    monitor="val/acc", monitor_mode="max", pruning="median",
)  # fmt: skip
EPOCHS = 30


def setting(job: Job, key: str) -> str | None:
    values = dict(line.lstrip("+").split("=", 1) for line in job.overrides)
    return values.get(key)


def pruning_of(job: Job) -> CheckpointPruning | None:
    """The job's pruning callback, built from its override as Hydra would build it."""
    line = next((o for o in job.overrides if o.startswith(f"+{PRUNING_KEY}=")), None)
    if line is None:
        return None
    node = OverridesParser.create().parse_override(line).value()
    return instantiate_checked(node, f"{PRUNING_KEY}")


def trainer(epoch: int, value: float) -> SimpleNamespace:
    """What the callback reads of a Lightning trainer after validation epoch ``epoch``."""
    return SimpleNamespace(
        max_epochs=EPOCHS, current_epoch=epoch - 1, sanity_checking=False,
        callback_metrics={"val/acc": torch.tensor(value)},
    )  # fmt: skip


class TrainingLauncher:
    """Runs each job's pruning callback over a made-up training: validation accuracy
    ``final * epoch / 30`` where ``final`` peaks at C = 1, and writes its result.json
    (``pruned``, or ``done`` with the callback's record) as a run would."""

    def __init__(self, sweep_dir: Path) -> None:
        self.sweep_dir = sweep_dir
        self.batches: list[list[Job]] = []

    def __call__(self, jobs: Sequence[Job]) -> None:
        self.batches.append(list(jobs))
        for job in jobs:
            final = 0.95 - abs(math.log10(float(setting(job, "model.C") or 1.0))) / 10
            result = {"status": "done", "metrics": {"val/acc": final, "test/acc": final}}
            if (callback := pruning_of(job)) is not None:
                callback.on_fit_start(trainer(0, 0.0), None)
                try:
                    for epoch in range(1, EPOCHS + 1):
                        callback.on_validation_end(trainer(epoch, final * epoch / EPOCHS), None)
                    result |= callback.record() | {"stopped_epoch": EPOCHS - 1}
                except RunPruned as pruned:
                    result = {"status": "pruned", "error": str(pruned)}
            folder = self.sweep_dir / job.folder
            folder.mkdir(parents=True)
            (folder / "result.json").write_text(json.dumps(result))


def models() -> list[ModelSearch]:
    return [
        ModelSearch("mlp", SPACE, frozenset(), split_seed=0, seed=0, in_epochs=True),
        ModelSearch("cnn", SPACE, frozenset(), split_seed=0, seed=0, in_epochs=True),
        ModelSearch("sk_svc", SPACE, frozenset(), split_seed=0, seed=0, in_epochs=False),
    ]


def result(sweep: Path, folder: str) -> dict:
    return json.loads((sweep / folder / "result.json").read_text())


def test_every_model_trained_in_epochs_is_held_to_its_own_search_median(tmp_path: Path) -> None:
    launch = TrainingLauncher(tmp_path)
    chosen = run_protocol(models(), SETTINGS, tmp_path, launch)

    rounds = [batch for batch in launch.batches if batch[0].folder.startswith("search/")]
    final = [job for batch in launch.batches[len(rounds) :] for job in batch]  # and the winner
    search = [job for batch in rounds for job in batch]
    for model in ("mlp", "cnn"):
        for split in range(2):
            trials = [f"search/{model}/split_{split},trial_{k}" for k in range(6)]
            # one trial a round (the first: the defaults and one more): each waits for the
            # trials before it
            assert [[job.folder for job in batch if job.folder in trials] for batch in rounds] == [
                trials[:2],
                *([trial] for trial in trials[2:]),
            ]
            for k, folder in enumerate(trials):
                job = next(job for job in search if job.folder == folder)
                earlier = [result(tmp_path, f) for f in trials[:k]]
                done = [r["checkpoint_scores"] for r in earlier if r["status"] == "done"]
                expected = {
                    epoch: statistics.median(float(scores[str(epoch)]) for scores in done)
                    for epoch in (10, 20)
                } if len(done) >= 2 else {}  # fmt: skip
                assert pruning_of(job).bars == pytest.approx(expected), folder
            statuses = [result(tmp_path, folder)["status"] for folder in trials]
            assert len(statuses) == SETTINGS.trials  # a stopped trial is one of the budget
            assert chosen[model][split].number not in [
                k for k, status in enumerate(statuses) if status == "pruned"
            ]
    stopped = [job for job in search if result(tmp_path, job.folder)["status"] == "pruned"]
    assert {job.folder.split("/")[1] for job in stopped} == {"mlp", "cnn"}
    assert "worse than the median" in result(tmp_path, stopped[0].folder)["error"]
    # fitted in one call: no pruning, every trial in the first round
    svc = [job for job in search if "/sk_svc/" in job.folder]
    assert all(pruning_of(job) is None for job in svc)
    assert sum("/sk_svc/" in job.folder for job in rounds[0]) == 2 * SETTINGS.trials
    assert all(pruning_of(job) is None for job in final)


def test_pruning_none_runs_every_trial_out_in_one_round(tmp_path: Path) -> None:
    launch = TrainingLauncher(tmp_path)
    run_protocol(models(), replace(SETTINGS, pruning="none"), tmp_path, launch)

    search = launch.batches[0]
    assert len(search) == 3 * 2 * SETTINGS.trials
    assert all(pruning_of(job) is None for job in search)
    pruned = TrainingLauncher(tmp_path / "pruned")
    run_protocol(models(), SETTINGS, tmp_path / "pruned", pruned)
    draws = {job.folder: setting(job, "model.C") for batch in pruned.batches for job in batch}
    assert {job.folder: setting(job, "model.C") for job in search} == {
        folder: value for folder, value in draws.items() if folder.startswith("search/")
    }  # the same draws, asked one round at a time


def test_a_run_is_stopped_at_a_checkpoint_where_it_is_worse_than_the_bar() -> None:
    callback = CheckpointPruning(
        "val/acc", "max", checkpoints=[1 / 3, 2 / 3], bars={10: 0.5, 20: 0.8}
    )
    callback.on_fit_start(trainer(0, 0.0), None)
    for epoch in range(1, 20):
        callback.on_validation_end(trainer(epoch, 0.6), None)  # 0.6 >= 0.5 at epoch 10
    with pytest.raises(
        RunPruned, match=r"val/acc=0.7000 at epoch 20, worse than the median 0.8000"
    ):
        callback.on_validation_end(trainer(20, 0.7), None)
    assert callback.record() == {"checkpoint_scores": {10: pytest.approx(0.6), 20: pytest.approx(0.7)}}  # fmt: skip

    lower = CheckpointPruning("val/rmse", "min", checkpoints=[1 / 3], bars={10: 2.0})
    lower.on_fit_start(trainer(0, 0.0), None)
    metrics = {"val/rmse": torch.tensor(1.5)}
    lower.on_validation_end(SimpleNamespace(**vars(trainer(10, 0)) | {"callback_metrics": metrics}), None)  # fmt: skip
    assert lower.record() == {"checkpoint_scores": {10: 1.5}}  # lower is better: kept
