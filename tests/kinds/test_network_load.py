"""A network whose task is a shipped one loads to predict as an `EvalTask` (its network and
what the task does on top of it, without Lightning) and answers as the Lightning task does:
class probabilities or margins, regression values in the data's units, ``test_time_flip``'s
mean over mirror images. A lab's own task loads whole."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from experiments.config import ConfigError
from experiments.config.trusted import Trust
from experiments.data import DataShapes
from experiments.kinds import model_kind
from experiments.tasks import ClassificationTask
from experiments.tasks.outputs import EvalTask

from ..conftest import compose_config

TABLE = DataShapes("tabular", "classification", (5,), 3, ("a", "b", "c"))
# Served as log1p and standardized: the answer must come back in the data's units.
VALUES = DataShapes("tabular", "regression", (5,), 1, None, 2.0, 0.5, target_log=True)
IMAGES = DataShapes("image", "classification", (1, 8, 8), 3, ("a", "b", "c"))
CASES = {
    "probabilities": (["model=mlp"], TABLE),
    "margins": (["model=mlp", "model.loss.classification._target_=torch.nn.MultiMarginLoss"], TABLE),
    "values": (["model=mlp"], VALUES),
    "test_time_flip": (["model=cnn", "model.test_time_flip=true"], IMAGES),
}  # fmt: skip


def saved_task(cfg: DictConfig, shapes: DataShapes, folder: Path) -> tuple[torch.nn.Module, Path]:
    """The run's Lightning task, freshly initialized, and a checkpoint of it as a run saves
    one (its ``state_dict``)."""
    torch.manual_seed(0)
    task = model_kind(cfg.model).build_task(cfg, None, shapes)
    path = folder / "last.ckpt"
    torch.save({"state_dict": task.state_dict(), "epoch": 1}, path)
    return task, path


@pytest.mark.parametrize("case", CASES)
def test_eval_task_answers_as_the_lightning_task(case: str, tmp_path: Path) -> None:
    overrides, shapes = CASES[case]
    cfg = compose_config(overrides)
    kind = model_kind(cfg.model)
    task, path = saved_task(cfg, shapes, tmp_path)
    loaded = kind.load(cfg, None, shapes, path, Trust())
    assert isinstance(loaded, EvalTask)
    inputs = torch.randn(6, *shapes.in_shape)
    expected = kind.predict(task, cfg, shapes, inputs)
    answer = kind.predict(loaded, cfg, shapes, inputs)
    assert answer.kind == expected.kind == case.replace("test_time_flip", "probabilities")
    assert answer.values.shape == expected.values.shape
    assert torch.allclose(answer.values, expected.values, atol=1e-6)


def test_test_time_flip_changes_the_answer(tmp_path: Path) -> None:
    """The case above compares something: without the flip the same weights answer otherwise."""
    overrides, shapes = CASES["test_time_flip"]
    cfg = compose_config(overrides)
    _, path = saved_task(cfg, shapes, tmp_path)
    inputs = torch.randn(6, *shapes.in_shape)
    kind = model_kind(cfg.model)
    flipped = kind.predict(kind.load(cfg, None, shapes, path, Trust()), cfg, shapes, inputs)
    plain_cfg = compose_config(["model=cnn"])
    plain = kind.predict(kind.load(plain_cfg, None, shapes, path, Trust()), cfg, shapes, inputs)
    assert not torch.allclose(flipped.values, plain.values)


def test_regression_answers_in_the_data_units(tmp_path: Path) -> None:
    overrides, shapes = CASES["values"]
    cfg = compose_config(overrides)
    task, path = saved_task(cfg, shapes, tmp_path)
    kind = model_kind(cfg.model)
    inputs = torch.randn(6, *shapes.in_shape)
    answer = kind.predict(kind.load(cfg, None, shapes, path, Trust()), cfg, shapes, inputs)
    served = task.net.eval()(inputs).squeeze(1).detach()  # as served: log1p, standardized
    assert torch.allclose(answer.values, torch.expm1(served * 0.5 + 2.0), atol=1e-5)


def test_a_checkpoint_of_another_network_does_not_fit(tmp_path: Path) -> None:
    _, path = saved_task(compose_config(["model=mlp"]), TABLE, tmp_path)
    cfg = compose_config(["model=mlp", "model.net.hidden_sizes=[8]"])
    with pytest.raises(ConfigError) as error:
        model_kind(cfg.model).load(cfg, None, TABLE, path, Trust())
    message = str(error.value)
    assert message.startswith(f"ckpt: '{path}' does not fit model 'mlp' of this run (another ")
    assert "size mismatch" in message


def test_a_labs_own_task_loads_whole(tmp_path: Path) -> None:
    task = "+model.task={_target_:tests.kinds.lab_parts.StepCountingTask,_partial_:true}"
    cfg = compose_config(["model=mlp", task])
    _, path = saved_task(cfg, TABLE, tmp_path)
    loaded = model_kind(cfg.model).load(cfg, None, TABLE, path, Trust())
    assert isinstance(loaded, ClassificationTask)
    assert type(loaded).__name__ == "StepCountingTask"
