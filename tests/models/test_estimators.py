"""scikit-learn models of a tabular benchmark predict, through the estimator kind, what the
same scikit-learn estimator predicts when called directly on the same features; gradient
boosting splits a table's categorical columns natively."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hydra.utils import instantiate

from experiments.config.trusted import Trust
from experiments.core import train
from experiments.kinds import model_kind
from experiments.runs.result import TEST_PREDICTIONS_FILE

SEED = 3


def shops(path: Path, rows: int = 160) -> Path:
    """A table of shops: size (some missing), city (six, some missing), and whether the shop
    is 'busy': cities b, d and f are, and large shops elsewhere."""
    generator = np.random.default_rng(0)
    cities = generator.choice(list("abcdef"), rows)
    sizes = generator.normal(50, 15, rows).round(1)
    lines = ["size,city,busy"]
    for i, (city, size) in enumerate(zip(cities, sizes, strict=True)):
        busy = city in "bdf" or size > 65
        lines.append(f"{'' if i % 11 == 0 else size},{'' if i % 13 == 0 else city},{busy}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("model", ["sk_hist_gradient_boosting", "sk_extra_trees", "sk_knn"])
def test_estimator_predicts_what_scikit_learn_predicts(model: str, make_cfg, tmp_path: Path):
    overrides = [
        "dataset=csv", f"dataset.path={shops(tmp_path / 'shops.csv')}",
        "dataset.task=classification", "dataset.target_column=busy", f"model={model}",
        f"seed={SEED}",
    ]  # fmt: skip
    cfg = make_cfg(*overrides)
    result = train(cfg, tmp_path / "run", overrides)
    predicted = np.load(tmp_path / "run" / TEST_PREDICTIONS_FILE)["predicted"]

    datamodule = instantiate(cfg.dataset)
    shapes = datamodule.load()
    (train_x, train_y), (test_x, test_y) = datamodule.tensors["train"], datamodule.tensors["test"]
    reference = instantiate(cfg.model.estimator)
    if "random_state" in reference.get_params():
        reference.set_params(random_state=SEED)
    train_x, test_x = train_x.numpy(), test_x.numpy()
    if model == "sk_hist_gradient_boosting":  # scikit-learn's own route: codes and a mask
        assert shapes.one_hot_groups == (("city", 1, 7),)
        train_x, test_x = city_codes(train_x), city_codes(test_x)
        reference.set_params(categorical_features=[False, True])
    reference.fit(train_x, train_y.numpy())
    assert np.array_equal(reference.predict(test_x), predicted)
    accuracy = float(np.mean(predicted == test_y.numpy()))
    assert result["metrics"]["test/acc"] == pytest.approx(accuracy)

    kind = model_kind(cfg.model)  # what experiments-predict and -eval load and run
    loaded = kind.load(cfg, None, shapes, tmp_path / "run" / kind.model_file, Trust())
    outputs = kind.predict(loaded, cfg, shapes, datamodule.tensors["test"][0])
    assert np.array_equal(outputs.values.argmax(1).numpy(), predicted)
    if model == "sk_hist_gradient_boosting":
        assert loaded.is_categorical_.tolist() == [False, True]


def city_codes(features: np.ndarray) -> np.ndarray:
    """Size, then the city one-hot block (features 1-6) as its code: NaN where none is hot."""
    block = features[:, 1:7]
    codes = np.where(block.any(1), block.argmax(1), np.nan)
    return np.column_stack([features[:, 0], codes])


def test_gradient_boosting_takes_one_hot_features_as_numbers_when_told(make_cfg, tmp_path):
    overrides = [
        "dataset=csv", f"dataset.path={shops(tmp_path / 'shops.csv')}",
        "dataset.task=classification", "dataset.target_column=busy",
        "model=sk_hist_gradient_boosting", "model.estimator.categorical_features=null",
    ]  # fmt: skip
    cfg = make_cfg(*overrides)
    train(cfg, tmp_path / "run", overrides)
    kind = model_kind(cfg.model)
    shapes = instantiate(cfg.dataset).load()
    loaded = kind.load(cfg, None, shapes, tmp_path / "run" / kind.model_file, Trust())
    assert loaded.n_features_in_ == 7 and loaded.is_categorical_ is None
