"""The convex models solve scikit-learn's problems at the same ``C``, with their default
settings: on two classes (one weight row, as scikit-learn has; a two-row head acted as
scikit-learn's ``2 C``) and on several, the same predictions and, up to the solvers'
tolerance, the same decision values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from experiments.core.saved import SavedRun, load_run

from ..conftest import train_run

# liblinear penalizes the intercept as the weight of a constant feature of this value: a
# large one makes that penalty negligible, as our models (and LogisticRegression) have none.
INTERCEPT_SCALING = 100.0
# Largest difference of decision values allowed, as a fraction of the largest |value|:
# 1e-4 to 3e-4 measured at the same C; 0.15 to 0.29 with the two-row head.
TOLERANCE = 1e-3


def linear_svc(C: float) -> LinearSVC:
    return LinearSVC(C=C, tol=1e-10, max_iter=100_000, intercept_scaling=INTERCEPT_SCALING)


def logistic(C: float) -> LogisticRegression:
    return LogisticRegression(C=C, tol=1e-10, max_iter=10_000)


def split(run: SavedRun, name: str, features=None) -> tuple[np.ndarray, np.ndarray]:
    """A split's inputs (through ``features`` when given) and targets, as NumPy arrays."""
    inputs, targets = run.datamodule.tensors[name]
    inputs = inputs.flatten(1)
    with torch.no_grad():
        return (features(inputs) if features else inputs).numpy(), targets.numpy()


def scores(run: SavedRun, inputs: torch.Tensor) -> np.ndarray:
    """Our decision values: class 1's score minus class 0's for two classes, else all."""
    with torch.no_grad():
        values = run.model.net(inputs).numpy()
    return values[:, 1] - values[:, 0] if values.shape[1] == 2 else values


def assert_same_decisions(ours: np.ndarray, theirs: np.ndarray) -> None:
    predicted = (ours > 0) if ours.ndim == 1 else ours.argmax(1)
    expected = (theirs > 0) if theirs.ndim == 1 else theirs.argmax(1)
    assert np.array_equal(predicted, expected)  # the same class on every test row
    assert np.abs(ours - theirs).max() < TOLERANCE * np.abs(theirs).max()


@pytest.mark.parametrize("C", [0.05, 1.0])
@pytest.mark.parametrize(("model", "reference"), [("logreg", logistic), ("svm_linear", linear_svc)])
def test_two_classes_match_scikit_learn_at_the_same_C(tmp_path, model, reference, C) -> None:
    run = load_run(train_run(tmp_path, "dataset=breast_cancer", f"model={model}", f"model.C={C}"))
    sklearn = reference(C).fit(*split(run, "train"))
    test_inputs, _ = run.datamodule.tensors["test"]
    assert_same_decisions(scores(run, test_inputs), sklearn.decision_function(test_inputs))
    assert run.model.net.linear.weight.shape == (1, 30)  # one row, as scikit-learn's


def test_a_kernel_svm_head_is_linear_svc_on_its_features(tmp_path: Path) -> None:
    overrides = ["dataset=breast_cancer", "model=svm_nystroem", "model.net.n_components=60"]
    run = load_run(train_run(tmp_path, *overrides, "model.C=0.5"))
    features = run.model.net.features
    sklearn = linear_svc(0.5).fit(*split(run, "train", features))
    test_features, _ = split(run, "test", features)
    test_inputs, _ = run.datamodule.tensors["test"]
    assert_same_decisions(scores(run, test_inputs), sklearn.decision_function(test_features))
    assert run.model.net.head.weight.shape == (1, 60)


def test_several_classes_match_scikit_learn_at_the_same_C(tmp_path: Path) -> None:
    run = load_run(train_run(tmp_path, "model=logreg", "model.C=0.5"))
    sklearn = logistic(0.5).fit(*split(run, "train"))
    test_inputs, _ = run.datamodule.tensors["test"]
    ours = scores(run, test_inputs.flatten(1))
    # Multinomial: scores are defined up to a constant per row; compare them centred.
    theirs = sklearn.decision_function(test_inputs.flatten(1))
    centred = ours - ours.mean(1, keepdims=True)
    assert_same_decisions(centred, theirs - theirs.mean(1, keepdims=True))
    assert run.model.net.linear.weight.shape == (10, 64)
