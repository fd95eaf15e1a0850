"""The schema of the ``suite`` config node (DESIGN rule 17, as Hydra's Optuna plugin types
its settings): a key that is not here fails at composition, with a suggestion, and a value
of the wrong type is named. The values are checked further when a suite runs
(`experiments.protocol.suite.SuiteSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

SCHEMA = "suite_schema"  # suite files start with `- /suite_schema`


@dataclass
class SuiteConf:
    """See ``conf/suite/uci.yaml`` for what each key does."""

    name: str = "suite"
    path: str | None = None
    datasets: list[str] | None = None
    exclude: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)
    file: str = "data.csv"
    dataset: str = "uci"
    job_minutes: float | None = None


@dataclass
class _SuiteRoot:
    """The root config's ``suite`` node: suite files are global (they also set the
    protocol and the sweep), so the schema they pull in is placed from the root."""

    suite: SuiteConf = field(default_factory=SuiteConf)


ConfigStore.instance().store(name=SCHEMA, node=_SuiteRoot, provider="experiments")
