"""A suite's datasets, settings and schema, and its protocols run together with a fake
launcher: one launch per round for every dataset, and a cut suite that resumes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from experiments.config import ConfigError, compose_config
from experiments.protocol.jobs import Job
from experiments.protocol.run import ModelSearch, protocol_batches, run_protocol
from experiments.protocol.suite import (
    SuiteSettings,
    budget_overrides,
    run_suite,
    suite_datasets,
)

from .test_phases import SETTINGS, FakeLauncher, models

TABLES = ("wine", "glass", "sonar")


class SuiteLauncher:
    """Runs each round's jobs as `FakeLauncher` does; records the rounds and which jobs
    wrote a result now (a done job is skipped). ``stop_after``: the round in which the
    machine goes down, half of its jobs done."""

    def __init__(self, sweep_dir: Path, stop_after: int | None = None) -> None:
        self.sweep_dir, self.stop_after = sweep_dir, stop_after
        self.rounds: list[dict[str, list[str]]] = []
        self.ran: list[str] = []

    def __call__(self, round_: Mapping[str, Sequence[Job]]) -> None:
        self.rounds.append({name: [job.folder for job in jobs] for name, jobs in round_.items()})
        jobs = [job for batch in round_.values() for job in batch]
        if len(self.rounds) == self.stop_after:
            jobs = jobs[: len(jobs) // 2]
        self.ran += [j.folder for j in jobs if not (self.sweep_dir / j.folder / "result.json").exists()]  # fmt: skip
        FakeLauncher(self.sweep_dir)(jobs)
        if len(self.rounds) == self.stop_after:
            raise KeyboardInterrupt


def protocols(sweep_dir: Path, names: Sequence[str] = TABLES, searches=None) -> dict:
    return {
        name: protocol_batches(searches or models(), SETTINGS, sweep_dir, prefix=f"{name}/")
        for name in names
    }


def test_every_datasets_batches_are_launched_together(tmp_path: Path) -> None:
    launch = SuiteLauncher(tmp_path / "suite")
    chosen = run_suite(protocols(tmp_path / "suite"), launch)
    assert len(launch.rounds) == 2  # random draws: all search jobs, then all final jobs
    search, final = launch.rounds
    assert list(search) == list(final) == list(TABLES)
    assert all(folder.startswith(f"{name}/search/") for name in TABLES for folder in search[name])  # fmt: skip
    assert all(folder.startswith(f"{name}/final/") or folder.startswith(f"{name}/default/")
               for name in TABLES for folder in final[name])  # fmt: skip
    # each dataset's protocol is the one it runs alone
    alone = FakeLauncher(tmp_path / "alone")
    assert chosen["glass"] == run_protocol(models(), SETTINGS, tmp_path / "alone", alone)
    assert [job.folder for job in alone.batches[0]] == [
        folder.removeprefix("glass/") for folder in search["glass"]
    ]


def test_a_dataset_without_a_search_does_not_wait_for_another_ones(tmp_path: Path) -> None:
    """A dataset whose models have nothing to search launches its final jobs in the first
    round, beside the other's search jobs."""
    fixed = [ModelSearch(name, {}, frozenset(), split_seed=0, seed=0) for name in ("a", "b")]
    batches = protocols(tmp_path, ["wine"]) | {
        "glass": protocol_batches(fixed, SETTINGS, tmp_path, prefix="glass/")
    }
    launch = SuiteLauncher(tmp_path)
    run_suite(batches, launch)
    first, second = launch.rounds
    assert first["glass"] and all("/final/" in folder for folder in first["glass"])
    assert all("/search/" in folder for folder in first["wine"])
    assert "glass" not in second


def test_tpe_rounds_of_every_dataset_share_a_launch(tmp_path: Path) -> None:
    settings = replace(SETTINGS, sampler="tpe")
    batches = {
        name: protocol_batches(models(), settings, tmp_path, prefix=f"{name}/") for name in TABLES
    }
    launch = SuiteLauncher(tmp_path)
    run_suite(batches, launch)
    assert len(launch.rounds) == 5  # 2 trials, then 1 a round up to 5, then the finals
    assert all(sorted(round_) == sorted(TABLES) for round_ in launch.rounds)


def test_a_cut_suite_resumes_with_nothing_lost(tmp_path: Path) -> None:
    """The machine goes down in the final round, half of it done; the re-run asks the same
    jobs, runs only those without a result, and chooses what an uncut suite chooses."""
    cut = SuiteLauncher(tmp_path / "cut", stop_after=2)
    with pytest.raises(KeyboardInterrupt):
        run_suite(protocols(tmp_path / "cut"), cut)
    again = SuiteLauncher(tmp_path / "cut")
    chosen = run_suite(protocols(tmp_path / "cut"), again)
    assert again.rounds == cut.rounds
    assert not set(again.ran) & set(cut.ran)  # nothing done is run twice
    uncut = SuiteLauncher(tmp_path / "uncut")
    assert chosen == run_suite(protocols(tmp_path / "uncut"), uncut)
    assert sorted(cut.ran + again.ran) == sorted(uncut.ran)


def write_tables(root: Path, names: Sequence[str] = TABLES) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "data.csv").write_text("x,target\n1,a\n2,b\n")
    (root / "notes").mkdir()  # no table: not a dataset
    (root / ".cache" / "data.csv").parent.mkdir()
    (root / ".cache" / "data.csv").write_text("x,target\n")
    return root


def settings(**values) -> SuiteSettings:
    node = {
        "name": "uci", "path": None, "datasets": None, "exclude": [], "configs": [],
        "file": "data.csv", "dataset": "uci", "job_minutes": None,
    }  # fmt: skip
    return SuiteSettings.from_config(OmegaConf.create(node | values))


def test_the_datasets_are_the_subfolders_with_a_table_then_the_configs(tmp_path: Path) -> None:
    write_tables(tmp_path / "tables")
    found = suite_datasets(settings(path="tables", configs=["digits"]), tmp_path)
    assert [d.name for d in found] == ["glass", "sonar", "wine", "digits"]
    table = tmp_path.resolve() / "tables" / "glass" / "data.csv"
    assert found[0].source == str(table)
    assert found[0].overrides == ("dataset=uci", f"dataset.path='{table}'", "dataset.name='glass'")
    assert found[3].overrides == ("dataset=digits", "dataset.name='digits'")
    chosen = suite_datasets(settings(path="tables", datasets=["wine", "glass"]), tmp_path)
    assert [d.name for d in chosen] == ["wine", "glass"]
    kept = suite_datasets(settings(path="tables", exclude=["sonar"]), tmp_path)
    assert [d.name for d in kept] == ["glass", "wine"]


def test_bad_suites_name_every_problem(tmp_path: Path) -> None:
    write_tables(tmp_path / "tables")
    with pytest.raises(ConfigError) as error:
        suite_datasets(
            settings(path="tables", datasets=["wine", "iris", "notes"], exclude=["adult"]),
            tmp_path,
        )
    folder = tmp_path.resolve() / "tables"
    assert error.value.problems == [
        f"suite.datasets: iris: no {folder / 'iris' / 'data.csv'}",
        f"suite.datasets: notes: no {folder / 'notes' / 'data.csv'}",
        f"suite.exclude: adult is not a dataset of {folder} (glass, sonar, wine)",
    ]
    with pytest.raises(ConfigError, match=r"suite\.path: .*nowhere is not a folder"):
        suite_datasets(settings(path="nowhere"), tmp_path)
    with pytest.raises(ConfigError, match="two datasets are named wine"):
        suite_datasets(settings(path="tables", configs=["wine"]), tmp_path)
    with pytest.raises(ConfigError) as error:
        settings(job_minutes=0)
    assert error.value.problems == [
        "suite: no datasets; give suite.path (a folder of tables, one subfolder each) or "
        "suite.configs (dataset configs by name, e.g. [digits, breast_cancer])",
        "suite.job_minutes: expected a positive number or null, got 0",
    ]


def test_the_job_cap_is_lightnings_max_time_for_every_job() -> None:
    assert budget_overrides(settings(path="x")) == ()
    (cap,) = budget_overrides(settings(path="x", job_minutes=1.5))
    assert cap == "++trainer.max_time='00:00:01:30'"  # Lightning's DD:HH:MM:SS
    assert compose_config(["model=mlp", cap]).trainer.max_time == "00:00:01:30"
    assert budget_overrides(settings(path="x", job_minutes=1501 / 60)) == (
        "++trainer.max_time='00:00:25:01'",
    )


@pytest.mark.parametrize("option", ["uci", "uci_quick"])
def test_suite_configs_compose_typed(option: str) -> None:
    cfg = compose_config([f"suite={option}"])
    suite = SuiteSettings.from_config(cfg.suite)
    assert suite.path == "../shared/data/uci" and cfg.protocol.name == "fair"
    quick = option == "uci_quick"
    assert (cfg.protocol.trials, cfg.protocol.splits) == ((3, 3) if quick else (6, 5))
    assert suite.exclude == (("adult", "hypothyroid", "mammography", "wine-quality-white") if quick else ())  # fmt: skip
    # the schema (SuiteConf) names a key it does not have, and a value of the wrong type
    with pytest.raises(ConfigCompositionException) as error:
        compose_config([f"suite={option}", "suite.datsets=[wine]"])
    assert "Key 'datsets' not in 'SuiteConf'" in str(error.value.__cause__)
    with pytest.raises(ConfigCompositionException) as error:
        compose_config([f"suite={option}", "suite.job_minutes=soon"])
    assert "Value 'soon' of type 'str' could not be converted to Float" in str(
        error.value.__cause__
    )
