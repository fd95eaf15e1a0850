"""Optimizers and schedulers given as factory functions train as classes do (they were
refused with Hydra's "Located non-class" traceback)."""

from __future__ import annotations

from experiments.core import train
from experiments.kinds.network import built_class

FACTORIES = "tests.kinds.factories"


def test_factory_functions_train(make_cfg, tmp_path) -> None:
    cfg = make_cfg(
        "trainer.max_epochs=2",
        "optimizer=sgd",
        f"optimizer._target_={FACTORIES}.nesterov_sgd",
        "~optimizer.momentum",
        "~optimizer.nesterov",
        "~optimizer.weight_decay",
        "scheduler=cosine",
        f"scheduler.schedule._target_={FACTORIES}.warmup",
        "~scheduler.schedule.T_max",
        "~scheduler.schedule.eta_min",
        "scheduler.interval=step",
    )
    assert train(cfg, tmp_path, [])["status"] == "done"


def test_what_a_factory_builds_is_known_by_its_return_type() -> None:
    assert built_class("torch.optim.SGD").__name__ == "SGD"
    assert built_class(f"{FACTORIES}.plateau").__name__ == "ReduceLROnPlateau"
