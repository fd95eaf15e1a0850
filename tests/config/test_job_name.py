"""Job folder names: one level, readable, unique, bounded, and as before for plain values."""

from __future__ import annotations

from experiments.config.job_name import MAX_NAME_BYTES, job_name

from ..conftest import compose_config

LONG_CALLBACK = (
    "+callbacks.lr_monitor={_target_:pytorch_lightning.callbacks.LearningRateMonitor,"
    "logging_interval:epoch}"
)


def test_plain_overrides_keep_hydras_name() -> None:
    overrides = ["seed=1", "model=mlp", "optimizer.lr=0.003"]
    cfg = compose_config(overrides, return_hydra_config=True)
    assert cfg.hydra.sweep.subdir == cfg.hydra.job.override_dirname
    assert cfg.hydra.sweep.subdir == "model=mlp,optimizer.lr=0.003,seed=1"


def test_excluded_keys_stay_out_of_the_name() -> None:
    cfg = compose_config(
        ["model=mlp", "launcher=parallel", "resume=true"], return_hydra_config=True
    )
    assert cfg.hydra.sweep.subdir == "model=mlp"


def test_a_slash_does_not_nest_folders() -> None:
    name = job_name(["dataset.path=/data/x/houses.csv", "monitor=val/rmse"])
    assert name == "dataset.path=%2Fdata%2Fx%2Fhouses.csv,monitor=val%2Frmse"
    assert job_name(["x=a%2Fb"]) != job_name(["x=a/b"])  # unique: % is escaped too


def test_long_values_are_shortened_with_a_hash() -> None:
    name = job_name([LONG_CALLBACK, "seed=0"])
    assert name.startswith("+callbacks.lr_monitor={_target_:pytorch_lightn~")
    assert name.endswith(",seed=0") and len(name) < 80
    other = job_name([LONG_CALLBACK.replace("epoch", "step"), "seed=0"])
    assert other != name and job_name([LONG_CALLBACK, "seed=0"]) == name  # deterministic


def test_many_overrides_stay_under_the_file_name_limit() -> None:
    overrides = [f"+key_number_{i}={'v' * 30}" for i in range(30)]
    name = job_name(overrides)
    assert len(name.encode()) <= MAX_NAME_BYTES and "/" not in name
    assert name != job_name(overrides[:-1])
