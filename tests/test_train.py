"""One run end to end: quality, determinism, result.json, TensorBoard records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from experiments.cli.evaluate import main as evaluate_main
from experiments.core import train
from experiments.protocol.jobs import pruning_override

from .conftest import train_run

RESULT_KEYS = {
    "status", "model", "dataset", "seed", "threads", "overrides", "started", "finished",
    "metrics", "fit_seconds", "test_seconds", "n_params", "provenance",
}  # fmt: skip


@pytest.mark.parametrize(
    ("model", "threshold"), [("svm_linear", 0.93), ("logreg", 0.93), ("mlp", 0.95)]
)
def test_model_learns_digits(make_cfg, tmp_path: Path, model: str, threshold: float) -> None:
    result = train(make_cfg(f"model={model}", fast=False), tmp_path, [f"model={model}"])
    assert result["status"] == "done"
    assert result["metrics"]["test/acc"] >= threshold
    assert result["metrics"]["test/f1"] >= threshold - 0.01
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()
    assert (tmp_path / "checkpoints" / "best.ckpt").is_file()


# every epoch's last.ckpt and best.ckpt written over the one before, which is kept for a resume
EVERY_EPOCH = [
    "callbacks.last_checkpoint.min_seconds=0",
    "callbacks.model_checkpoint.min_seconds=0",
]


@pytest.mark.parametrize(
    ("ending", "status"),
    [([], "done"), ([pruning_override("val/acc", "max", (4 / 6,), {4: 1.01})], "pruned")],
    ids=["done", "pruned at epoch 4"],
)
def test_a_run_that_ended_keeps_one_file_per_checkpoint(
    tmp_path: Path, ending: list[str], status: str
) -> None:
    run = train_run(tmp_path, "model=mlp", "trainer.max_epochs=6", *EVERY_EPOCH, *ending)
    assert json.loads((run / "result.json").read_text())["status"] == status
    checkpoints = run / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == [
        "best.ckpt", "checksums.json", "last.ckpt",
    ]  # fmt: skip
    assert set(json.loads((checkpoints / "checksums.json").read_text())) == {
        "best.ckpt", "last.ckpt",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("model", "saved"),
    [("logreg", "checkpoints/last.ckpt"), ("sk_logreg", "estimator.skops")],
    ids=["network", "estimator"],
)
def test_keep_model_false_deletes_the_model_once_the_run_is_done(
    tmp_path: Path, capsys, model: str, saved: str
) -> None:
    kept = train_run(tmp_path / "kept", f"model={model}", "trainer.max_epochs=2")
    run = train_run(tmp_path / "run", f"model={model}", "trainer.max_epochs=2", "keep_model=false")
    assert (kept / saved).is_file() and list(kept.glob("featurizer.*"))
    assert json.loads((run / "result.json").read_text())["status"] == "done"
    assert (run / "test_predictions.npz").is_file() and (run / "tb").is_dir()
    assert not (run / saved.split("/")[0]).exists() and not list(run.glob("featurizer.*"))
    assert evaluate_main([f"ckpt={run}"]) == 2  # the model is gone, and the message says why
    assert "ran with keep_model=false" in capsys.readouterr().err


def test_result_json_has_documented_fields(make_cfg, tmp_path: Path) -> None:
    train(make_cfg("seed=3"), tmp_path, ["seed=3"])
    result = json.loads((tmp_path / "result.json").read_text())
    assert set(result) >= RESULT_KEYS
    assert result["status"] == "done"
    assert result["seed"] == 3 and result["threads"] == 1
    assert result["overrides"] == ["seed=3"]
    assert {"train/loss", "val/acc", "val/f1", "test/acc", "test/f1"} <= set(result["metrics"])
    assert result["n_params"] == 64 * 256 + 256 + 256 * 10 + 10
    assert result["fit_seconds"] > 0 and result["test_seconds"] > 0
    provenance = result["provenance"]
    assert provenance["versions"]["torch"] and provenance["device"] == "cpu"
    assert {"git_commit", "git_dirty", "command", "hostname"} <= set(provenance)


def test_same_seed_same_metrics_other_seed_differs(make_cfg, tmp_path: Path) -> None:
    first = train(make_cfg("seed=5", "trainer.max_epochs=3"), tmp_path / "a", [])
    again = train(make_cfg("seed=5", "trainer.max_epochs=3"), tmp_path / "b", [])
    other = train(make_cfg("seed=6", "trainer.max_epochs=3"), tmp_path / "c", [])
    assert first["metrics"] == again["metrics"]
    assert first["metrics"] != other["metrics"]


def test_tensorboard_has_curves_and_hparams_with_final_metrics(make_cfg, tmp_path: Path) -> None:
    result = train(make_cfg("trainer.max_epochs=4"), tmp_path, [])
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    scalars = events.Tags()["scalars"]
    assert {"train/loss", "val/loss", "val/acc", "test/acc", "test/f1"} <= set(scalars)
    assert len(events.Scalars("val/acc")) == 4  # one point per epoch
    assert events.Scalars("test/acc")[-1].value == pytest.approx(result["metrics"]["test/acc"])
    assert events.Scalars("val/acc")[-1].value == pytest.approx(result["metrics"]["val/acc"])
    # Epoch metrics sit at the epoch's last optimizer step (counted from 0), as Lightning's
    # self.log puts them; the test, after the last step.
    steps_per_epoch = events.Scalars("test/acc")[-1].step // 4
    last_steps = [epoch * steps_per_epoch - 1 for epoch in (1, 2, 3, 4)]
    for tag in ("train/loss", "val/loss", "val/acc"):
        assert [event.step for event in events.Scalars(tag)] == last_steps, tag
    epochs = {(event.step, event.value) for event in events.Scalars("epoch")}
    assert epochs >= {(step, epoch) for epoch, step in enumerate(last_steps)}

    plugin = events.PluginTagToContent("hparams")
    # No experiment record: TensorBoard derives the columns from all runs of a sweep.
    assert set(plugin) == {"_hparams_/session_start_info", "_hparams_/session_end_info"}
    assert "hp_metric" not in scalars
    session = plugin_data_pb2.HParamsPluginData.FromString(plugin["_hparams_/session_start_info"])
    hparams = session.session_start_info.hparams
    assert hparams["model.name"].string_value == "mlp"
    assert hparams["optimizer.lr"].number_value == pytest.approx(3e-3)
    assert hparams["seed"].number_value == 0
