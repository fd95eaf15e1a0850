"""What a run ran, as a short id: the composed config it saved (``.hydra/config.yaml``)
less the keys that do not change its results. Runs with the same id and different seeds are
repeats of one configuration; the same override text over two days' YAML files is not."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from experiments.runs.identity import VOLATILE, drop

CONFIG_FILE = Path(".hydra") / "config.yaml"
# Keys (dotted paths) that do not change what a run trained, or its seed: two runs that
# differ only in these are repeats of one configuration (a job's `VOLATILE` keys, see
# `experiments.runs.identity`, and the seed that tells repeats apart).
NOT_IDENTITY = ("seed", *VOLATILE)
ID_LENGTH = 8  # hex digits: collisions are negligible among a comparison's configurations


# libyaml's parser where PyYAML was built with it: 1.4 ms a saved config against 12 ms for
# the pure-Python one, over the hundreds of runs a comparison or a protocol reads.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def saved_config(run_dir: Path) -> dict[str, Any] | None:
    """The run's composed config as it saved it, or None when it saved no readable one."""
    try:
        config = yaml.load((Path(run_dir) / CONFIG_FILE).read_text(), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError):
        return None
    return config if isinstance(config, dict) else None


def config_id(run_dir: Path) -> str | None:
    """The id of the run's composed config less `NOT_IDENTITY`, or None when the run saved
    no readable config."""
    config = saved_config(run_dir)
    if config is None:
        return None
    for dotted in NOT_IDENTITY:
        drop(config, dotted.split("."))
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:ID_LENGTH]
