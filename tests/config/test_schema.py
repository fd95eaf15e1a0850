"""The root of a run's config: a key added by mistake stops the run with the key it
resembles; every shipped option composes to known keys."""

from __future__ import annotations

import pytest

from experiments.config import ConfigError, compose_config, config_options
from experiments.config.schema import check_root_keys
from experiments.core import train

OPTIONAL = [
    f"{group}={option}"
    for group in ("experiment", "hparams_search", "protocol", "curve", "suite", "launcher", "debug")
    for option in config_options(group)
]


def test_a_misspelled_root_key_stops_the_run_with_the_key_it_resembles(make_cfg, tmp_path):
    with pytest.raises(ConfigError) as error:
        train(make_cfg("+sed=1", "+tagz=[a]"), tmp_path, [])
    assert error.value.problems == [
        "sed: not a setting of a run (did you mean 'seed'?); "
        "a key of your own for interpolations starts with '_' (_sed)",
        "tagz: not a setting of a run (did you mean 'tags'?); "
        "a key of your own for interpolations starts with '_' (_tagz)",
    ]
    assert not (tmp_path / "tb").exists()  # nothing trained


def test_a_key_of_ones_own_starts_with_an_underscore(make_cfg) -> None:
    """An experiment file's helper value, interpolated elsewhere, is no mistake."""
    check_root_keys(make_cfg("+_width=64", "+model.net.hidden=${_width}"))


@pytest.mark.parametrize("option", OPTIONAL)
def test_every_shipped_option_composes_to_known_root_keys(option: str) -> None:
    check_root_keys(compose_config([option], return_hydra_config=True))
