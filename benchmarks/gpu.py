"""Benchmark 5, GPU: training images/s for ``cnn`` and ``resnet``, and time to 0.98 accuracy
for ``cnn`` on mnist10k, with the framework's fast path.

Every run is an ordinary in-process run (`experiments.cli.train.train`) with ``trainer=gpu``
(bf16 autocast), channels-last weights, the data resident on the GPU (the default
``dataset.on_device``) and, with ``--compile``, ``torch.compile``. Checkpoints are off.

- images/s: training rows per second between a 1-epoch and a (1 + ``epochs``)-epoch run, so
  one-off costs (compilation, cuDNN autotuning, first-epoch allocations) cancel out; the
  extra epochs include their validation passes.
- time to accuracy: ``cnn`` with random-shift augmentation until the validation accuracy
  reaches the target (EarlyStopping's ``stopping_threshold``), then tested once; the test
  split never steers training. Reported: fit seconds and the test accuracy reached.

On a machine without a GPU, ``--tiny`` runs the same path on the CPU on digits with small
nets (what the test suite runs); numbers from it say nothing about GPUs.

    .venv/bin/python benchmarks/gpu.py                # NVIDIA GPU, mnist10k (synthetic if absent)
    .venv/bin/python benchmarks/gpu.py --compile      # + torch.compile
    .venv/bin/python benchmarks/gpu.py --tiny         # CPU smoke run, seconds
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import torch

from common import MNIST10K, MNIST10K_OVERRIDES, load_data, run_in_process

QUIET = ["trainer.enable_checkpointing=false"]
FAST = ["trainer=gpu", "model.channels_last=true"]


@dataclass(frozen=True)
class Plan:
    """What one invocation measures: data, model sizes, epochs and the accuracy target."""

    data: list[str]
    models: dict[str, list[str]]
    epochs: int  # epochs of the throughput difference
    target: float
    max_epochs: int  # time-to-accuracy budget
    augment: list[str]


def plan(tiny: bool) -> Plan:
    if tiny:
        small = {"cnn": ["model.net.channels=[8,8]", "model.net.hidden=16"]}
        small["resnet"] = ["model.net.width=4", "model.net.blocks_per_stage=1"]
        return Plan([], small, 1, 0.5, 3, ["+dataset/augment=crop", "dataset.augment.pad=1"])
    models: dict[str, list[str]] = {"cnn": [], "resnet": []}
    if MNIST10K.is_dir():
        return Plan(MNIST10K_OVERRIDES, models, 3, 0.98, 30, ["+dataset/augment=crop"])
    print(f"(mnist10k not found at {MNIST10K}: digits instead)")
    return Plan([], models, 3, 0.98, 30, ["+dataset/augment=crop", "dataset.augment.pad=1"])


def images_per_second(plan: Plan, model: str, extra: list[str]) -> float:
    """Training rows per second, fixed costs cancelled (see the module docstring)."""
    common = [*QUIET, *FAST, *plan.data, f"model={model}", *plan.models[model], *extra]
    first = run_in_process([*common, "trainer.max_epochs=1"])
    longer = run_in_process([*common, f"trainer.max_epochs={1 + plan.epochs}"])
    rows = load_data(plan.data).num_train
    return rows * plan.epochs / max(longer["fit_seconds"] - first["fit_seconds"], 1e-9)


def time_to_accuracy(plan: Plan, extra: list[str]) -> dict[str, Any]:
    """Fit ``cnn`` until val/acc reaches the target (or the epoch budget ends)."""
    stop = "+callbacks.reach_target"
    result = run_in_process(
        [
            *QUIET, *FAST, *plan.data, *plan.augment, "model=cnn", *plan.models["cnn"], *extra,
            f"trainer.max_epochs={plan.max_epochs}",
            f"{stop}._target_=pytorch_lightning.callbacks.EarlyStopping",
            f"{stop}.monitor=val/acc", f"{stop}.mode=max", f"{stop}.patience={plan.max_epochs}",
            f"{stop}.stopping_threshold={plan.target}",
        ]
    )  # fmt: skip
    return {"fit_seconds": result["fit_seconds"], **result["metrics"]}


def device_name() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return "CPU (no CUDA device): tiny smoke mode, not a GPU measurement"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its table; returns the numbers (for the test)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="CPU smoke mode on digits")
    parser.add_argument("--compile", action="store_true", help="also torch.compile the nets")
    args = parser.parse_args(argv)
    if not args.tiny and not torch.cuda.is_available():
        sys.exit("no CUDA device: run with --tiny for the CPU smoke mode")
    chosen = plan(args.tiny)
    extra = ["model.compile=true"] if args.compile else []
    print(f"device: {device_name()}; trainer=gpu (bf16), channels_last, data on device"
          + (", torch.compile" if args.compile else ""))  # fmt: skip
    numbers: dict[str, Any] = {}
    for model in chosen.models:
        numbers[f"{model} images/s"] = images_per_second(chosen, model, extra)
        print(f"{model:7} training images/s: {numbers[f'{model} images/s']:>10,.0f}")
    reached = time_to_accuracy(chosen, extra)
    numbers["cnn time to target"] = reached
    print(
        f"cnn to val/acc >= {chosen.target}: {reached['fit_seconds']:.2f} s fit, "
        f"val/acc {reached['val/acc']:.4f}, test/acc {reached['test/acc']:.4f}"
    )
    return numbers


if __name__ == "__main__":
    main()
