"""A trained run, loaded back from its folder to be evaluated again or to predict.

A run folder holds the composed config Hydra saved (``.hydra/config.yaml``) and the trained
model: a Lightning checkpoint (``checkpoints/last.ckpt``, the model the run was tested with;
loaded with ``weights_only=True``) or, for scikit-learn models, the fitted estimator
(``estimator.joblib``, written by `save_estimator`). Loading an estimator unpickles it, which
can run code: load only run folders you trust.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

from experiments.config import instantiate_checked
from experiments.config.errors import ConfigError
from experiments.data import DataModule, DataShapes
from experiments.kinds.estimator import is_estimator_model, score_estimator
from experiments.kinds.network import build_task
from experiments.runs.atomic import atomic_file
from experiments.tasks import MulticlassHingeLoss

CONFIG_FILE = Path(".hydra") / "config.yaml"
LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"
ESTIMATOR_FILE = "estimator.joblib"


def save_estimator(estimator: BaseEstimator, run_dir: Path) -> Path:
    """Write the fitted estimator to ``<run_dir>/estimator.joblib``, atomically (temporary
    file, then rename), so that a crash never leaves a truncated model file."""
    final = run_dir / ESTIMATOR_FILE
    with atomic_file(final, "wb") as file:
        joblib.dump(estimator, file)
    return final


def locate(ckpt: str | Path) -> tuple[Path, Path]:
    """The run folder and model file that ``ckpt`` names.

    Args:
        ckpt: a run folder (its default model: ``checkpoints/last.ckpt``, or
            ``estimator.joblib`` for scikit-learn models), or a model file inside one
            (e.g. ``<run>/checkpoints/best.ckpt``).

    Raises:
        ConfigError: no such path, no run folder, or the run saved no model.
    """
    path = Path(ckpt)
    if not path.exists():
        raise ConfigError(f"ckpt: '{path}' does not exist; expected a run folder or a .ckpt file")
    candidates = [path] if path.is_dir() else list(path.parents)[:2]
    run_dir = next((p for p in candidates if (p / CONFIG_FILE).is_file()), None)
    if run_dir is None:
        where = "is not a run folder" if path.is_dir() else "is not inside a run folder"
        raise ConfigError(
            f"ckpt: '{path}' {where} (no {CONFIG_FILE}); expected the folder of one run, "
            "e.g. outputs/default/<date>_<time>_<uid>, or one job folder of a sweep"
        )
    if path.is_file():
        return run_dir, path
    if is_estimator_model(OmegaConf.load(run_dir / CONFIG_FILE).model):
        model_file, why = run_dir / ESTIMATOR_FILE, "it did not finish fitting"
    else:
        model_file = run_dir / LAST_CHECKPOINT
        why = "it ran with trainer.enable_checkpointing=false or stopped before an epoch ended"
    if not model_file.is_file():
        raise ConfigError(f"ckpt: run '{run_dir}' has no {model_file.relative_to(run_dir)}: {why}")
    return run_dir, model_file


@dataclass(frozen=True)
class Outputs:
    """What a model says about some rows.

    ``kind`` is ``probabilities`` (softmax of a cross-entropy network, or ``predict_proba``),
    ``margins`` (class scores of hinge-loss models, which have no probabilities) or ``values``
    (regression, in the data's original units). ``values`` has one row per input: a score per
    class, or the predicted value(s).
    """

    kind: str
    values: torch.Tensor


@dataclass
class SavedRun:
    """A run's config, data (its splits, as in training) and trained model.

    Use `load_run` to make one.
    """

    run_dir: Path
    model_file: Path
    cfg: DictConfig
    datamodule: DataModule
    shapes: DataShapes
    model: pl.LightningModule | BaseEstimator

    @property
    def is_default_model(self) -> bool:
        """Whether this is the model the run's own ``result.json`` was tested with."""
        return self.model_file in (self.run_dir / LAST_CHECKPOINT, self.run_dir / ESTIMATOR_FILE)

    def test_metrics(self) -> tuple[dict[str, float], float]:
        """The test-split metrics, computed as the run computed them, and the seconds taken.

        Raises:
            ConfigError: the run's trainer settings do not work here (e.g. a GPU run on a
                machine without one).
        """
        start = time.perf_counter()
        if isinstance(self.model, BaseEstimator):
            with threadpool_limits(limits=self.cfg.threads):
                metrics = score_estimator(
                    self.model, self.shapes, "test", *self.datamodule.tensors["test"]
                )
        else:
            # The run's own trainer settings (precision, determinism), on one device,
            # recording nothing.
            trainer = instantiate_checked(
                self.cfg.trainer, "trainer", logger=False, callbacks=[], devices=1, num_nodes=1,
                strategy="auto", enable_checkpointing=False, enable_progress_bar=False,
                enable_model_summary=False,
            )  # fmt: skip
            (logged,) = trainer.test(self.model, datamodule=self.datamodule, verbose=False)
            metrics = {name: float(value) for name, value in logged.items()}
        return dict(sorted(metrics.items())), time.perf_counter() - start

    def predict(self, inputs: torch.Tensor) -> Outputs:
        """The model's outputs for featurized ``inputs`` (from the run's fitted featurizer)."""
        if isinstance(self.model, BaseEstimator):
            return self._estimator_outputs(inputs.flatten(1).numpy())
        self.model.eval()
        with torch.no_grad():
            if self.shapes.task == "regression":  # RegressionTask answers in original units
                return Outputs("values", self.model(inputs))
            scores = self.model.net(inputs)
        if isinstance(self.model.loss, MulticlassHingeLoss):
            return Outputs("margins", scores)
        return Outputs("probabilities", scores.softmax(dim=1))

    def _estimator_outputs(self, features: Any) -> Outputs:
        with threadpool_limits(limits=self.cfg.threads):
            if self.shapes.task == "regression":
                values = torch.as_tensor(self.model.predict(features)).float()
                return Outputs("values", self.shapes.original_units(values))
            if hasattr(self.model, "predict_proba"):  # SVC only with probability=True
                return Outputs("probabilities", torch.as_tensor(self.model.predict_proba(features)))
            margins = torch.as_tensor(self.model.decision_function(features))
        if margins.ndim == 1:  # binary: one margin, positive for the second class
            margins = torch.stack([-margins, margins], dim=1)
        return Outputs("margins", margins)


def load_run(ckpt: str | Path) -> SavedRun:
    """Rebuild a run from its folder: its data module (same split seed, so the same test
    rows), and its network with the checkpoint's weights or its fitted estimator. Sets torch's
    thread count and seeds to the run's, so that metrics come out as in the run.

    Args:
        ckpt: a run folder or a model file inside one (see `locate`).

    Raises:
        ConfigError: no such run or model file; a file that is no checkpoint or does not fit
            the run's model; the run's data cannot be loaded.
    """
    run_dir, model_file = locate(ckpt)
    cfg = OmegaConf.load(run_dir / CONFIG_FILE)
    torch.set_num_threads(cfg.threads)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = instantiate_checked(cfg.dataset, "dataset", shuffle_seed=cfg.seed)
    shapes = datamodule.load()
    if is_estimator_model(cfg.model):
        model = _load_estimator(model_file, cfg.model.name, shapes)
    else:
        model = build_task(
            cfg.model, cfg.optimizer, cfg.scheduler, shapes, datamodule.tensors["train"][0]
        )
        _load_weights(model, model_file, cfg.model.name)
    return SavedRun(run_dir, model_file, cfg, datamodule, shapes, model)


def _load_weights(task: pl.LightningModule, path: Path, name: str) -> None:
    if path.suffix != ".ckpt":
        raise ConfigError(f"ckpt: '{path}': model '{name}' is a network; expected a .ckpt file")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a damaged or foreign file
        raise ConfigError(f"ckpt: cannot read '{path}' as a checkpoint ({error})") from error
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ConfigError(f"ckpt: '{path}' is not a Lightning checkpoint (no state_dict)")
    try:
        task.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:  # missing, unexpected or differently shaped weights
        first = str(error).strip().splitlines()
        raise ConfigError(
            f"ckpt: '{path}' does not fit model '{name}' of this run (another model or "
            f"architecture?): {' '.join(line.strip() for line in first[:3])}"
        ) from error


def _load_estimator(path: Path, name: str, shapes: DataShapes) -> BaseEstimator:
    if path.name != ESTIMATOR_FILE:
        raise ConfigError(
            f"ckpt: '{path}': model '{name}' is a scikit-learn estimator; expected the run "
            f"folder or its {ESTIMATOR_FILE}"
        )
    try:
        estimator = joblib.load(path)
    except Exception as error:  # unpickling a damaged file raises many types
        raise ConfigError(f"ckpt: cannot read '{path}' as an estimator ({error})") from error
    fitted_inputs = getattr(estimator, "n_features_in_", None)
    if not isinstance(estimator, BaseEstimator) or fitted_inputs != shapes.in_features:
        raise ConfigError(
            f"ckpt: '{path}' does not fit model '{name}' of this run: expected a fitted "
            f"estimator of {shapes.in_features} inputs, got {type(estimator).__name__}"
            + (f" of {fitted_inputs} inputs" if fitted_inputs is not None else "")
        )
    return estimator
