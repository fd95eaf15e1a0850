"""A model kind is chosen once from the model config, and a model file holds only the keys
its kind takes."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from experiments.config import ConfigError, config_options
from experiments.data import DataShapes
from experiments.kinds import model_kind
from experiments.kinds.network_build import build_task

from ..conftest import compose_config

MODELS = config_options("model")


@pytest.mark.parametrize("model", MODELS)
def test_every_shipped_model_has_a_kind_and_only_its_keys(model: str) -> None:
    model_kind(compose_config([f"model={model}"]).model)  # raises on a key its kind lacks


@pytest.mark.parametrize(
    ("model", "kind"),
    [("mlp", "network"), ("svm_rbf", "network"), ("sk_svc", "estimator"), ("mf", "recommender")],
)
def test_the_kind_follows_the_model_file(model: str, kind: str) -> None:
    assert model_kind(compose_config([f"model={model}"]).model).name == kind


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("+model.compiled=true", "model.compiled: not a key of network models (did you mean 'compile'?)"),
        ("+model.c=1.0", "model.c: not a key of network models (did you mean 'C'?)"),
        ("+model.kind=magic", "model.kind: unknown kind 'magic'; expected one of network, estimator"),
    ],
)  # fmt: skip
def test_unknown_model_key_is_one_message_naming_it(override: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        model_kind(compose_config(["model=mlp", override]).model)
    assert str(error.value).startswith(message)


def test_estimator_keys_are_checked_too() -> None:
    with pytest.raises(ConfigError, match=r"model\.net: not a key of estimator models"):
        model_kind(compose_config(["model=sk_svc", "+model.net=1"]).model)


def test_network_outputs_are_probabilities_only_for_a_probabilistic_loss() -> None:
    """A multi-margin (hinge) loss gives margins, whatever its class; cross-entropy gives
    probabilities that sum to one."""
    shapes = DataShapes("tabular", "classification", (3,), 2, ("a", "b"))
    inputs = torch.randn(4, 3)
    kinds = {}
    for loss in ("torch.nn.MultiMarginLoss", "torch.nn.CrossEntropyLoss"):
        cfg = compose_config(["model=logreg", f"model.loss.classification._target_={loss}"])
        kind = model_kind(cfg.model)
        plain = OmegaConf.create(OmegaConf.to_container(cfg))
        task = build_task(plain.model, plain.optimizer, plain.scheduler, shapes, inputs)
        kinds[loss] = kind.predict(task, cfg, shapes, inputs)
    assert kinds["torch.nn.MultiMarginLoss"].kind == "margins"
    probabilities = kinds["torch.nn.CrossEntropyLoss"]
    assert probabilities.kind == "probabilities"
    assert torch.allclose(probabilities.values.sum(dim=1), torch.ones(4))
