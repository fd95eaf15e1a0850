"""The GPU benchmark's tiny CPU mode runs the whole fast path on both sides, the framework
(trainer=gpu: bf16 autocast, channels-last weights, data on the device, on-device
augmentation, early stop at a target) and the hand-written loop."""

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
    results = gpu_benchmark.main(["--tiny"])
    assert [r["case"] for r in results] == ["digits cnn"]
    for r in results:
        assert r["hand images/s"] > 0 and r["framework images/s"] > 0 and r["ratio images/s"] > 0
        for side in ("hand to target", "framework to target"):
            assert r[side]["seconds"] > 0 and 0.0 <= r[side]["test/acc"] <= 1.0
    out = capsys.readouterr().out
    assert "not a GPU measurement" in out and "| digits cnn |" in out
