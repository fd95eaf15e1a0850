"""`check_config` accepts every shipped option and names what a misspelling meant."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hydra import compose, initialize_config_dir

from experiments.config.checks import check_config
from experiments.config.compose import config_options
from experiments.config.errors import ConfigError
from experiments.config.suggest import did_you_mean
from experiments.core import CHECKED_SECTIONS

from .conftest import CONF_DIR, compose_config

# Specialized settings, experiment/tuned/<experiment>_<model>.yaml, are no group a user picks:
# the model's file loads them in its experiment, so they are checked as that pair.
TUNED = "experiment/tuned"
# Every option of every group, nested groups included (dataset/features, dataset/augment).
OPTIONS: dict[str, list[str]] = {}
for folder in sorted(p for p in CONF_DIR.glob("**/") if p != CONF_DIR):
    group = str(folder.relative_to(CONF_DIR))
    if not group.startswith("hydra") and group != TUNED and config_options(group):
        prefix = "+" if group == "dataset/augment" else ""  # not in the defaults list
        OPTIONS[group] = [f"{prefix}{group}={option}" for option in config_options(group)]
# Files that set other groups themselves (`@package _global_`) and featurizers (whose keys
# a dataset file sets) are composed alone; the others one option per group at a time
# (composing is what costs here).
ALONE = ("experiment", "hparams_search", "launcher", "dataset/features", "dataset/augment")


def test_every_shipped_option_passes_the_checks() -> None:
    together = [options for group, options in OPTIONS.items() if group not in ALONE]
    runs = [[o for o in row if o] for row in itertools.zip_longest(*together)]
    runs += [[option] for group in ALONE for option in OPTIONS[group]]
    pairs = list(tuned_pairs())
    failures = []
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for overrides in runs + pairs:
            try:
                check_config(compose("train", overrides), CHECKED_SECTIONS)
            except ConfigError as error:
                failures.append(f"{' '.join(overrides)}: {error}")
    assert not failures, "\n".join(failures)
    checked = sorted(o.lstrip("+") for run in runs for o in run)
    assert len(checked) == sum(map(len, OPTIONS.values())) > 60
    assert len(pairs) == len(config_options(TUNED)) >= 1


def tuned_pairs() -> Iterator[list[str]]:
    """``experiment=<e> model=<m>`` for each ``experiment/tuned/<e>_<m>.yaml``."""
    experiments = config_options("experiment")
    for name in config_options(TUNED):
        experiment = next(e for e in experiments if name.startswith(f"{e}_"))
        yield [f"experiment={experiment}", f"model={name.removeprefix(f'{experiment}_')}"]


@pytest.mark.parametrize(
    "overrides",
    [
        ["optimizer=sgd", "optimizer.momentum=0.9"],  # `momentum: float = 0`
        ["optimizer._target_=torch.optim.Adam", "optimizer.weight_decay=1e-4"],
        ["optimizer.lr=1"],  # an int is a valid float
    ],
)
def test_annotation_wins_over_the_type_of_the_default(overrides: list[str]) -> None:
    check_config(compose_config(overrides), CHECKED_SECTIONS)


def test_an_integer_parameter_still_refuses_a_float() -> None:
    with pytest.raises(ConfigError, match=r"trainer\.max_epochs: expected an integer"):
        check_config(compose_config(["trainer.max_epochs=1.5"]), CHECKED_SECTIONS)


def test_a_misspelled_parameter_gets_a_suggestion() -> None:
    with pytest.raises(
        ConfigError, match=r"optimizer.lrr: not a parameter .* \(did you mean 'lr'\?\)"
    ):
        check_config(compose_config(["+optimizer.lrr=0.1"]), CHECKED_SECTIONS)


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [("mpl", ["mlp", "logreg", "deep_mlp"], "mlp"), ("Price", ["area", "price"], "price"),
     ("lrr", ["lr", "betas"], "lr"), ("zzz", ["lr", "betas"], None)],
)  # fmt: skip
def test_did_you_mean(word: str, choices: list[str], expected: str | None) -> None:
    assert did_you_mean(word, choices) == (f" (did you mean '{expected}'?)" if expected else "")
