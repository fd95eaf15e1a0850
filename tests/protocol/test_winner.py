"""The protocol's winner: chosen on validation only, the configuration chosen on most splits,
trained on the train and test rows of the dataset's split into ``<protocol>/winner/``."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from experiments.config import compose_config, instantiate_checked
from experiments.protocol.jobs import SAVE_MODEL, TRAIN_ON_ALL, Trial, final_job
from experiments.protocol.run import ModelSearch, run_protocol
from experiments.protocol.winner import WINNER_DIR, winner_jobs

from .test_phases import SETTINGS, FakeLauncher, models, setting


def write_final(sweep: Path, trial: Trial, split: int, seed: int, val: float, test: float) -> None:
    folder = sweep / final_job(trial, split, seed).folder
    folder.mkdir(parents=True)
    result = {"status": "done", "metrics": {"val/acc": val, "test/acc": test}}
    (folder / "result.json").write_text(json.dumps(result))


def test_the_winner_is_chosen_on_validation_and_its_most_chosen_configuration(
    tmp_path: Path,
) -> None:
    c1 = Trial("mlp", 2, {"optimizer.lr": "0.01"})
    c2 = Trial("mlp", 3, {"optimizer.lr": "0.1"})
    chosen = {"mlp": {0: c1, 1: c2, 2: c1}, "logreg": {r: Trial("logreg", 0) for r in range(3)}}
    for split, trial in chosen["mlp"].items():
        for seed in (0, 1):
            write_final(tmp_path, trial, split, seed, val=0.9, test=0.80)
    for split in range(3):  # better on test, worse on validation: test never chooses
        for seed in (0, 1):
            write_final(tmp_path, Trial("logreg", 0), split, seed, val=0.85, test=0.99)
    searches = [
        ModelSearch("mlp", {}, frozenset(), 7, 0),
        ModelSearch("logreg", {}, frozenset(), 7, 0),
    ]

    (job,) = winner_jobs(chosen, searches, SETTINGS, tmp_path)

    assert job.folder == WINNER_DIR
    assert "model=mlp" in job.overrides and "optimizer.lr=0.01" in job.overrides
    assert TRAIN_ON_ALL in job.overrides and SAVE_MODEL in job.overrides
    assert "dataset.split_seed=7" in job.overrides and "seed=0" in job.overrides
    assert any(line.startswith("protocol.job={phase: winner,") for line in job.overrides)


def test_a_tie_on_validation_goes_to_the_first_name_as_in_the_leaderboard(tmp_path: Path) -> None:
    chosen = {name: {0: Trial(name, 0)} for name in ("sk_logreg", "sk_linear_svc")}
    for name in chosen:
        write_final(tmp_path, Trial(name, 0), 0, 0, val=0.98, test=0.9)
    searches = [ModelSearch(name, {}, frozenset(), 0, 0) for name in chosen]
    (job,) = winner_jobs(chosen, searches, SETTINGS, tmp_path)
    assert "model=sk_linear_svc" in job.overrides


def test_no_finished_final_run_trains_no_winner(tmp_path: Path) -> None:
    chosen = {"mlp": {0: Trial("mlp", 0)}}
    assert (
        winner_jobs(chosen, [ModelSearch("mlp", {}, frozenset(), 0, 0)], SETTINGS, tmp_path) == []
    )


def test_the_protocol_ends_with_the_winner_and_a_curve_size_without(tmp_path: Path) -> None:
    launch = FakeLauncher(tmp_path / "protocol")
    run_protocol(models(), SETTINGS, tmp_path / "protocol", launch)
    (winner,) = launch.batches[-1]
    assert winner.folder == WINNER_DIR and (tmp_path / "protocol" / WINNER_DIR).is_dir()
    curve = FakeLauncher(tmp_path / "curve")
    run_protocol(models(), SETTINGS, tmp_path / "curve", curve, prefix="n_train=50/")
    assert not any(job.folder.endswith(WINNER_DIR) for batch in curve.batches for job in batch)
    assert setting(winner, "dataset.split_seed") == "0"


def test_train_on_all_trains_on_train_and_test_rows_and_tests_on_val() -> None:
    def tensors(*overrides: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        cfg = compose_config(["dataset=breast_cancer", "dataset.cache=false", *overrides])
        datamodule = instantiate_checked(cfg.dataset, "dataset")
        datamodule.load()
        return datamodule.tensors

    split = tensors()
    everything = tensors(TRAIN_ON_ALL.lstrip("+"))
    assert torch.equal(everything["train"][0], torch.cat([split["train"][0], split["test"][0]]))
    assert torch.equal(everything["train"][1], torch.cat([split["train"][1], split["test"][1]]))
    assert torch.equal(everything["test"][0], split["val"][0])
    assert torch.equal(everything["val"][0], split["val"][0])
