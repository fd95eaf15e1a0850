"""The protocol's phase logic with a fake launcher: nested searches, selection, final jobs,
re-runs, and that no test row of a split is read before its configuration is fixed."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import optuna
import pytest
import torch
from omegaconf import OmegaConf

from experiments.config import ConfigError, compose_config, instantiate_checked
from experiments.protocol.jobs import WITHHOLD_TEST, Job, Trial, final_job, search_job
from experiments.protocol.run import LongestFirst, ModelSearch, run_protocol
from experiments.protocol.selection import best_trial
from experiments.protocol.settings import ProtocolSettings

SPACE = {"model.C": optuna.distributions.FloatDistribution(1e-2, 1e2, log=True)}
SETTINGS = ProtocolSettings(
    trials=5, sampler="random", splits=3, seeds=2, tuning="nested", rope=0.01, search_seed=0,
    monitor="val/acc", monitor_mode="max",
)  # fmt: skip


def done(val: float, test: float) -> dict:
    return {"status": "done", "metrics": {"val/acc": val, "test/acc": test}}


def setting(job: Job, key: str, default: str | None = None) -> str | None:
    """The value ``job`` gives ``key`` (``model.C``, ``dataset.split_seed``)."""
    values = dict(line.lstrip("+").split("=", 1) for line in job.overrides)
    return values.get(key, default)


class FakeLauncher:
    """Writes each job's result.json as a run would: on split r, val/acc peaks at
    C = 10^(r-1) and test/acc at C = 100, so that each split chooses its own C and a
    selection peeking at test would choose differently. A job that withholds its test rows
    scores the validation rows in its test phase, as a real one does."""

    def __init__(self, sweep_dir: Path) -> None:
        self.sweep_dir = sweep_dir
        self.batches: list[list[Job]] = []

    def __call__(self, jobs: Sequence[Job]) -> None:
        self.batches.append(list(jobs))
        for job in jobs:
            folder = self.sweep_dir / job.folder
            if (folder / "result.json").is_file():
                continue  # done earlier: skipped, as experiments-train does
            default_c = "1.0" if "model=svm_linear" in job.overrides else "3.0"
            c = math.log10(float(setting(job, "model.C", default_c)))
            split = int(setting(job, "dataset.split_seed"))
            val = 1 - abs(c - (split - 1)) / 10
            test = val if WITHHOLD_TEST in job.overrides else 1 - abs(c - 2) / 10
            folder.mkdir(parents=True)
            (folder / "result.json").write_text(json.dumps(done(val, test)))


def models() -> list[ModelSearch]:
    return [
        ModelSearch(name, SPACE, frozenset(), split_seed=0, seed=0)
        for name in ("svm_linear", "logreg")
    ]


def result(folder: Path) -> dict:
    return json.loads((folder / "result.json").read_text())


def test_a_search_in_every_split_then_its_final_jobs(tmp_path: Path) -> None:
    launch = FakeLauncher(tmp_path)
    chosen = run_protocol(models(), SETTINGS, tmp_path, launch)

    search, final, _ = launch.batches  # random draws: every split's search is one batch
    assert sorted(job.folder for job in search) == sorted(
        f"search/{model}/split_{r},trial_{k}"
        for model in ("logreg", "svm_linear") for r in range(3) for k in range(5)
    )  # fmt: skip
    trial_0 = next(job for job in search if job.folder == "search/logreg/split_2,trial_0")
    assert not any(line.startswith("model.C=") for line in trial_0.overrides)  # the defaults
    assert (
        "protocol.job={phase: search, model: 'logreg', trial: 0, params: {}, split_seed: 2, seed: 0}"
        in trial_0.overrides
    )
    # The same seeded draws on every split: each split compares the same candidates.
    draws = {
        r: [setting(job, "model.C") for job in search if f"logreg/split_{r}," in job.folder]
        for r in range(3)
    }
    assert draws[0] == draws[1] == draws[2]
    for model in ("svm_linear", "logreg"):
        assert sorted(chosen[model]) == [0, 1, 2]
        for r, trial in chosen[model].items():
            val = {
                k: result(tmp_path / f"search/{model}/split_{r},trial_{k}")["metrics"]["val/acc"]
                for k in range(5)
            }
            assert val[trial.number] == max(val.values())  # chosen on split r's validation
    assert len({trial.number for trial in chosen["logreg"].values()}) > 1  # per split
    expected = [
        f"final/{model}/split_{r},seed_{s}"
        for model in ("logreg", "svm_linear") for r in range(3) for s in range(2)
    ] + [
        f"default/{model}/split_{r},seed_0"
        for model in ("logreg", "svm_linear") for r in range(3) if chosen[model][r].number
    ]  # fmt: skip
    assert sorted(job.folder for job in final) == sorted(expected)
    final_job_ = next(job for job in final if job.folder == "final/logreg/split_2,seed_1")
    assert "dataset.split_seed=2" in final_job_.overrides and "seed=1" in final_job_.overrides
    assert all(f"{k}={v}" in final_job_.overrides for k, v in chosen["logreg"][2].params.items())


def test_no_test_row_of_a_split_is_read_before_its_configuration_is_fixed(
    tmp_path: Path,
) -> None:
    """Every job of split r that reads test rows (no ``withhold_test``) starts after every
    search job of split r has finished; a search job's data hold none of split r's test
    rows (checked on breast_cancer: the rows of the jobs' own tensors)."""
    launch = FakeLauncher(tmp_path)
    run_protocol(models(), SETTINGS, tmp_path, launch)
    fixed_after: dict[int, int] = {}  # split -> index of the batch with its last search job
    for index, batch in enumerate(launch.batches):
        for job in batch:
            split = int(setting(job, "dataset.split_seed"))
            if job.folder.startswith("search/"):
                assert WITHHOLD_TEST in job.overrides
                fixed_after[split] = index
            else:
                assert WITHHOLD_TEST not in job.overrides
                assert index > fixed_after[split], job.folder
    search = next(job for job in launch.batches[0] if "split_1," in job.folder)
    final = next(job for job in launch.batches[1] if "split_1," in job.folder)
    searched, scored = (job_rows(job) for job in (search, final))
    assert torch.equal(searched["test"], searched["val"])  # the test phase scores val rows
    assert torch.equal(searched["train"], scored["train"])  # split 1's own rows, same features
    seen = {tuple(row) for split in searched.values() for row in split.tolist()}
    assert not seen & {tuple(row) for row in scored["test"].tolist()}


def job_rows(job: Job) -> dict[str, torch.Tensor]:
    """The inputs of each split of ``job``'s data, on breast_cancer (uncached)."""
    dataset = [line for line in job.overrides if line.lstrip("+").startswith("dataset.")]
    cfg = compose_config(["dataset=breast_cancer", "dataset.cache=false", *dataset])
    datamodule = instantiate_checked(cfg.dataset, "dataset")
    datamodule.load()
    return {name: inputs for name, (inputs, _) in datamodule.tensors.items()}


def test_once_searches_the_search_split_and_keeps_its_choice_everywhere(tmp_path: Path) -> None:
    settings = replace(SETTINGS, tuning="once")
    launch = FakeLauncher(tmp_path)
    chosen = run_protocol(models(), settings, tmp_path, launch)
    search, final, _ = launch.batches
    assert {job.folder.rsplit(",", 1)[0] for job in search} == {
        "search/logreg/split_0",
        "search/svm_linear/split_0",
    }
    for by_split in chosen.values():
        assert sorted(by_split) == [0, 1, 2] and by_split[0] == by_split[1] == by_split[2]
    assert {setting(job, "dataset.split_seed") for job in final} == {"0", "1", "2"}


@pytest.mark.parametrize(("tuning", "jobs"), [("nested", 316), ("once", 148)])
def test_job_counts_of_seven_models(tmp_path: Path, tuning: str, jobs: int) -> None:
    """What docs/guides/protocol.md states: 7 models x 6 trials x 5 splits x 2 seeds; nested:
    210 search jobs, once: 42; then 70 final jobs and up to 35 default ones (here every split
    chooses a drawn trial, so all 35 run), and the winner."""
    settings = replace(SETTINGS, trials=6, splits=5, tuning=tuning)
    seven = [ModelSearch(f"m{i}", SPACE, frozenset(), split_seed=0, seed=0) for i in range(7)]
    launch = FakeLauncher(tmp_path)
    run_protocol(seven, settings, tmp_path, launch)
    assert sum(len(batch) for batch in launch.batches) == jobs


def test_a_rerun_asks_the_same_trials_and_launches_nothing_new(tmp_path: Path) -> None:
    first = FakeLauncher(tmp_path)
    chosen = run_protocol(models(), SETTINGS, tmp_path, first)
    again = FakeLauncher(tmp_path)
    run_protocol(models(), SETTINGS, tmp_path, again)
    assert again.batches == first.batches
    defaults = sum(trial.number != 0 for by in chosen.values() for trial in by.values())
    assert len(list(tmp_path.rglob("result.json"))) == 2 * 3 * 5 + 2 * 3 * 2 + defaults + 1


def test_tpe_asks_one_trial_per_search_a_round_and_repeats_itself(tmp_path: Path) -> None:
    settings = replace(SETTINGS, sampler="tpe")
    first = FakeLauncher(tmp_path / "a")
    run_protocol(models(), settings, tmp_path / "a", first)
    searches = 2 * 3  # models x splits
    assert [len(batch) for batch in first.batches[:-2]] == [2 * searches] + [searches] * 3
    again = FakeLauncher(tmp_path / "b")
    run_protocol(models(), settings, tmp_path / "b", again)
    assert again.batches == first.batches


def test_a_model_with_an_empty_space_runs_no_search(tmp_path: Path) -> None:
    launch = FakeLauncher(tmp_path)
    fixed = ModelSearch("sk_svc", {}, frozenset(), split_seed=0, seed=0)
    chosen = run_protocol([fixed, *models()], SETTINGS, tmp_path, launch)
    assert not [job for job in launch.batches[0] if "sk_svc" in job.folder]
    assert {trial.number for trial in chosen["sk_svc"].values()} == {0}
    assert sorted(job.folder for job in launch.batches[1] if "sk_svc" in job.folder) == [
        f"final/sk_svc/split_{r},seed_{s}" for r in range(3) for s in range(2)
    ]


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
    job = search_job(trial, split_seed=2, seed=0)
    assert job.folder == "search/sk_random_forest/split_2,trial_3"
    assert "++model.estimator.max_depth=7" in job.overrides  # not in the YAML: added
    assert "++dataset.withhold_test=true" in job.overrides
    assert "++keep_model=false" in job.overrides  # its model is never used
    assert "hydra.sweep.subdir='search/sk_random_forest/split_2,trial_3'" in job.overrides
    final = final_job(trial, split_seed=4, seed=1, prefix="n_train=500/")
    assert final.folder == "n_train=500/final/sk_random_forest/split_4,seed_1"
    assert not any("withhold_test" in line or "keep_model" in line for line in final.overrides)
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
        ({"tuning": "twice"}, "protocol.tuning: expected one of nested, once, got 'twice'"),
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
        "tuning": "nested",
        "rope": 0.01,
    }
    with pytest.raises(ConfigError) as error:
        ProtocolSettings.from_config(node | changes, "val/acc", "max")
    assert error.value.problems == [message]


def test_rope_left_null_is_the_reports_default() -> None:
    node = {"trials": 8, "sampler": "random", "search_seed": 0, "splits": 5, "seeds": 2,
            "tuning": "once"}  # fmt: skip
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
        "tuning": "nested",
        "rope": 0.01,
    }
    with pytest.raises(ConfigError, match="monitor: the protocol selects on a validation metric"):
        ProtocolSettings.from_config(node, "test/acc", "max")


def test_each_batch_starts_with_the_models_whose_jobs_took_longest(tmp_path: Path) -> None:
    """On workers that run jobs side by side, a long job started last runs alone at the end;
    the order changes no result."""
    seconds = {"svm_linear": 1.0, "cnn": 30.0, "logreg": 2.0}
    batches = []

    def launch(jobs: Sequence[Job]) -> None:
        batches.append([job.model for job in jobs])
        for job in jobs:
            (tmp_path / job.folder).mkdir(parents=True)
            result = {"status": "done", "fit_seconds": seconds[job.model]}
            (tmp_path / job.folder / "result.json").write_text(json.dumps(result))

    longest_first = LongestFirst(launch, tmp_path)
    trials = [Trial(model, number) for number in (0, 1) for model in seconds]
    longest_first([search_job(trial, 0, 0) for trial in trials])  # the first: as given
    longest_first([final_job(Trial(t.model, 0), 0, seed=t.number) for t in trials])
    assert batches == [
        ["svm_linear", "cnn", "logreg"] * 2,
        ["cnn", "cnn", "logreg", "logreg", "svm_linear", "svm_linear"],
    ]
