"""A sweep parses each config file once: its jobs' configs are the ones Hydra composes on
its own, a job's changes to its config do not reach the next job, and every sweeper of
ours shares the parses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from hydra import initialize_config_dir
from hydra._internal.config_repository import ConfigRepository
from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from experiments.config import CONF_DIR
from experiments.config.parse_once import parse_each_file_once
from hydra_plugins.experiments_grid_sweeper.grid_sweeper import GridSweeper
from hydra_plugins.experiments_optuna_sweeper.optuna_sweeper import OptunaSweeper
from hydra_plugins.experiments_protocol_sweeper.protocol_sweeper import ProtocolSweeper

JOBS = [
    ["model=svm_linear", "seed=0"],
    ["model=svm_linear", "seed=1"],
    ["experiment=cats_dogs", "model=cnn", "seed=0"],
    ["model=mlp", "protocol=fair"],
    ["dataset=house_prices", "model=svr_linear", "optimizer.lr=0.1"],
]


@pytest.fixture
def loader() -> Iterator[ConfigLoader]:
    """Hydra's config loader for the package's configs, as a launch of `experiments-train`
    has it."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        yield GlobalHydra.instance().hydra.config_loader


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How many times each config file is read and parsed."""
    counts: Counter = Counter()
    parse = ConfigRepository.load_config

    def counted(self: ConfigRepository, config_path: str) -> object:
        counts[config_path] += 1
        return parse(self, config_path)

    monkeypatch.setattr(ConfigRepository, "load_config", counted)
    return counts


def compose(loader: ConfigLoader, overrides: list[str]) -> DictConfig:
    """A job's config, as a launcher composes it."""
    master = loader.load_configuration("train", overrides=[], run_mode=RunMode.MULTIRUN)
    return loader.load_sweep_config(master, overrides)


def test_shared_parses_compose_the_configs_hydra_composes(loader: ConfigLoader) -> None:
    own = [OmegaConf.to_yaml(compose(loader, job)) for job in JOBS]
    parse_each_file_once(loader)
    shared = [OmegaConf.to_yaml(compose(loader, job)) for job in JOBS + JOBS[:2]]
    assert shared == own + own[:2]


def test_jobs_composed_together_keep_their_own_values(loader: ConfigLoader) -> None:
    """Launchers that run jobs in parallel compose all of them first: no job's overrides or
    changes may reach another's config (Hydra moves parsed nodes into the config it builds)."""
    parse_each_file_once(loader)
    jobs = [compose(loader, [f"seed={seed}", f"experiment_name=e{seed}"]) for seed in range(3)]
    with open_dict(jobs[0]):
        jobs[0].model.C = 12345.0
        jobs[0].monitor = "val/changed"
        del jobs[0].optimizer
    later = compose(loader, ["seed=3"])
    assert [job.seed for job in jobs] == [0, 1, 2]
    assert [job.experiment_name for job in jobs] == ["e0", "e1", "e2"]
    assert later.model.C != 12345.0
    assert later.monitor != "val/changed"
    assert "optimizer" in later


def test_each_file_is_parsed_once_for_all_jobs(loader: ConfigLoader, parses: Counter) -> None:
    parse_each_file_once(loader)
    compose(loader, JOBS[0])
    first = sum(parses.values())
    for job in JOBS[:2] * 3:
        compose(loader, job)
    assert first > 10  # the root config, its groups' files and Hydra's own
    assert sum(parses.values()) == first
    assert max(parses.values()) == 1


@pytest.mark.parametrize(
    "sweeper",
    [
        GridSweeper(max_batch_size=None),
        ProtocolSweeper(),
        OptunaSweeper("study", "sqlite:///unused.db", "val/acc", "maximize", n_trials=1),
    ],
    ids=["grid", "protocol", "optuna"],
)
def test_every_sweeper_of_ours_shares_the_parses(
    loader: ConfigLoader, parses: Counter, sweeper: Sweeper
) -> None:
    sweeper.setup(
        hydra_context=HydraContext(config_loader=loader, callbacks=None),
        task_function=lambda cfg: None,
        config=compose(loader, ["seed=0"]),
    )
    compose(loader, ["seed=1"])
    parsed = sum(parses.values())
    for seed in (2, 3, 4):
        compose(loader, [f"seed={seed}"])
    assert sum(parses.values()) == parsed
