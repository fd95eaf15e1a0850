"""Every model config trains on data of its kind; the zoo's quality bars on digits; and a
model that cannot take the data fails before training with a message that says why."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import pytorch_lightning as pl
import skops.io
import torch
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf
from sklearn.base import is_classifier

from experiments.config import CONF_DIR, config_options, instantiate_checked
from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust
from experiments.core import train
from experiments.data import DataShapes, TensorBatches
from experiments.kinds import model_kind
from experiments.kinds.estimator import prepare_estimator, score_estimator
from experiments.kinds.estimator_file import ESTIMATOR_FILE, load_fitted
from experiments.kinds.network_build import build_task

from .conftest import compose_config

# Networks and estimators of rows. Recommenders take user/item pairs of a ratings dataset:
# tests/recsys/test_recommender.py; style transfer paints an image: tests/style/.
MODELS = [
    model
    for model in config_options("model")
    if OmegaConf.load(CONF_DIR / "model" / f"{model}.yaml").get("kind") in (None, "network")
]


def tiny_data(kind: str) -> tuple[DataShapes, dict[str, tuple[torch.Tensor, torch.Tensor]]]:
    """24 rows of generated data of one kind, the same tensors for train, val and test."""
    generator = torch.Generator().manual_seed(0)
    if kind == "image":
        shapes = DataShapes("image", "classification", (1, 8, 8), 3, ("a", "b", "c"))
        inputs = torch.rand(24, 1, 8, 8, generator=generator)
        targets = torch.arange(24) % 3
    elif kind == "tokens":
        shapes = DataShapes("text", "classification", (12,), 2, ("ham", "spam"), vocab_size=30)
        inputs = torch.randint(0, 30, (24, 12), generator=generator)
        targets = torch.arange(24) % 2
    else:  # a table with a real-valued target
        shapes = DataShapes("tabular", "regression", (5,), 1, None)
        inputs = torch.randn(24, 5, generator=generator)
        targets = inputs @ torch.arange(5.0)
    return shapes, dict.fromkeys(("train", "val", "test"), (inputs, targets))


def data_kind(model: DictConfig) -> str:
    """The kind of data a model config is smoke-tested on, read from the config (as timm's
    tests read a model's input size): networks that take ``vocab_size`` get token ids; the
    task comes from the model's losses, or from whether its estimator is a classifier."""
    if model_kind(model).name == "estimator":
        classifies = is_classifier(get_object(model.estimator._target_)())
    else:
        if "vocab_size" in inspect.signature(get_object(model.net._target_)).parameters:
            return "tokens"
        classifies = "classification" in model.loss
    return "image" if classifies else "table"


@pytest.mark.parametrize("model", MODELS)
def test_every_model_trains_a_step_on_its_kind_of_data(model: str, tmp_path: Path) -> None:
    cfg = compose_config([f"model={model}"])
    shapes, tensors = tiny_data(data_kind(cfg.model))
    if model_kind(cfg.model).name == "estimator":
        estimator = prepare_estimator(
            instantiate_checked(cfg.model.estimator, "model.estimator"), model, shapes, 0
        )
        estimator.fit(tensors["train"][0].flatten(1).numpy(), tensors["train"][1].numpy())
        metrics = score_estimator(estimator, shapes, "test", *tensors["test"])
        assert metrics and all(v == v for v in metrics.values())  # no NaN
        # what a run saves loads back with no trust beyond the allow-list
        (tmp_path / ESTIMATOR_FILE).write_bytes(skops.io.dumps(estimator))
        loaded = load_fitted(tmp_path / ESTIMATOR_FILE, model, Trust())
        assert score_estimator(loaded, shapes, "test", *tensors["test"]) == metrics
        return
    task = build_task(cfg.model, cfg.optimizer, cfg.scheduler, shapes, tensors["train"][0])
    before = [p.detach().clone() for p in task.parameters()]
    trainer = pl.Trainer(
        max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=tmp_path, num_sanity_val_steps=0,
    )  # fmt: skip
    trainer.fit(
        task,
        train_dataloaders=TensorBatches(*tensors["train"], 8, shuffle=True),
        val_dataloaders=TensorBatches(*tensors["val"], 8, shuffle=False),
    )
    assert any(not torch.equal(a, b) for a, b in zip(before, task.parameters(), strict=True))


@pytest.mark.parametrize(
    ("model", "threshold"), [("svm_rbf", 0.96), ("cnn", 0.96), ("sk_svc", 0.97)]
)
def test_zoo_quality_on_digits(make_cfg, tmp_path: Path, model: str, threshold: float) -> None:
    result = train(make_cfg(f"model={model}", "trainer.max_epochs=20"), tmp_path, [])
    assert result["metrics"]["test/acc"] >= threshold


def test_sklearn_run_has_the_same_result_fields(make_cfg, tmp_path: Path) -> None:
    result = train(make_cfg("model=sk_linear_svc"), tmp_path, ["model=sk_linear_svc"])
    assert {"val/acc", "val/f1", "test/acc", "test/f1"} <= set(result["metrics"])
    assert result["n_params"] == 64 * 10 + 10  # coefficients and intercepts
    assert result["fit_seconds"] > 0 and result["status"] == "done"
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


@pytest.mark.parametrize(
    ("model", "kind", "message"),
    [
        ("cnn", "table", "model 'cnn' cannot be built for tabular data of shape (5,): cnn needs images"),
        ("text_cnn", "image", "model 'text_cnn' needs vocab_size, which image data does not provide (token ids: dataset/features=tokens)"),
        ("mlp", "tokens", "model 'mlp' takes feature vectors, but the data is token ids"),
        ("logreg", "table", "model 'logreg' supports classification only, but the data is a regression task"),
        ("svr_rbf", "image", "model 'svr_rbf' supports regression only, but the data is a classification task"),
    ],
)  # fmt: skip
def test_model_that_cannot_take_the_data_says_why(model: str, kind: str, message: str) -> None:
    cfg = compose_config([f"model={model}"])
    shapes, tensors = tiny_data(kind)
    with pytest.raises(ConfigError) as error:
        build_task(cfg.model, cfg.optimizer, cfg.scheduler, shapes, tensors["train"][0])
    assert message in str(error.value)


def test_sklearn_classifier_on_regression_data_says_why() -> None:
    cfg = compose_config(["model=sk_svc"])
    shapes, _ = tiny_data("table")
    estimator = instantiate_checked(cfg.model.estimator, "model.estimator")
    with pytest.raises(ConfigError, match="model 'sk_svc' is a scikit-learn classifier"):
        prepare_estimator(estimator, "sk_svc", shapes, 0)


def test_test_time_flip_averages_each_image_with_its_mirror_image() -> None:
    cfg = compose_config(["model=cnn", "model.test_time_flip=true"])
    shapes, tensors = tiny_data("image")
    inputs = tensors["test"][0]
    task = build_task(cfg.model, cfg.optimizer, cfg.scheduler, shapes, tensors["train"][0])
    task.eval()
    with torch.no_grad():
        plain, mirrored = task.net(inputs), task.net(inputs.flip(-1))
        assert not torch.allclose(plain, mirrored), "the generated images are not symmetric"
        averaged = (plain + mirrored) / 2
        assert torch.equal(task.outputs(inputs), averaged)  # what validation and test score
        predicted = model_kind(cfg.model).predict(task, cfg, shapes, inputs)
        assert torch.equal(predicted.values, averaged.softmax(dim=1))  # experiments-predict
        task.train()
        torch.manual_seed(0)
        trained_on = task.outputs(inputs)
        torch.manual_seed(0)
        assert torch.equal(trained_on, task.net(inputs)), "training sees the images as served"


@pytest.mark.parametrize(
    ("overrides", "kind", "message"),
    [
        (["model=mlp", "+model.test_time_flip=true"], "table", "model.test_time_flip: averages class scores over mirrored images, so it needs an image classification dataset; got tabular data for regression"),
        (["model=cnn", "model.compile=yes"], "image", "model.compile: expected true or false, got 'yes'"),
    ],
)  # fmt: skip
def test_a_network_flag_that_does_not_apply_says_why(
    overrides: list[str], kind: str, message: str
) -> None:
    cfg = compose_config(overrides)
    shapes, tensors = tiny_data(kind)
    with pytest.raises(ConfigError) as error:
        build_task(cfg.model, cfg.optimizer, cfg.scheduler, shapes, tensors["train"][0])
    assert str(error.value) == message
