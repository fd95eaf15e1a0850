"""The monitored metric (checkpointing, pruning, leaderboard sort): named in config, or
``auto`` to follow the data's task; checked against the metrics a run logs before training."""

from __future__ import annotations

from experiments.config.errors import ConfigError
from experiments.config.suggest import did_you_mean
from experiments.tasks.metrics import TASK_METRICS

AUTO = "auto"
MODES = ("max", "min")
TASK_MONITOR = {"classification": ("val/acc", "max"), "regression": ("val/rmse", "min")}
# Metrics where lower is better; every other logged metric (acc, f1, r2, auroc) is maximized.
LOWER_IS_BETTER = ("loss", "rmse", "mae")


def logged_metrics(task: str, with_loss: bool, extra: list[str] = ()) -> list[str]:
    """The per-epoch names a run of ``task`` logs for train, val and test: the task's
    metrics, the root config's ``metrics`` (``extra``), and ``loss`` for networks
    (``with_loss``; scikit-learn estimators have none and log val and test only)."""
    names = [*TASK_METRICS[task], *extra, *(["loss"] if with_loss else [])]
    stages = ("train", "val", "test") if with_loss else ("val", "test")
    return sorted({f"{stage}/{name}" for stage in stages for name in names})


def resolve_monitor(
    monitor: str, mode: str, task: str, logged: list[str] | None
) -> tuple[str, str]:
    """The metric to monitor and its mode.

    Args:
        monitor: a logged metric name, or ``auto``: ``val/acc`` for classification,
            ``val/rmse`` for regression.
        mode: ``max``, ``min``, or ``auto``: ``min`` for losses and errors, else ``max``.
        task: the data's task.
        logged: the metric names the run will log (`logged_metrics`); None: unknown (a
            lab's own task), the monitor is not checked.

    Raises:
        ConfigError: a monitor the run does not log (with the closest logged name), or a mode
            that is not max, min or auto.
    """
    problems = []
    if monitor == AUTO and task not in TASK_MONITOR:
        raise ConfigError(
            f"monitor: auto follows dataset.task, which is {task!r}; set dataset.task "
            f"({' or '.join(TASK_MONITOR)}) or name the monitor"
        )
    if monitor == AUTO:
        monitor = TASK_MONITOR[task][0]
    elif logged is not None and monitor not in logged:
        problems.append(
            f"monitor: this {task} run does not log '{monitor}'"
            f"{did_you_mean(str(monitor), logged)}; it logs {', '.join(logged)} (or monitor=auto)"
        )
    if mode == AUTO:
        mode = "min" if str(monitor).rsplit("/", 1)[-1] in LOWER_IS_BETTER else "max"
    elif mode not in MODES:
        problems.append(f"monitor_mode: expected max, min or auto, got {mode!r}")
    if problems:
        raise ConfigError(problems)
    return monitor, mode
