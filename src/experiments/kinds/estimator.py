"""The estimator kind: scikit-learn estimators on the same splits and metrics as networks.

Model configs name the estimator directly (``estimator: {_target_: sklearn.svm.SVC, C: 1.0}``);
nothing here wraps an estimator class. Estimators get the features as an array, except those
that read categorical columns from the dtype (HistGradientBoosting's default
``categorical_features="from_dtype"``): they get each one-hot block of a table back as one
column of pandas categories, and split on categories natively. A fitted estimator is
saved as ``estimator.skops`` (`experiments.kinds.estimator_file`: loading it builds only
trusted types).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from threadpoolctl import threadpool_limits

from experiments.config import ConfigError, instantiate_checked
from experiments.config.trusted import Trust
from experiments.data import DataShapes
from experiments.data.tables import category_codes
from experiments.kinds.base import FitOutcome, Outputs, RunInputs, require_examples
from experiments.kinds.estimator_file import ESTIMATOR_FILE, load_fitted, save_fitted
from experiments.kinds.metrics import build_metrics
from experiments.tasks.monitor import logged_metrics

if TYPE_CHECKING:  # Lightning and torchmetrics: an estimator that predicts imports neither
    from torchmetrics import Metric

    from experiments.data import DataModule

# Fitted arrays that hold what a model learned, per estimator family.
_LEARNED_ARRAYS = (
    "coef_", "intercept_", "support_vectors_", "dual_coef_",
    "theta_", "var_", "feature_log_prob_", "class_log_prior_",
)  # fmt: skip


def count_learned_values(estimator: BaseEstimator) -> int | None:
    """A parameter count where one is defined: numbers in the fitted coefficient arrays
    (linear models, SVMs' support vectors and dual coefficients, naive Bayes statistics), or
    tree nodes (trees and forests); None otherwise."""
    if hasattr(estimator, "estimators_"):
        counts = [count_learned_values(member) for member in np.ravel(estimator.estimators_)]
        return None if None in counts else sum(counts)
    if hasattr(estimator, "tree_"):
        return int(estimator.tree_.node_count)
    arrays = [getattr(estimator, name) for name in _LEARNED_ARRAYS if hasattr(estimator, name)]
    return sum(int(np.size(array)) for array in arrays) if arrays else None


def reads_categories(estimator: BaseEstimator) -> bool:
    """Whether the estimator takes categorical columns as pandas categories (scikit-learn's
    ``categorical_features="from_dtype"``)."""
    return estimator.get_params().get("categorical_features") == "from_dtype"


def _features(
    estimator: BaseEstimator, inputs: torch.Tensor, shapes: DataShapes
) -> np.ndarray | pd.DataFrame:
    """What the estimator is fitted on and predicts from: the flattened features, or for an
    estimator that `reads_categories`, a table's one-hot blocks as category columns."""
    features = inputs.flatten(1).numpy()
    if shapes.one_hot_groups and reads_categories(estimator):
        return category_codes(features, shapes.one_hot_groups)
    return features


def score_estimator(
    estimator: BaseEstimator,
    shapes: DataShapes,
    split: str,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    extra: Mapping[str, Metric] | None = None,
) -> dict[str, float]:
    """``{split}/<metric>`` of a fitted estimator on ``inputs``, with the tasks' torchmetrics
    and the ``extra`` ones (regression: in the original units). Classifiers are scored on
    their predicted classes."""
    # Imported here: torchmetrics costs half a second of a process start that predicts only.
    from experiments.tasks.metrics import classification_metrics, regression_metrics

    predictions = torch.as_tensor(estimator.predict(_features(estimator, inputs, shapes)))
    if shapes.task == "classification":
        metrics = classification_metrics(shapes.num_outputs, extra)
        metrics.update(predictions.long(), targets)
    else:
        metrics = regression_metrics(extra)
        metrics.update(shapes.original_units(predictions.float()), shapes.original_units(targets))
    return {f"{split}/{name}": float(value) for name, value in metrics.compute().items()}


def prepare_estimator(
    estimator: BaseEstimator, name: str, shapes: DataShapes, seed: int
) -> BaseEstimator:
    """Check the estimator fits the task; seed it with the run seed unless the config did.

    Raises:
        ConfigError: a classifier on a regression task or the reverse.
    """
    fits = is_classifier(estimator) if shapes.task == "classification" else is_regressor(estimator)
    if not fits:
        kind = "classifier" if is_classifier(estimator) else "regressor"
        raise ConfigError(
            f"model '{name}' is a scikit-learn {kind} ({type(estimator).__name__}); the data "
            f"is a {shapes.task} task (dataset.task)"
        )
    if estimator.get_params().get("random_state", seed) is None:
        estimator.set_params(random_state=seed)
    return estimator


def _check_non_negative(estimator: BaseEstimator, features: np.ndarray) -> None:
    """Estimators of counts (multinomial naive Bayes) refuse negative inputs; say so before
    fitting, with featurizers that give counts.

    Raises:
        ConfigError: the estimator takes non-negative inputs only and the features are not.
    """
    if estimator.__sklearn_tags__().input_tags.positive_only and (features < 0).any():
        raise ConfigError(
            f"model.estimator ({type(estimator).__name__}) needs non-negative inputs such as "
            f"counts, but these features go down to {features.min():.3g} (standardized "
            "inputs are negative); give it counts or TF-IDF, e.g. dataset=sms_spam "
            "dataset/features=tfidf dataset.features.weighting=counts"
        )


class EstimatorKind:
    """scikit-learn estimators (``model.estimator``: the estimator's `_target_` and settings),
    fitted once on the train split, seeded with the run seed where they take one."""

    name = "estimator"
    recommends = False
    model_file = ESTIMATOR_FILE
    missing_model_hint = "it did not finish fitting, or ran with keep_model=false"
    keys = frozenset({"name", "estimator", "search_space"})

    def check_data(self, model: DictConfig, datamodule: Any) -> None:
        require_examples(model, datamodule)

    def check_task(self, model: DictConfig, shapes: DataShapes) -> None:
        """Refuse a classifier for regression data or the reverse, before fitting.

        Raises:
            ConfigError: the estimator does not do ``shapes.task``.
        """
        estimator = instantiate_checked(model.estimator, "model.estimator")
        prepare_estimator(estimator, model.name, shapes, seed=0)

    def describe(self, cfg: DictConfig) -> dict[str, Any]:
        # estimators use no optimizer, batches or epochs
        return {"model": OmegaConf.to_container(cfg.model, resolve=True)}

    def logged_metrics(self, cfg: DictConfig, shapes: DataShapes) -> list[str] | None:
        return logged_metrics(shapes.task, with_loss=False, extra=list(cfg.get("metrics") or {}))

    def fit(self, run: RunInputs) -> FitOutcome:
        """Fit on the train split, score val and test with the tasks' torchmetrics, log the
        metrics as scalars and save the estimator. ``test_seconds`` is the time to predict
        the test split, as for networks.

        Raises:
            ConfigError: the estimator refuses the features (negative inputs for an
                estimator of counts) or its settings (scikit-learn's ValueError at fit).
        """
        cfg, shapes, tensors = run.cfg, run.shapes, run.datamodule.tensors
        estimator = prepare_estimator(
            instantiate_checked(cfg.model.estimator, "model.estimator"),
            cfg.model.name,
            shapes,
            cfg.seed,
        )
        train_inputs, train_targets = tensors["train"]
        with threadpool_limits(limits=cfg.threads):
            features = _features(estimator, train_inputs, shapes)
            _check_non_negative(estimator, features)
            start = time.perf_counter()
            try:
                estimator.fit(features, train_targets.numpy())
            except ValueError as error:  # scikit-learn's answer to settings or data it refuses
                raise ConfigError(
                    f"model.estimator ({type(estimator).__name__}): {error}"
                ) from error
            fit_seconds = time.perf_counter() - start
            extra = build_metrics(cfg.get("metrics"), shapes)
            metrics = score_estimator(estimator, shapes, "val", *tensors["val"], extra)
            start = time.perf_counter()
            metrics |= score_estimator(estimator, shapes, "test", *tensors["test"], extra)
            test_seconds = time.perf_counter() - start
            predicted = estimator.predict(_features(estimator, tensors["test"][0], shapes))
        scores = {}
        if shapes.task == "classification":
            outputs = self.predict(estimator, cfg, shapes, tensors["test"][0])
            scores["scores"] = outputs.values.numpy()
            if outputs.kind == "probabilities":
                scores["probabilities"] = scores["scores"]
        save_fitted(run, estimator, metrics)
        targets = tensors["test"][1]
        if shapes.task == "regression":  # in the data's original units, as the metrics
            predicted = shapes.original_units(torch.as_tensor(predicted).float()).numpy()
            targets = shapes.original_units(targets)
        return FitOutcome(
            metrics=dict(sorted(metrics.items())),
            fit_seconds=round(fit_seconds, 4),
            test_seconds=round(test_seconds, 4),
            n_params=count_learned_values(estimator),
            device=f"cpu ({type(estimator).__module__}.{type(estimator).__name__})",
            test_predictions={
                "predicted": np.asarray(predicted),
                "target": targets.numpy(),
                **scores,
            },
        )

    def load(
        self,
        cfg: DictConfig,
        datamodule: DataModule | None,
        shapes: DataShapes,
        path: Path,
        trust: Trust,
    ) -> BaseEstimator:
        name = cfg.model.name
        estimator = load_fitted(path, f"model '{name}' is a scikit-learn estimator", trust)
        fitted_inputs = getattr(estimator, "n_features_in_", None)
        expected = shapes.in_features
        if isinstance(estimator, BaseEstimator):  # one input per category column, if it reads them
            expected = _features(estimator, torch.zeros(1, *shapes.in_shape), shapes).shape[1]
        if not isinstance(estimator, BaseEstimator) or fitted_inputs != expected:
            raise ConfigError(
                f"ckpt: '{path}' does not fit model '{name}' of this run: expected a fitted "
                f"estimator of {expected} inputs, got {type(estimator).__name__}"
                + (f" of {fitted_inputs} inputs" if fitted_inputs is not None else "")
            )
        return estimator

    def score(
        self, model: BaseEstimator, cfg: DictConfig, datamodule: DataModule, shapes: DataShapes
    ) -> dict[str, float]:
        extra = build_metrics(cfg.get("metrics"), shapes)
        with threadpool_limits(limits=cfg.threads):
            return score_estimator(model, shapes, "test", *datamodule.tensors["test"], extra)

    def predict(
        self, model: BaseEstimator, cfg: DictConfig, shapes: DataShapes, inputs: torch.Tensor
    ) -> Outputs:
        features = _features(model, inputs, shapes)
        with threadpool_limits(limits=cfg.threads):
            if shapes.task == "regression":
                values = torch.as_tensor(model.predict(features)).float()
                return Outputs("values", shapes.original_units(values))
            if hasattr(model, "predict_proba"):  # SVC only with probability=True
                return Outputs("probabilities", torch.as_tensor(model.predict_proba(features)))
            margins = torch.as_tensor(model.decision_function(features))
        if margins.ndim == 1:  # binary: one margin, positive for the second class
            margins = torch.stack([-margins, margins], dim=1)
        return Outputs("margins", margins)
