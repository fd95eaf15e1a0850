"""The interface every model kind implements, and the records that cross it.

A *kind* is one training regime: a network trained by the Lightning Trainer, a scikit-learn
estimator fitted in one call, and so on. `experiments.kinds.model_kind` chooses it once from
the model config; the entry points then only call the methods below, never ask which kind
they hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch
from omegaconf import DictConfig

from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust
from experiments.data import DataShapes

if TYPE_CHECKING:  # Lightning's: a kind that predicts imports none of it
    from pytorch_lightning.loggers import Logger

    from experiments.data import DataModule

# What a model says about rows: class probabilities (softmax of a cross-entropy network,
# predict_proba), class margins (scores of models without probabilities, e.g. hinge-loss
# ones; the largest wins), or values (regression, in the data's original units).
OUTPUT_KINDS = ("probabilities", "margins", "values")


@dataclass(frozen=True)
class Outputs:
    """What a model says about some rows: ``kind`` is one of `OUTPUT_KINDS`; ``values`` has
    one row per input (a score per class, or the predicted value(s))."""

    kind: str
    values: torch.Tensor


@dataclass(frozen=True)
class RunInputs:
    """Everything a kind gets to fit one run."""

    cfg: DictConfig
    run_dir: Path
    overrides: list[str]
    datamodule: DataModule
    shapes: DataShapes
    loggers: list[Logger]  # the run's loggers (`experiments.tasks.loggers`)
    checkpoint: Path | None  # resume from this checkpoint (kinds that support resuming)


@dataclass
class FitOutcome:
    """What a fitted run reports: metrics keyed by logged name (``val/acc``, ``test/acc``),
    seconds to fit and to predict the test split, learned parameters (None where no count
    is defined), the device, the test split's predictions (``predicted`` and ``target``
    per row: class indices, or values in original units; classifiers add ``scores`` per
    class, and ``probabilities`` where the model has them) for tests over test rows, and how
    training stopped, as ``result.json`` keys (`experiments.tasks.stopping.stopping_record`:
    ``stopped_epoch``, ``converged``, ``best_epoch``; empty for kinds fitted in one call),
    and the logging step of the test metrics (TensorBoard's x axis; 0 for kinds fitted in
    one call), where metrics computed after the fit (ROC-AUC) are logged too."""

    metrics: dict[str, float]
    fit_seconds: float
    test_seconds: float
    n_params: int | None
    device: str
    test_predictions: dict[str, np.ndarray]
    stopping: dict[str, Any] = field(default_factory=dict)
    test_step: int = 0


class ModelKind(Protocol):
    """One kind of model: how it is fitted, saved, loaded, scored and asked for outputs.

    Attributes:
        name: the kind's name (``network``, ``estimator``).
        model_file: the trained model inside a run folder, relative to it.
        missing_model_hint: why a run folder may lack `model_file`, for error messages.
        keys: the keys a model config of this kind may hold (besides ``kind``); any other
            key is a configuration error.
        recommends: whether the kind answers ``experiments-predict user=/item=``: such a
            kind also has ``recommend(model, datamodule, user, top)`` and
            ``similar_items(model, datamodule, item, top)``.
    """

    name: str
    model_file: Path
    missing_model_hint: str
    keys: frozenset[str]
    recommends: bool

    def check_data(self, model: DictConfig, datamodule: Any) -> None:
        """Refuse, before anything is loaded, a dataset this kind cannot train on.

        Raises:
            ConfigError: the model and the dataset do not go together.
        """
        ...

    def describe(self, cfg: DictConfig) -> dict[str, Any]:
        """The settings that define a run of this kind (the TensorBoard HPARAMS columns),
        as a nested plain dict."""
        ...

    def logged_metrics(self, cfg: DictConfig, shapes: DataShapes) -> list[str] | None:
        """The metric names a run of this kind logs (what ``monitor`` may name); None when
        they cannot be known before training (a lab's own task)."""
        ...

    def fit(self, run: RunInputs) -> FitOutcome:
        """Fit on the train split, score val and test, and save the trained model into
        ``run.run_dir`` at `model_file`.

        Raises:
            ConfigError: the model cannot take this data or these settings; nothing trained.
        """
        ...

    def load(
        self,
        cfg: DictConfig,
        datamodule: DataModule | None,
        shapes: DataShapes,
        path: Path,
        trust: Trust,
    ) -> Any:
        """The trained model saved at ``path`` by a run of config ``cfg``; ``datamodule`` is
        None when only the run's saved featurizer and shapes were loaded (to predict).
        ``trust`` says what the user trusts in a file from elsewhere: nothing untrusted is
        loaded (no pickle; only allow-listed types).

        Raises:
            ConfigError: the file is not a model of this kind, names an untrusted type, or
                does not fit the config.
        """
        ...

    def score(
        self, model: Any, cfg: DictConfig, datamodule: DataModule, shapes: DataShapes
    ) -> dict[str, float]:
        """The test split's metrics, computed as the run computed them."""
        ...

    def predict(
        self, model: Any, cfg: DictConfig, shapes: DataShapes, inputs: torch.Tensor
    ) -> Outputs:
        """The model's outputs for featurized ``inputs``."""
        ...


# The models a dataset that holds no examples needs, by what it holds (`DataModule.rows`).
MODELS_FOR = {
    "ratings": "a recommender model (a model with kind: recommender or recommender_estimator, "
    "such as mf or item_knn)",
    "style images": "the style transfer model (model=style_transfer)",
}


def require_examples(model: DictConfig, datamodule: Any) -> None:
    """The check of kinds that learn from examples (features and a target): a table of
    user-item ratings or the two images of a style transfer are not for them
    (`DataModule.rows` says what a dataset holds).

    Raises:
        ConfigError: ``datamodule`` holds no examples.
    """
    if datamodule.rows != "examples":
        raise ConfigError(
            f"dataset '{datamodule.name}' holds {datamodule.rows}: it needs "
            f"{MODELS_FOR.get(datamodule.rows, 'a model of another kind')}, not '{model.name}'"
        )
