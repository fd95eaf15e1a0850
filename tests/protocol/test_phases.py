"""The protocol's phase logic with a fake launcher: trials, selection, final jobs, re-runs."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from pathlib import Path

import optuna
import pytest
from omegaconf import OmegaConf

from experiments.config import ConfigError
from experiments.protocol.jobs import Job, Trial, final_job, search_job
from experiments.protocol.run import ModelSearch, run_protocol
from experiments.protocol.selection import best_trial
from experiments.protocol.settings import ProtocolSettings

SPACE = {"model.C": optuna.distributions.FloatDistribution(1e-2, 1e2, log=True)}
SETTINGS = ProtocolSettings(
    trials=5, sampler="random", splits=3, seeds=2, rope=0.01, search_seed=0,
    monitor="val/acc", monitor_mode="max",
)  # fmt: skip


def done(val: float, test: float) -> dict:
    return {"status": "done", "metrics": {"val/acc": val, "test/acc": test}}


class FakeLauncher:
    """Writes each job's result.json as a run would: val/acc peaks at C = 1, test/acc at
    C = 100, so that a selection peeking at test would choose differently."""

    def __init__(self, sweep_dir: Path) -> None:
        self.sweep_dir = sweep_dir
        self.batches: list[list[Job]] = []

    def __call__(self, jobs: Sequence[Job]) -> None:
        self.batches.append(list(jobs))
        for job in jobs:
            folder = self.sweep_dir / job.folder
            if (folder / "result.json").is_file():
                continue  # done earlier: skipped, as experiments-train does
            params = dict(
                line.split("=", 1) for line in job.overrides if line.startswith("model.C=")
            )
            c = float(params.get("model.C", 1.0 if "model=svm_linear" in job.overrides else 3.0))
            folder.mkdir(parents=True)
            result = done(1 - abs(math.log10(c)) / 10, 1 - abs(math.log10(c) - 2) / 10)
            (folder / "result.json").write_text(json.dumps(result))


def models() -> list[ModelSearch]:
    return [
        ModelSearch(name, SPACE, frozenset(), split_seed=0, seed=0)
        for name in ("svm_linear", "logreg")
    ]


def test_search_then_final_jobs_in_named_folders(tmp_path: Path) -> None:
    launch = FakeLauncher(tmp_path)
    chosen = run_protocol(models(), SETTINGS, tmp_path, launch)

    search, final = launch.batches  # random draws: the whole search is one batch
    assert sorted(job.folder for job in search) == [
        f"search/{model}/trial_{k}" for model in ("logreg", "svm_linear") for k in range(5)
    ]
    assert sorted(job.folder for job in final) == [
        f"final/{model}/split_{r},seed_{s}"
        for model in ("logreg", "svm_linear") for r in range(3) for s in range(2)
    ]  # fmt: skip
    trial_0 = next(job for job in search if job.folder == "search/logreg/trial_0")
    assert not any(line.startswith("model.C=") for line in trial_0.overrides)  # the defaults
    assert (
        "protocol.job={phase: search, model: 'logreg', trial: 0, params: {}, split_seed: 0, seed: 0}"
        in trial_0.overrides
    )
    for model in ("svm_linear", "logreg"):
        assert chosen[model].model == model
        val = {
            k: json.loads((tmp_path / f"search/{model}/trial_{k}/result.json").read_text())[
                "metrics"
            ]["val/acc"]
            for k in range(5)
        }
        assert val[chosen[model].number] == max(val.values())
    final_job_ = next(job for job in final if job.folder == "final/logreg/split_2,seed_1")
    assert "dataset.split_seed=2" in final_job_.overrides and "seed=1" in final_job_.overrides
    assert all(f"{k}={v}" in final_job_.overrides for k, v in chosen["logreg"].params.items())


def test_a_rerun_asks_the_same_trials_and_launches_nothing_new(tmp_path: Path) -> None:
    first = FakeLauncher(tmp_path)
    run_protocol(models(), SETTINGS, tmp_path, first)
    again = FakeLauncher(tmp_path)
    run_protocol(models(), SETTINGS, tmp_path, again)
    assert again.batches == first.batches
    assert len(list(tmp_path.rglob("result.json"))) == 2 * 5 + 2 * 3 * 2


def test_tpe_asks_one_trial_per_model_a_round_and_repeats_itself(tmp_path: Path) -> None:
    settings = ProtocolSettings(**{**SETTINGS.__dict__, "sampler": "tpe"})
    first = FakeLauncher(tmp_path / "a")
    run_protocol(models(), settings, tmp_path / "a", first)
    assert [len(batch) for batch in first.batches] == [4, 2, 2, 2, 2 * 3 * 2]
    again = FakeLauncher(tmp_path / "b")
    run_protocol(models(), settings, tmp_path / "b", again)
    assert again.batches == first.batches


def test_a_model_with_an_empty_space_runs_its_defaults_once(tmp_path: Path) -> None:
    launch = FakeLauncher(tmp_path)
    fixed = ModelSearch("sk_svc", {}, frozenset(), split_seed=0, seed=0)
    chosen = run_protocol([fixed, *models()], SETTINGS, tmp_path, launch)
    assert [job.folder for job in launch.batches[0] if "sk_svc" in job.folder] == [
        "search/sk_svc/trial_0"
    ]
    assert chosen["sk_svc"].number == 0


def test_selection_reads_validation_only() -> None:
    trials = [Trial("mlp", k) for k in range(3)]
    # trial 2 is best on test, trial 1 on validation: the search must choose trial 1
    outcomes = list(
        zip(trials, [done(0.90, 0.90), done(0.95, 0.91), done(0.93, 0.99)], strict=True)
    )
    assert best_trial(outcomes, "val/acc", "max").number == 1
    assert best_trial(outcomes, "val/loss", "min") is None  # no trial logged it
    with pytest.raises(ValueError, match="validation metrics only"):
        best_trial(outcomes, "test/acc", "max")


def test_a_search_never_returns_worse_than_its_defaults_on_validation() -> None:
    rng = random.Random(0)
    for _ in range(200):
        scores = [round(rng.uniform(0.8, 1.0), 2) for _ in range(6)]
        outcomes = [(Trial("m", k), done(v, rng.random())) for k, v in enumerate(scores)]
        outcomes[rng.randrange(1, 6)] = (outcomes[0][0].__class__("m", 9), {"status": "failed"})
        chosen = best_trial(outcomes, "val/acc", "max")
        assert scores[chosen.number] >= scores[0]
        if scores[chosen.number] == scores[0]:
            assert chosen.number == 0  # ties go to the defaults


def test_job_records_and_folders() -> None:
    trial = Trial(
        "sk_random_forest",
        3,
        {"model.estimator.max_depth": "7"},
        frozenset({"model.estimator.max_depth"}),
    )
    job = search_job(trial, split_seed=0, seed=0)
    assert job.folder == "search/sk_random_forest/trial_3"
    assert "++model.estimator.max_depth=7" in job.overrides  # not in the YAML: added
    assert "hydra.sweep.subdir='search/sk_random_forest/trial_3'" in job.overrides
    final = final_job(trial, split_seed=4, seed=1, prefix="n_train=500/")
    assert final.folder == "n_train=500/final/sk_random_forest/split_4,seed_1"
    assert (
        "protocol.job={phase: final, model: 'sk_random_forest', trial: 3, "
        "params: {model.estimator.max_depth: 7}, split_seed: 4, seed: 1}"
    ) in final.overrides


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trials": 0}, "protocol.trials: expected a positive integer, got 0"),
        ({"rope": -0.5}, "protocol.rope: expected a number >= 0 or null, got -0.5"),
        ({"sampler": "grid"}, "protocol.sampler: expected one of random, tpe, got 'grid'"),
        ({"splits": 0}, "protocol.splits: expected a positive integer, got 0"),
        ({"rope": "1%"}, "protocol.rope: expected a number >= 0 or null, got '1%'"),
    ],
)
def test_bad_settings_name_their_key(changes: dict, message: str) -> None:
    node = {
        "trials": 8,
        "sampler": "random",
        "search_seed": 0,
        "splits": 5,
        "seeds": 2,
        "rope": 0.01,
    }
    with pytest.raises(ConfigError) as error:
        ProtocolSettings.from_config(node | changes, "val/acc", "max")
    assert error.value.problems == [message]


def test_rope_left_null_is_the_reports_default() -> None:
    node = {"trials": 8, "sampler": "random", "search_seed": 0, "splits": 5, "seeds": 2}
    settings = ProtocolSettings.from_config(
        OmegaConf.create(node | {"rope": None}), "val/rmse", "min"
    )
    assert settings.rope is None


def test_selection_metric_must_be_a_validation_one() -> None:
    node = {
        "trials": 8,
        "sampler": "random",
        "search_seed": 0,
        "splits": 5,
        "seeds": 2,
        "rope": 0.01,
    }
    with pytest.raises(ConfigError, match="monitor: the protocol selects on a validation metric"):
        ProtocolSettings.from_config(node, "test/acc", "max")
