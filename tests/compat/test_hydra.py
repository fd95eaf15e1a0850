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
from hydra.core.utils import JobReturn, JobStatus, run_job
from hydra.types import RunMode

from experiments.compat.hydra import (
    ConfigRepository,
    ConfigRepositoryBase,
    basic_sweeper,
    file_repository,
    replace_file_repository,
    stored_return,
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


def test_a_failed_jobs_return_holds_the_exception_its_task_raised() -> None:
    assert "ret.return_value = e" in inspect.getsource(run_job), (
        "Hydra's run_job no longer stores a task's exception as the job's return value: see "
        "stored_return in compat/hydra.py (launchers record such a job failed through it)"
    )
    error = RuntimeError("the job could not start")
    job = JobReturn()
    job.return_value = error  # as run_job stores it
    job.status = JobStatus.FAILED
    assert stored_return(job) is error, (
        "JobReturn keeps its return value elsewhere than _return_value: see stored_return"
    )
    with pytest.raises(RuntimeError):  # why the public property is not read
        job.return_value  # noqa: B018
    done = JobReturn(status=JobStatus.COMPLETED, _return_value={"status": "done"})
    assert stored_return(done) == done.return_value
