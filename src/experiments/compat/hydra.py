"""Hydra's internals this package relies on (hydra-core 1.3; pinned ``<1.4`` in
pyproject.toml), each tested by name in ``tests/compat/test_hydra.py``:

- ``hydra._internal.core_plugins.basic_sweeper.BasicSweeper``: Hydra's grid sweeper, which
  `GridSweeper` extends (`basic_sweeper`); its ``validate_batch_is_legal(batch)`` is where a
  sweep composes its jobs before any runs.
- ``hydra._internal.config_loader_impl.ConfigLoaderImpl.repository`` (a
  ``hydra._internal.config_repository.ConfigRepository``), which the loader deep-copies for
  each composition: `experiments.config.parse_once` puts a repository that shares its parses
  in its place (`file_repository`, `replace_file_repository`, `ConfigRepositoryBase`).
- ``hydra.core.utils.JobReturn._return_value``: what a job's task function returned, or the
  exception it raised, which the public ``return_value`` raises again (`stored_return`).
"""

from __future__ import annotations

import importlib
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.config_repository import ConfigRepository, IConfigRepository
from hydra.core.config_loader import ConfigLoader
from hydra.core.utils import JobReturn
from hydra.plugins.sweeper import Sweeper

__all__ = [
    "ConfigRepository",
    "ConfigRepositoryBase",
    "basic_sweeper",
    "file_repository",
    "replace_file_repository",
    "stored_return",
]

# What a config repository implements (the methods Hydra's loader calls on it).
ConfigRepositoryBase = IConfigRepository


def basic_sweeper() -> type[Sweeper]:
    """Hydra's ``BasicSweeper`` class as its module holds it now: Hydra's plugin scan runs
    that module again (a new class each time, which its ``__init__`` names), so a subclass
    takes the class at its own definition, never one bound earlier."""
    return importlib.import_module("hydra._internal.core_plugins.basic_sweeper").BasicSweeper


def file_repository(config_loader: ConfigLoader) -> ConfigRepository | None:
    """The repository of parsed config files ``config_loader`` composes from, when it is
    Hydra 1.3's own loader with its own repository; None for any other (another version's
    internals, or a repository replaced already)."""
    repository = getattr(config_loader, "repository", None)
    if isinstance(config_loader, ConfigLoaderImpl) and type(repository) is ConfigRepository:
        return repository
    return None


def replace_file_repository(config_loader: ConfigLoader, repository: IConfigRepository) -> None:
    """Make ``config_loader``'s later compositions read their files through ``repository``
    (each composition works on a deep copy of it)."""
    config_loader.repository = repository


def stored_return(job: JobReturn) -> Any:
    """What ``job``'s task function returned, or for a failed job the exception it raised,
    without raising it (``JobReturn.return_value`` raises it, after a line on stderr)."""
    return job._return_value
