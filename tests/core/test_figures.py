"""TensorBoard images only where they are read (``figures``): a single run and a protocol's
final runs get the confusion matrix with its counts and the grid of test images; the other
jobs of a sweep, which may be thousands, the confusion matrix as a heat map alone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from experiments.config import ConfigError
from experiments.core import train
from experiments.core.job import Job, start

from ..conftest import compose_config

ONE_EPOCH = ["model=logreg", "trainer.max_epochs=1", "trainer.enable_checkpointing=false"]


def images(run_dir: Path) -> dict[str, tuple[int, int]]:
    """Each image tag the run logged to TensorBoard, with its (width, height)."""
    found = {}
    for events in (run_dir / "tb").rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events), size_guidance={"images": 0})
        accumulator.Reload()
        for tag in accumulator.Tags()["images"]:
            (image,) = accumulator.Images(tag)
            found[tag] = (image.width, image.height)
    return found


def run_job(run_dir: Path, in_sweep: bool, *overrides: str) -> dict[str, tuple[int, int]]:
    cfg = compose_config([*ONE_EPOCH, *overrides])
    start(cfg, Job(run_dir=run_dir, in_sweep=in_sweep, overrides=[]))
    return images(run_dir)


def test_a_single_run_shows_the_counted_matrix_and_the_test_images(tmp_path: Path) -> None:
    shown = run_job(tmp_path, in_sweep=False)
    assert set(shown) == {"test/confusion_matrix", "test/examples"}
    assert min(shown["test/confusion_matrix"]) > 320  # 10 cells of >= 32 pixels and labels


def test_a_sweep_job_shows_the_matrix_as_a_heat_map_alone(tmp_path: Path) -> None:
    shown = run_job(tmp_path, in_sweep=True)
    assert shown == {"test/confusion_matrix": (80, 80)}  # 10 x 10 cells of 8 pixels, no text


def test_a_protocol_final_run_shows_everything(tmp_path: Path) -> None:
    record = "{phase: final, model: logreg, trial: 0, params: {}, split_seed: 0, seed: 0}"
    shown = run_job(tmp_path, True, "protocol=fair", f"protocol.job={record}")
    assert set(shown) == {"test/confusion_matrix", "test/examples"}


@pytest.mark.parametrize(
    ("figures", "tags"),
    [("all", {"test/confusion_matrix", "test/examples"}), ("none", set())],
)
def test_figures_asked_for_in_a_sweep_are_drawn(tmp_path: Path, figures: str, tags: set) -> None:
    assert set(run_job(tmp_path, True, f"figures={figures}")) == tags


def test_a_bad_figures_value_is_a_config_error(tmp_path: Path) -> None:
    cfg = compose_config([*ONE_EPOCH, "figures=some"])
    with pytest.raises(ConfigError, match=r"figures: expected one of auto, all, heatmap, none"):
        train(cfg, tmp_path, [])


def test_a_run_leaves_no_tensorboard_writer_running(tmp_path: Path) -> None:
    cfg = compose_config(ONE_EPOCH)
    train(cfg, tmp_path, [])
    writers = [t for t in threading.enumerate() if type(t).__name__ == "_AsyncWriterThread"]
    assert writers == []
