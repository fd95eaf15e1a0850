"""When training stops, and what the result says about it.

- `StopOnConvergence`: convex models are trained to convergence, as scikit-learn trains them:
  stop when the training objective (mean loss + L2 penalty over the whole training split)
  stops decreasing; ``trainer.max_epochs`` is only a ceiling, and a run that reaches it
  unconverged says so.
- `EarlyStopping`: deep nets stop when the validation metric stops improving, and the
  weights of the best epoch are restored before testing.
- `FullBatch`: the whole training split as one batch per step, for L-BFGS.

`stopping_record` and `fit_metrics` turn what these callbacks saw into ``result.json`` keys.
"""

from __future__ import annotations

import copy
import logging
import math
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.trainer.states import TrainerFn
from torch import nn

from experiments.config import ConfigError

log = logging.getLogger(__name__)


def training_objective(trainer: pl.Trainer, task: pl.LightningModule) -> float:
    """The objective training minimizes, at the current weights: the task's loss averaged
    over every training row (in eval mode, no gradients) plus its penalty (`SupervisedTask`:
    ``l2_penalty * ||W||^2 / 2``). Under DDP the rows of all ranks count."""
    was_training = task.training
    task.eval()
    total = torch.zeros((), dtype=torch.float64, device=task.device)
    rows = torch.zeros((), dtype=torch.float64, device=task.device)
    with torch.no_grad():
        for inputs, targets in trainer.train_dataloader:
            inputs, targets = inputs.to(task.device), targets.to(task.device)
            total += task.loss(task.outputs(inputs), targets).double() * len(targets)
            rows += len(targets)
        total = trainer.strategy.reduce(total, reduce_op="sum")
        rows = trainer.strategy.reduce(rows, reduce_op="sum")
        objective = float(total / rows) + float(task.penalty())
    task.train(was_training)
    return objective


class StopOnConvergence(pl.Callback):
    """Stops training once the training objective has converged; logs it per epoch as
    ``train/objective``.

    An epoch improves when it lowers the best objective so far by more than
    ``tol * |best|`` (a relative decrease, whatever the loss's units); training stops,
    converged, after ``patience`` epochs in a row without improvement. A run that reaches
    ``trainer.max_epochs`` first is not converged: `record` says so and a warning is logged.

    Args:
        tol: relative decrease of the objective that counts as progress.
        patience: epochs in a row without progress before stopping (1 suits L-BFGS, whose
            epoch is many iterations; more suits stochastic optimizers, whose objective is noisy).
    """

    def __init__(self, tol: float = 1e-4, patience: int = 1) -> None:
        if not tol > 0:
            raise ConfigError(f"callbacks.convergence.tol: expected a positive number, got {tol}")
        if not isinstance(patience, int) or patience < 1:
            raise ConfigError(
                f"callbacks.convergence.patience: expected a positive integer, got {patience!r}"
            )
        self.tol = tol
        self.patience = patience
        self.best = math.inf
        self.wait = 0
        self.converged = False
        self.epochs = 0

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        objective = training_objective(trainer, pl_module)
        pl_module.log("train/objective", objective, on_step=False, on_epoch=True)
        self.epochs = trainer.current_epoch + 1
        if not math.isfinite(self.best) or objective < self.best - self.tol * abs(self.best):
            self.best, self.wait = objective, 0
        else:
            self.wait += 1
        if self.wait >= self.patience:
            self.converged = True
            trainer.should_stop = True

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.converged:
            log.info("converged after %d epochs: objective %.6g", self.epochs, self.best)
        else:
            log.warning(
                "not converged: the training objective (%.6g) still decreased by more than "
                "tol=%g at epoch %d of trainer.max_epochs=%d; raise trainer.max_epochs",
                self.best, self.tol, self.epochs, trainer.max_epochs,
            )  # fmt: skip

    def record(self) -> dict[str, Any]:
        """``converged`` and ``stopped_epoch`` (epochs trained) for ``result.json``."""
        return {"converged": self.converged, "stopped_epoch": self.epochs}

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait, "converged": self.converged}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best, self.wait = state_dict["best"], state_dict["wait"]
        self.converged = state_dict["converged"]


class EarlyStopping(pl.callbacks.EarlyStopping):
    """Lightning's `EarlyStopping` that also restores the weights of the best epoch when
    training ends (Keras' ``restore_best_weights``), so that the model tested, and the
    metrics reported, are those of the best epoch by ``monitor``.

    The best epoch's weights and its ``train/`` and ``val/`` metrics are kept in memory and in
    checkpoints (a resumed run restores them too). Takes Lightning's arguments (``monitor``,
    ``mode``, ``patience``, ``min_delta``, ...).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.best_epoch = 0
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.best_metrics: dict[str, float] = {}
        self.epochs = 0

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._keep_if_best(trainer, pl_module, super().on_train_epoch_end)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._keep_if_best(trainer, pl_module, super().on_validation_end)

    def _keep_if_best(self, trainer: pl.Trainer, pl_module: nn.Module, check: Any) -> None:
        if trainer.state.fn != TrainerFn.FITTING or trainer.sanity_checking:
            return  # what Lightning's check skips too: validate/test, the sanity check
        self.epochs = trainer.current_epoch + 1
        best = self.best_score.clone()
        check(trainer, pl_module)
        if not torch.equal(self.best_score.cpu(), best.cpu()):  # this epoch improved
            self.best_epoch = trainer.current_epoch + 1
            self.best_weights = copy.deepcopy(pl_module.state_dict())
            self.best_metrics = {
                k: float(v)
                for k, v in trainer.callback_metrics.items()
                if k.startswith(("train/", "val/"))
            }

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.best_weights is not None:
            pl_module.load_state_dict(self.best_weights)
            log.info(
                "early stopping: restored epoch %d of %d (%s = %.4f)",
                self.best_epoch, self.epochs, self.monitor, self.best_metrics.get(self.monitor),
            )  # fmt: skip

    def record(self) -> dict[str, Any]:
        """``best_epoch`` (the epoch restored) and ``stopped_epoch`` (epochs trained)."""
        return {"best_epoch": self.best_epoch, "stopped_epoch": self.epochs}

    def state_dict(self) -> dict[str, Any]:
        return super().state_dict() | {
            "best_epoch": self.best_epoch,
            "best_weights": self.best_weights,
            "best_metrics": self.best_metrics,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.best_epoch = state_dict["best_epoch"]
        self.best_weights = state_dict["best_weights"]
        self.best_metrics = state_dict["best_metrics"]


class FullBatch(pl.Callback):
    """Trains on the whole training split as one batch, so that one optimizer step sees the
    full objective: what L-BFGS needs (its line search compares objective values). With
    L-BFGS, one epoch is one ``optimizer.step``, that is up to ``max_iter`` iterations.

    Sets the data module's ``batch_size`` before the training batches are made (as
    Lightning's batch-size finder does), and turns its ``shuffle`` off: the rows' order
    changes nothing but the rounding of one batch's mean, and served in order the batch is
    the same tensor every epoch, whose fixed features a kernel SVM then computes once per
    fit (`experiments.models.FixedFeatureMemo`).

    Raises:
        ConfigError: at the start of fitting, with L-BFGS on a loss that is not smooth (the
            plain hinge or epsilon-insensitive loss: its line search stalls at the kinks), or
            under DDP (each process would search the line on its own rows and fall out of step).
    """

    def check_trainer(self, trainer: pl.Trainer) -> None:
        """Refuse DDP from the trainer's settings, before its processes are started.

        Raises:
            ConfigError: more than one process.
        """
        if trainer.world_size > 1:
            raise ConfigError(
                "callbacks.full_batch (optimizer=lbfgs) runs in one process; for DDP use a "
                "minibatch optimizer such as optimizer=adamw"
            )

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.check_trainer(trainer)
        uses_lbfgs = any(isinstance(o, torch.optim.LBFGS) for o in trainer.optimizers)
        if uses_lbfgs and not getattr(pl_module.loss, "smooth", True):
            raise ConfigError(
                f"optimizer=lbfgs needs a smooth loss, but {type(pl_module.loss).__name__}"
                "(squared=false) is not; set the model's loss squared=true (scikit-learn's "
                "LinearSVC/LinearSVR 'squared' losses), or train it with optimizer=adamw"
            )
        trainer.datamodule.batch_size = trainer.datamodule.num_train
        trainer.datamodule.shuffle = False


def stopping_record(trainer: pl.Trainer) -> dict[str, Any]:
    """What the stopping callbacks say for ``result.json``: ``stopped_epoch`` (epochs
    trained) always; ``converged`` under `StopOnConvergence`; ``best_epoch`` under
    `EarlyStopping`; what any other callback with a ``record()`` method returns (a search's
    pruning callback: its ``checkpoint_scores``)."""
    record: dict[str, Any] = {"stopped_epoch": trainer.current_epoch}
    for callback in trainer.callbacks:
        if callable(getattr(callback, "record", None)):
            record |= callback.record()
    return record


def fit_metrics(trainer: pl.Trainer) -> dict[str, float]:
    """The ``train/`` and ``val/`` metrics of the model that is tested: the last epoch's, or
    under `EarlyStopping` those of the best epoch, whose weights it restored."""
    for callback in trainer.callbacks:
        if isinstance(callback, EarlyStopping) and callback.best_weights is not None:
            return dict(callback.best_metrics)
    return {
        k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith(("train/", "val/"))
    }
