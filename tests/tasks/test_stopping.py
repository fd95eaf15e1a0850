"""Convex models trained to convergence (as scikit-learn trains them), the record of a run
that was not, and early stopping on validation for deep nets."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import LinearSVC
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from experiments.config import ConfigError, instantiate_checked
from experiments.config.checks import check_config
from experiments.core import CHECKED_SECTIONS, train
from experiments.kinds.estimator import score_estimator
from experiments.models import FixedFeatureMemo, RandomFourierFeatures

QUICK = ["trainer.enable_checkpointing=false"]


def _linear_table(path: Path, rows: int = 400) -> Path:
    """Prices linear in two numeric and one categorical column, plus noise of $20k."""
    rng = np.random.default_rng(0)
    area, age = rng.normal(1800, 500, rows), rng.uniform(0, 80, rows)
    town = rng.choice(["north", "south", "east"], rows)
    bonus = np.select([town == "north", town == "south"], [40_000, -25_000], 0)
    price = 50_000 + 120 * area - 900 * age + bonus + rng.normal(0, 20_000, rows)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["area", "age", "town", "price"])
        writer.writerows(zip(area.round(), age.round(1), town, price.round(), strict=True))
    return path


def _sklearn_score(cfg, estimator, metric: str) -> float:
    datamodule = instantiate_checked(cfg.dataset, "dataset")
    shapes = datamodule.load()
    inputs, targets = datamodule.tensors["train"]
    estimator.fit(inputs.flatten(1).numpy(), targets.numpy())
    return score_estimator(estimator, shapes, "test", *datamodule.tensors["test"])[metric]


def test_linear_regression_reaches_the_least_squares_rmse(make_cfg, tmp_path: Path) -> None:
    table = _linear_table(tmp_path / "houses.csv")
    data = ["dataset=csv", f"dataset.path={table}", "dataset.task=regression",
            "dataset.target_column=price", "monitor=val/rmse", "monitor_mode=min"]  # fmt: skip
    cfg = make_cfg(*data, "model=linear_regression", *QUICK, fast=False)
    result = train(cfg, tmp_path / "run", [])
    least_squares = _sklearn_score(cfg, LinearRegression(), "test/rmse")
    assert result["metrics"]["test/rmse"] == pytest.approx(least_squares, rel=0.01)
    assert result["converged"] is True and result["stopped_epoch"] < cfg.trainer.max_epochs


@pytest.mark.slow  # two full runs on digits
@pytest.mark.parametrize(
    ("model", "reference"),
    [("logreg", LogisticRegression(C=1.0, max_iter=5000)), ("svm_linear", LinearSVC(C=1.0))],
)
def test_convex_models_match_scikit_learn_on_digits(make_cfg, tmp_path, model, reference) -> None:
    cfg = make_cfg(f"model={model}", *QUICK, fast=False)
    result = train(cfg, tmp_path, [])
    ours, theirs = result["metrics"]["test/acc"], _sklearn_score(cfg, reference, "test/acc")
    # logreg solves the same objective; svm_linear is Crammer-Singer where LinearSVC is
    # one-vs-rest, so a point of accuracy either way.
    assert ours >= theirs - 0.01, f"{model} {ours:.4f} vs scikit-learn {theirs:.4f}"
    assert result["converged"] is True


@pytest.mark.slow  # a weakly regularized SVM's slow tail: ~1,000 L-BFGS iterations on digits
def test_a_weakly_regularized_svm_converges_within_the_default_ceiling(make_cfg, tmp_path) -> None:
    # At 20 L-BFGS iterations per epoch (the old default) this run reached the 30-epoch
    # ceiling unconverged, as svm_linear and logreg did on cats vs dogs pixels.
    cfg = make_cfg("model=svm_linear", "model.C=100", *QUICK, fast=False)
    assert cfg.trainer.max_epochs == 30
    result = train(cfg, tmp_path, [])
    assert result["converged"] is True and result["stopped_epoch"] < 30


def test_a_run_stopped_by_the_ceiling_says_it_did_not_converge(
    make_cfg, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = make_cfg("model=svm_linear", "trainer.max_epochs=1", *QUICK, fast=False)
    with caplog.at_level(logging.WARNING, logger="experiments"):
        result = train(cfg, tmp_path, [])
    assert result["status"] == "done"
    assert result["converged"] is False and result["stopped_epoch"] == 1
    assert "not converged" in caplog.text and "raise trainer.max_epochs" in caplog.text
    assert result["metrics"]["train/objective"] > 0  # the objective it stopped at


def test_lbfgs_refuses_a_loss_that_is_not_smooth(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg("model=svm_linear", "model.loss.classification.squared=false", *QUICK)
    with pytest.raises(ConfigError, match="optimizer=lbfgs needs a smooth loss"):
        train(cfg, tmp_path, [])


def test_a_convex_model_file_chooses_lbfgs_and_convergence_and_the_user_can_override(
    make_cfg,
) -> None:
    convex = make_cfg("model=logreg", fast=False)
    assert convex.optimizer._target_ == "torch.optim.LBFGS"
    assert {"convergence", "full_batch"} <= set(convex.callbacks)
    deep = make_cfg("model=mlp", fast=False)
    assert deep.optimizer._target_ == "torch.optim.AdamW"
    assert not {"convergence", "full_batch"} & set(deep.callbacks)
    chosen = make_cfg("model=logreg", "optimizer=adamw", "callbacks.convergence.tol=0.01")
    assert chosen.optimizer._target_ == "torch.optim.AdamW"
    assert "full_batch" not in chosen.callbacks and chosen.callbacks.convergence.tol == 0.01
    check_config(make_cfg("model=logreg", "optimizer.lr=0.5"), CHECKED_SECTIONS)


@pytest.mark.slow  # a deep net trained until it stops improving
def test_early_stopping_restores_and_reports_the_best_epoch(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg(
        "callbacks=[default,early_stopping]", "callbacks.early_stopping.patience=2",
        "trainer.max_epochs=40", "optimizer.lr=0.03", fast=False,
    )  # fmt: skip
    result = train(cfg, tmp_path, [])
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    val_acc = [event.value for event in events.Scalars("val/acc")]
    best = int(np.argmax(val_acc))
    assert result["stopped_epoch"] == len(val_acc) < 40
    assert result["best_epoch"] == best + 1 == result["stopped_epoch"] - 2
    assert result["metrics"]["val/acc"] == pytest.approx(val_acc[best])


@pytest.mark.slow  # two runs on digits
def test_full_batch_kernel_features_are_computed_once_per_fit_with_the_same_result(
    make_cfg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_cfg("model=svm_rbf", "model.net.n_features=300", "trainer.max_epochs=2", *QUICK)
    projected_rows = []
    compute = RandomFourierFeatures._features

    def counted(self, inputs):
        projected_rows.append(len(inputs))
        return compute(self, inputs)

    monkeypatch.setattr(RandomFourierFeatures, "_features", counted)
    cached = train(cfg, tmp_path / "cached", [])
    # Each split once (digits: 1077 train, 360 validation, 360 test rows), where L-BFGS
    # evaluates the training batch ~25 times an epoch, the objective once more, and
    # validation runs every epoch.
    assert projected_rows == [1077, 360, 360] and cached["stopped_epoch"] == 2
    monkeypatch.setattr(FixedFeatureMemo, "__call__", lambda self, inputs, state, f: f(inputs))
    recomputed = train(cfg, tmp_path / "recomputed", [])
    assert projected_rows.count(1077) > 1 + 2 * 20
    assert cached["metrics"] == recomputed["metrics"]
