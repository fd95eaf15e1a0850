"""`SupervisedTask`: the training loop both tasks share; they differ in their metrics and in
how the metrics see a batch's outputs."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.plugins.precision import MixedPrecision, Precision
from pytorch_lightning.trainer.states import TrainerFn
from torch import nn
from torchmetrics import MetricCollection

from experiments.compat.lightning import count_logging_steps, count_optimizer_step
from experiments.tasks.metrics import stage_metrics
from experiments.tasks.outputs import mirrored_mean
from experiments.tasks.publish import EpochMetricsPublisher
from experiments.tasks.schedule import Schedule

OptimizerFactory = Callable[..., torch.optim.Optimizer]


Batch = tuple[torch.Tensor, torch.Tensor]
# Hooks Lightning calls around every step under manual optimization; `SupervisedTask` skips
# them in grouped steps when neither the task nor a callback implements them.
STEP_HOOKS = ("on_before_backward", "backward", "on_after_backward", "on_before_optimizer_step")


def quiet_lightning_warnings() -> None:
    """Silence Lightning warnings that do not apply to these tasks, for the process: metrics
    are logged per epoch by design, so an epoch shorter than ``log_every_n_steps`` loses
    nothing; the pytree one is Lightning's own deprecation; the ``srun`` one fires on every
    run of a machine that has SLURM's client (a login node) but trains here on purpose:
    ``launcher=slurm`` is how runs go to SLURM, and there they run under ``srun``. Called
    when a run starts, not at import, so that importing the package changes no global state."""
    warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")
    warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")
    warnings.filterwarnings("ignore", message=".*`srun` command is available on your system.*")


def weight_penalty(net: nn.Module) -> torch.Tensor:
    """``||W||^2 / 2`` over the weight matrices and kernels (parameters with 2+ dims):
    biases and normalization scales are not penalized, as in scikit-learn's SVMs."""
    return sum(p.square().sum() for p in net.parameters() if p.ndim >= 2) / 2


class SupervisedTask(pl.LightningModule):
    """Trains ``net`` on ``loss`` (+ ``l2_penalty`` x `weight_penalty` in training) and logs
    ``{stage}/loss`` and ``metrics`` as ``{stage}/<name>`` once per epoch, for the stages
    ``train``, ``val`` and ``test``. Steps only buffer detached outputs: no host sync.

    Args:
        net: the network.
        loss: ``loss(outputs, targets)``.
        optimizer: builds the optimizer from the parameters (a Hydra partial).
        scheduler: the learning-rate schedule, or None.
        metrics: the metrics of one stage; each stage gets its own copy.
        l2_penalty: coefficient of `weight_penalty` (SVM-style models: ``1 / (C * n_train)``).
        steps_per_call: optimizer steps per ``training_step`` (`experiments.tasks.steps`);
            above 1 a training batch is a list of consecutive ``(inputs, targets)`` batches
            and the task steps the optimizer and the lr schedulers itself (Lightning's manual
            optimization), with the same updates in the same order as one step per call.
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: Schedule | None,
        metrics: MetricCollection,
        l2_penalty: float = 0.0,
        steps_per_call: int = 1,
    ) -> None:
        super().__init__()
        self.steps_per_call = steps_per_call
        self._skip_step_hooks = False
        self.net = net
        self.loss = loss
        self.optimizer_factory = optimizer
        self.schedule = scheduler
        self.l2_penalty = l2_penalty
        self.metrics = stage_metrics(metrics)
        # Set by the model's `test_time_flip` (see `experiments.kinds.network_build`), not an
        # argument: tasks of users' own take the default task's arguments.
        self.test_time_flip = False
        self._publish = EpochMetricsPublisher()

    @property
    def steps_per_call(self) -> int:
        """Optimizer steps per ``training_step``; set before fitting (the train loader must
        yield groups of as many batches)."""
        return self._steps_per_call

    @steps_per_call.setter
    def steps_per_call(self, steps: int) -> None:
        self._steps_per_call = steps
        self.automatic_optimization = steps == 1

    def outputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """What the loss compares with the targets as served; in evaluation (validation,
        test, predictions) with `test_time_flip`, the mean over each image and its mirror
        image."""
        if self.test_time_flip and not self.training:
            return mirrored_mean(self.net, inputs)
        return self.net(inputs)

    def penalty(self) -> torch.Tensor | float:
        """The regularization term of the training objective: ``l2_penalty`` x `weight_penalty`."""
        return self.l2_penalty * weight_penalty(self.net) if self.l2_penalty else 0.0

    def metric_inputs(
        self, outputs: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """What the metrics compare; the task's own units by default."""
        return outputs, targets

    def _step(self, batch: Batch, stage: str) -> torch.Tensor:
        inputs, targets = batch
        outputs = self.outputs(inputs)
        loss = self.loss(outputs, targets)
        if stage == "train":
            loss = loss + self.penalty()
        self.metrics[f"{stage}_metrics"].update(
            loss.detach(), *self.metric_inputs(outputs.detach(), targets)
        )
        return loss

    def training_step(self, batch: Batch | list[Batch], batch_idx: int) -> torch.Tensor | None:
        if self.automatic_optimization:
            return self._step(batch, "train")
        self._train_steps(batch, batch_idx)
        return None

    def _train_steps(self, batches: list[Batch], call_idx: int) -> None:
        """One optimizer step per batch of ``batches``, as Lightning's automatic optimization
        runs it (forward, zero_grad, backward, step; then the step-interval schedulers; the
        epoch-interval ones after the epoch's last step), stopping at ``max_steps``."""
        trainer = self.trainer
        first = call_idx * self.steps_per_call  # batches of this epoch before this call
        step = self._direct_step if self._skip_step_hooks else self._hooked_step
        done = 0
        for batch in batches:
            if 0 <= trainer.max_steps <= trainer.global_step:
                break
            step(batch)
            done += 1
            self._step_schedulers("step", first + done)
        # Lightning counts one logging step per call; loggers and resume (purge_step) expect
        # one per optimizer step, as with one step per call.
        count_logging_steps(trainer, done - 1)
        if call_idx + 1 == trainer.num_training_batches:
            self._step_schedulers("epoch", trainer.current_epoch + 1)

    def _hooked_step(self, batch: Batch) -> None:
        """A step through Lightning: its backward and optimizer-step hooks run."""
        optimizer = self.optimizers()
        loss = self._step(batch, "train")
        optimizer.zero_grad()
        self.manual_backward(loss)
        optimizer.step()

    def _direct_step(self, batch: Batch) -> None:
        """The same step without Lightning's per-step hooks, which nothing here implements
        (see `on_train_start`): ~0.1-0.2 ms less per step on a CPU, a small MLP's whole step."""
        optimizer = self.optimizers().optimizer
        loss = self._step(batch, "train")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        count_optimizer_step(self.trainer)  # what LightningOptimizer.step counts

    def on_train_start(self) -> None:
        # Lightning's per-step hooks can be skipped when no callback and not this module
        # implements them, and the precision plugin neither scales the loss nor wraps steps.
        trainer = self.trainer
        overridden = [
            hook
            for hook in STEP_HOOKS
            for obj, base in [(self, pl.LightningModule)]
            + [(callback, pl.Callback) for callback in trainer.callbacks]
            if hasattr(base, hook) and getattr(type(obj), hook) is not getattr(base, hook)
        ]
        plugin = trainer.precision_plugin
        self._skip_step_hooks = (
            not overridden
            and type(plugin) in (Precision, MixedPrecision)
            and getattr(plugin, "scaler", None) is None
        )

    def _step_schedulers(self, interval: str, count: int) -> None:
        """Step the schedulers of ``interval`` whose frequency divides ``count`` (batches
        within the epoch, or epochs), as Lightning does under automatic optimization."""
        for config in self.trainer.lr_scheduler_configs:
            if config.interval == interval and count % config.frequency == 0:
                self.lr_scheduler_step(config.scheduler, None)

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "test")

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        # Logged after the epoch's last batch rather than in `on_train_epoch_end`: Lightning
        # runs callbacks' epoch-end hooks (EpochLog, FailOnNonFiniteLoss) before the module's.
        if self.trainer.is_last_batch:
            self._log_epoch("train")

    def on_train_epoch_end(self) -> None:
        if self.metrics["train_metrics"].pending:  # an epoch cut short (max_steps)
            self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def _log_epoch(self, stage: str) -> None:
        values = self.metrics[f"{stage}_metrics"].compute_and_reset()
        if self.trainer.state.fn == TrainerFn.FITTING:
            self._publish(self.trainer, values)
            return
        # trainer.validate/test return what self.log saw. batch_size=1: Lightning keeps a
        # batch-size-weighted mean of logged values, and x * n / n need not equal x in
        # float32; the value is already the epoch's.
        self.log_dict(values, on_step=False, on_epoch=True, batch_size=1)

    def _total_steps(self) -> int:
        """Optimizer steps of the whole run (Lightning counts calls of training_step)."""
        trainer = self.trainer
        calls = int(trainer.estimated_stepping_batches)  # also sets up the train loader
        if self.automatic_optimization:
            return calls
        steps = trainer.train_dataloader.batch_count * trainer.max_epochs
        return steps if trainer.max_steps < 0 else min(steps, trainer.max_steps)

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(self.parameters())
        schedule = self.schedule
        if schedule is None:
            return optimizer
        total_steps = self._total_steps()
        scheduler = schedule.create(optimizer, total_steps, self.trainer.max_epochs)
        lr_scheduler = {
            "scheduler": scheduler,
            "interval": schedule.interval,
            "frequency": schedule.frequency,
        }
        if schedule.monitor:
            lr_scheduler["monitor"] = schedule.monitor
        return {"optimizer": optimizer, "lr_scheduler": lr_scheduler}
