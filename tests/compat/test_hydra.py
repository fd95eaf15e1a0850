"""Each Hydra internal this package uses (experiments/compat/hydra.py) is still there and
still called as it expects: an upgrade that moves one fails here, by name."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
from hydra import initialize_config_dir
from hydra.core.config_loader import ConfigLoader
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.types import RunMode

from experiments.compat.hydra import (
    ConfigRepository,
    ConfigRepositoryBase,
    basic_sweeper,
    file_repository,
    replace_file_repository,
)
from experiments.config import CONF_DIR
from experiments.config.parse_once import SharedParses


@pytest.fixture
def loader() -> Iterator[ConfigLoader]:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        yield GlobalHydra.instance().hydra.config_loader


def test_basic_sweeper_is_hydras_grid_and_checks_a_batch_before_launching_it() -> None:
    sweeper = basic_sweeper()
    basic = ConfigStore.instance().load("hydra/sweeper/basic.yaml").node
    assert basic._target_ == f"{sweeper.__module__}.{sweeper.__qualname__}", (
        "Hydra's basic sweeper moved: see BasicSweeper in compat/hydra.py (GridSweeper extends it)"
    )
    assert "self.validate_batch_is_legal(batch)" in inspect.getsource(sweeper.sweep), (
        "BasicSweeper.sweep no longer checks each batch through validate_batch_is_legal, "
        "which GridSweeper overrides"
    )


def test_the_loader_composes_from_its_file_repository(loader: ConfigLoader) -> None:
    repository = file_repository(loader)
    assert isinstance(repository, ConfigRepository), (
        "Hydra's config loader has no ConfigRepository in .repository any more: "
        "see file_repository in compat/hydra.py (sweeps parse each file once through it)"
    )
    parsed: dict = {}
    replace_file_repository(loader, SharedParses(repository, parsed))
    loader.load_configuration("train", overrides=["model=svm_linear"], run_mode=RunMode.RUN)
    read = {config_path for _, config_path in parsed}
    assert "train" in read and "model/svm_linear" in read, (
        "Hydra's compositions no longer read files through the loader's .repository"
    )
    assert file_repository(loader) is None  # replaced: not Hydra's own any more


def test_shared_parses_implements_every_method_of_a_config_repository() -> None:
    missing = ConfigRepositoryBase.__abstractmethods__ - set(vars(SharedParses))
    assert not missing, f"Hydra's IConfigRepository asks for {sorted(missing)} too: see parse_once"
