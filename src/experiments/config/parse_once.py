"""A sweep reads and parses each config file once, not once per job.

Hydra composes the config of every job of a sweep from the files again, and its cache of
parsed files lives for one composition: each job re-reads and re-parses the same YAML
files. That parsing is about a third of a composition, and a composition is the largest
cost of a short job in a sweep beyond its training (issue 16). Our sweepers call
`parse_each_file_once` when they start: the compositions of the sweep then share one parse
of each file, and each composition gets a copy of it, because Hydra moves the parsed nodes
into the config it builds (a job that changes its config must not change the next job's).

A consequence users can see: a sweep's jobs are composed from the config files as the
sweep first read them. Editing a YAML file while a sweep runs no longer changes its later
jobs; the next launch reads the new file.
"""

from __future__ import annotations

import copy
from typing import Any

from hydra.core.config_loader import ConfigLoader
from hydra.core.config_search_path import ConfigSearchPath
from hydra.core.object_type import ObjectType
from hydra.plugins.config_source import ConfigResult, ConfigSource

from experiments.compat.hydra import (
    ConfigRepository,
    ConfigRepositoryBase,
    file_repository,
    replace_file_repository,
)


def parse_each_file_once(config_loader: ConfigLoader) -> None:
    """Make every later composition of ``config_loader`` share one parse of each file.

    A loader other than Hydra 1.3's (another version's internals) is left as it is: its
    sweeps compose as Hydra does, without the saving."""
    repository = file_repository(config_loader)
    if repository is not None:
        replace_file_repository(config_loader, SharedParses(repository, parsed={}))


class SharedParses(ConfigRepositoryBase):
    """Hydra's config repository with one parse of each file for all its compositions.

    Hydra copies the repository for each composition (and points the copy's sources at that
    composition's search path); the copies share ``parsed``, keyed by the search path and
    the config's path, and hand out a copy of each parsed file.
    """

    def __init__(self, delegate: ConfigRepository, parsed: dict[tuple, ConfigResult | None]):
        self.delegate = delegate
        self.parsed = parsed

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedParses:
        return SharedParses(copy.deepcopy(self.delegate, memo), self.parsed)

    def load_config(self, config_path: str) -> ConfigResult | None:
        key = (tuple((source.scheme(), source.path) for source in self.get_sources()), config_path)
        if key not in self.parsed:
            self.parsed[key] = self.delegate.load_config(config_path)
        return copy.deepcopy(self.parsed[key])

    def get_schema_source(self) -> ConfigSource:
        return self.delegate.get_schema_source()

    def group_exists(self, config_path: str) -> bool:
        return self.delegate.group_exists(config_path)

    def config_exists(self, config_path: str) -> bool:
        return self.delegate.config_exists(config_path)

    def get_group_options(
        self, group_name: str, results_filter: ObjectType | None = ObjectType.CONFIG
    ) -> list[str]:
        return self.delegate.get_group_options(group_name, results_filter)

    def get_sources(self) -> list[ConfigSource]:
        return self.delegate.get_sources()

    def initialize_sources(self, config_search_path: ConfigSearchPath) -> None:
        self.delegate.initialize_sources(config_search_path)
