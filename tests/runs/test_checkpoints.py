"""Checkpoints: written in their folder whatever $TMPDIR is, the previous one kept, a garbled
or cut one found by its checksum before it is loaded."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest
import torch

from experiments.config.errors import ConfigError
from experiments.runs.checkpoints import (
    AtomicCheckpointIO,
    drop_previous,
    intact_checkpoint,
    previous_of,
)
from experiments.runs.resume import resume_checkpoint


def state(epoch: int) -> dict:
    return {"epoch": epoch, "weights": torch.full((1000,), float(epoch))}


def garble(path: Path) -> None:
    """Flip bytes in the middle: same size, still a zip archive at both ends. Written as a
    new file (a save gone wrong), so that a hard link to the old one keeps the old bytes."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(255 - b for b in data[middle : middle + 64])
    garbled = path.with_name(path.name + ".garbled")
    garbled.write_bytes(bytes(data))
    garbled.replace(path)


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Epochs 1 and 2 saved as last.ckpt, with $TMPDIR pointing nowhere: nothing is staged
    there (Lightning's own save would fail or copy across filesystems)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-tmpdir"))
    io = AtomicCheckpointIO()
    path = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint(state(1), path)
    io.save_checkpoint(state(2), path)
    return path


def test_save_keeps_the_previous_checkpoint_and_loads_verified(saved: Path) -> None:
    io = AtomicCheckpointIO()
    assert io.load_checkpoint(saved, weights_only=True)["epoch"] == 2
    assert io.load_checkpoint(previous_of(saved), weights_only=True)["epoch"] == 1
    assert sorted(p.name for p in saved.parent.iterdir()) == [
        "checksums.json", "last.ckpt", "last.prev.ckpt",
    ]  # fmt: skip


def test_garbled_newest_resumes_from_the_previous_and_says_so(saved: Path, caplog) -> None:
    garble(saved)
    with pytest.raises(ConfigError, match=r"last\.ckpt does not match its recorded checksum"):
        AtomicCheckpointIO().load_checkpoint(saved, weights_only=True)
    with caplog.at_level(logging.WARNING):
        assert intact_checkpoint(saved) == previous_of(saved)
    assert "resuming from the previous checkpoint" in caplog.text


def test_save_cut_short_leaves_the_last_good_checkpoint(saved: Path, monkeypatch) -> None:
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("experiments.runs.checkpoints.atomic_file", disk_full)
    with pytest.raises(OSError, match="No space left"):
        AtomicCheckpointIO().save_checkpoint(state(3), saved)
    # the checksum of epoch 3 was recorded, its file never landed: epoch 2 is now previous
    found = intact_checkpoint(saved)
    assert torch.load(found, weights_only=True)["epoch"] == 2
    assert not list(saved.parent.glob(".*.tmp"))


def test_only_damaged_checkpoints_mean_starting_over(saved: Path, caplog) -> None:
    garble(saved)
    garble(previous_of(saved))
    run_dir = saved.parent.parent
    (run_dir / "tb").mkdir()
    with caplog.at_level(logging.WARNING):
        assert resume_checkpoint(run_dir) is None
    assert "no intact checkpoint" in caplog.text and "starting over" in caplog.text
    assert not (run_dir / "checkpoints").exists() and not (run_dir / "tb").exists()


def test_drop_previous_leaves_the_newest_of_each_name(tmp_path: Path) -> None:
    io = AtomicCheckpointIO()
    last, best = tmp_path / "last.ckpt", tmp_path / "best.ckpt"
    for epoch in (1, 2, 3):
        io.save_checkpoint(state(epoch), last)
    io.save_checkpoint(state(1), best)
    io.save_checkpoint(state(3), best)
    drop_previous(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.ckpt",
        "checksums.json",
        "last.ckpt",
    ]
    for path in (last, best):  # still verified against their records
        assert io.load_checkpoint(path, weights_only=True)["epoch"] == 3
