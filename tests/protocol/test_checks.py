"""Search spaces checked against each model's composed config, and splits checked before
any job runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf, open_dict

from experiments.config import ConfigError, instantiate_checked
from experiments.config.compose import config_options
from experiments.protocol.checks import check_splits, model_search, verdict_warning
from experiments.protocol.settings import ProtocolSettings

from ..conftest import compose_config
from ..recsys.test_ratings import write_ratings

# Every model the protocol compares; a style transfer paints an image and has no search.
MODELS = [
    m for m in config_options("model") if "search_space" in compose_config([f"model={m}"]).model
]


def with_space(model: str, space: dict[str, str]):
    cfg = compose_config([f"model={model}"])
    with open_dict(cfg):
        cfg.model.search_space = space
    return cfg


@pytest.mark.parametrize("model", MODELS)
def test_every_model_brings_a_search_space_that_fits_it(model: str) -> None:
    cfg = compose_config([f"model={model}"])
    search = model_search(cfg)
    assert search.name == model
    assert set(search.space) == set(cfg.model.search_space)
    assert search.space, f"{model} has nothing to search"


def test_a_model_without_a_search_space_is_named() -> None:
    with pytest.raises(ConfigError, match="model 'style_transfer' has none, so the protocol"):
        model_search(compose_config(["model=style_transfer"]))


def test_a_scikit_learn_parameter_left_out_of_the_yaml_is_added() -> None:
    search = model_search(
        with_space("sk_random_forest", {"model.estimator.max_depth": "tag(int, interval(2, 30))"})
    )
    assert search.added == {"model.estimator.max_depth"}


def test_keys_the_command_line_pins_leave_the_space() -> None:
    search = model_search(compose_config(["model=mlp"]), pinned={"optimizer.lr", "scheduler"})
    assert "optimizer.lr" not in search.space and "model.net.dropout" in search.space


@pytest.mark.parametrize(
    ("model", "space", "message"),
    [
        ("mlp", {"model.Cc": "interval(1e-4, 1e-2)"},
         "model.search_space.model.Cc: unknown key: model mlp's config has no model.Cc"),
        ("mlp", {"optimizer.lrr": "interval(1e-4, 1e-2)"},
         "model.search_space.optimizer.lrr: not a parameter of torch.optim.AdamW"),
        ("mlp", {"model.net.gamma": "interval(1e-3, 1e-1)"},
         "model.search_space.model.net.gamma: not a parameter of experiments.models.MLP"),
        ("sk_svc", {"optimizer.lr": "interval(1e-4, 1e-2)"},
         "model.search_space.optimizer.lr: estimator models do not use optimizer.lr"),
        ("sk_random_forest", {"model.estimator.max_dept": "tag(int, interval(2, 30))"},
         "model.search_space.model.estimator.max_dept: not a parameter of sklearn.ensemble.RandomForestClassifier"),
        ("mlp", {"trainer.max_epochs": "interval(5.5, 30)"},
         "model.search_space.trainer.max_epochs: expected an integer for pytorch_lightning.Trainer"),
        ("mlp", {"optimizer.lr": "0.01"}, "model.search_space.optimizer.lr: expected a sweep"),
    ],
)  # fmt: skip
def test_a_bad_search_space_names_its_key(model: str, space: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        model_search(with_space(model, space))
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith(message)


def test_splits_that_cannot_be_made_stop_the_protocol(tmp_path: Path) -> None:
    rows = "x,label\n" + "".join(f"{i},{i % 4}\n" for i in range(8))  # 2 rows per class
    (tmp_path / "tiny.csv").write_text(rows)
    cfg = compose_config([
        "dataset=csv", f"dataset.path={tmp_path / 'tiny.csv'}", "dataset.task=classification",
        "dataset.target_column=label", "dataset.cache=false",
    ])  # fmt: skip
    with pytest.raises(ConfigError) as error:
        check_splits(cfg.dataset, range(2))
    (problem,) = error.value.problems
    assert problem.startswith("dataset.test_size: cannot split 8 rows")
    assert problem.endswith("(dataset.split_seed=0)")


def test_splits_that_can_be_made_pass() -> None:
    cfg = compose_config([])
    check_splits(OmegaConf.create(OmegaConf.to_container(cfg.dataset)), range(2))


def test_ratings_withhold_their_test_rows_or_stop_the_protocol(tmp_path: Path) -> None:
    """A search job's ratings score the validation rows in the test phase; without
    validation rows there is nothing to score instead, and the protocol stops first."""
    table = write_ratings(tmp_path)
    dataset = compose_config([
        "dataset=ratings", f"dataset.path={table}", "dataset.user_column=uid",
        "dataset.item_column=iid", "dataset.rating_column=stars",
    ]).dataset  # fmt: skip
    check_splits(dataset, range(2))
    searched = instantiate_checked(dataset, "dataset", withhold_test=True)
    searched.load()
    assert searched.tensors["test"] is searched.tensors["val"]
    dataset.val_size = 0.0
    with pytest.raises(ConfigError, match=r"dataset\.withhold_test: the test rows are withheld"):
        check_splits(dataset, range(1))


def test_protocol_fair_composes_with_its_sweeper_and_valid_defaults() -> None:
    cfg = compose_config(["protocol=fair", "experiment=svm_vs_deep"], return_hydra_config=True)
    assert cfg.hydra.sweeper._target_.endswith("ProtocolSweeper")
    assert cfg.hydra.sweeper.params.model == "svm_linear,logreg,mlp"  # the experiment's sweep
    settings = ProtocolSettings.from_config(cfg.protocol, "val/acc", "max")
    assert settings.tuning == "nested" and settings.splits >= 5  # paired splits per model
    assert cfg.protocol.job is None  # set per job by the sweeper


@pytest.mark.parametrize("splits", [1, 2, 3, 5])
def test_splits_that_can_reach_no_verdict_are_said_before_any_job(splits: int) -> None:
    warning = verdict_warning(splits)
    if splits != 2:  # one split: its test rows decide; three or more: the paired splits
        assert warning is None
        return
    assert warning.startswith(
        "protocol.splits=2: no verdict can come of these runs: a verdict needs at least 3 "
        "paired splits (or a single split, judged on its test rows)"
    )
    assert warning.endswith("For a verdict: protocol.splits=3 or more")
