"""The GPU benchmark's tiny CPU mode runs the whole fast path on both sides, the framework
(trainer=gpu: bf16 autocast, channels-last weights, data on the device, on-device
augmentation, early stop at a target) and the hand-written loop."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import PIL.Image
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def gpu_benchmark(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    yield importlib.import_module("gpu")
    for name in ("gpu", "common"):
        sys.modules.pop(name, None)


def test_gpu_benchmark_tiny_cpu_mode(gpu_benchmark, capsys) -> None:
    results = gpu_benchmark.main(["--tiny"])
    assert [r["case"] for r in results] == ["digits cnn"]
    for r in results:
        assert r["hand images/s"] > 0 and r["framework images/s"] > 0 and r["ratio images/s"] > 0
        for side in ("hand to target", "framework to target"):
            assert r[side]["seconds"] > 0 and 0.0 <= r[side]["test/acc"] <= 1.0
    out = capsys.readouterr().out
    assert "not a GPU measurement" in out and "| digits cnn |" in out


@pytest.fixture
def style_benchmark(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    yield importlib.import_module("style_transfer")
    for name in ("style_transfer", "common"):
        sys.modules.pop(name, None)


@pytest.mark.slow
def test_style_transfer_benchmark_tiny_mode_draws_the_picture(style_benchmark, tmp_path) -> None:
    """The one command behind docs/images/style_transfer.png, at 32 pixels: a cnn trained on
    patches of the sample photos, then a style run with each feature network."""
    picture = tmp_path / "style_transfer.png"
    rows = style_benchmark.main(
        ["--tiny", "--picture", str(picture), "--out", str(tmp_path / "runs")]
    )
    assert [row["network"] for row in rows] == ["vgg19_random", "cnn_photo_patches"]
    assert all(row["style loss fell"] > 1 and row["wall s"] > 0 for row in rows)
    sheet = PIL.Image.open(picture)
    assert sheet.width == 4 + 4 * (32 + 4)  # content, style and the two outputs in a row
