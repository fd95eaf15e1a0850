"""The GPU benchmark's tiny CPU mode runs the whole fast path: trainer=gpu (bf16 autocast),
channels-last weights, data on the device, on-device augmentation, early stop at a target."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def gpu_benchmark(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    yield importlib.import_module("gpu")
    for name in ("gpu", "common"):
        sys.modules.pop(name, None)


def test_gpu_benchmark_tiny_cpu_mode(gpu_benchmark, capsys) -> None:
    numbers = gpu_benchmark.main(["--tiny"])
    assert numbers["cnn images/s"] > 0 and numbers["resnet images/s"] > 0
    reached = numbers["cnn time to target"]
    assert reached["fit_seconds"] > 0 and 0.0 <= reached["test/acc"] <= 1.0
    assert "not a GPU measurement" in capsys.readouterr().out
