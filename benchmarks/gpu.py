"""Benchmark 5, GPU: the framework against a hand-written loop on the same card, for the
mnist10k CNN and the cats-vs-dogs ResNet: time to a target validation accuracy, training
images/s, and their ratios. One command, under 5 minutes on a recent GPU.

Both sides train the same network from the same seed, on the same tensors resident on the
GPU, in the same batch order (`TensorBatches`, seeded by the run seed) with the same
on-device augmentation, bf16 autocast, channels-last weights and AdamW settings, and both
evaluate the validation split after every epoch:

- framework: an ordinary in-process run (`experiments.train.train`) with ``trainer=gpu``,
  the default ``steps_per_call``, TensorBoard logger and callbacks; checkpoints off.
- hand-written: a plain PyTorch loop (forward, backward, step; an accuracy pass per epoch).

Measured, in this order, alternating the two sides: time to the target validation accuracy
(the run stops at the first epoch that reaches it; the test split never steers training;
fit seconds and test accuracy reported), then training images/s as the difference between
a 1-epoch and a (1 + ``epochs``)-epoch run, so one-off costs (cuDNN autotuning, first
allocations, imports) cancel. Ratio = framework seconds / hand-written seconds.

Results go to ``benchmarks/gpu.json`` and to the table between the ``gpu-table`` markers in
``benchmarks/README.md``. On a machine without a GPU, ``--tiny`` runs the same path on the
CPU on digits with a small CNN (what the test suite runs) and writes nothing; its numbers say
nothing about GPUs.

    .venv/bin/python benchmarks/gpu.py                # NVIDIA GPU: mnist10k CNN, catdog ResNet
    .venv/bin/python benchmarks/gpu.py --tiny         # CPU smoke run, seconds
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate

from common import (
    CATDOG,
    CATDOG_OVERRIDES,
    MNIST10K,
    MNIST10K_OVERRIDES,
    compose_config,
    load_data,
    run_in_process,
)
from experiments.data import TensorBatches
from experiments.kinds.network_build import build_net, prepare_net

HERE = Path(__file__).resolve().parent
QUIET = ["trainer.enable_checkpointing=false"]
FAST = ["trainer=gpu", "model.channels_last=true"]
MARKERS = ("<!-- gpu-table -->", "<!-- /gpu-table -->")


@dataclass(frozen=True)
class Case:
    """One row: data, model, augmentation, target and budgets."""

    name: str
    overrides: list[str]  # data, model and augmentation overrides
    target: float  # validation accuracy to reach
    max_epochs: int  # time-to-target budget
    epochs: int = 3  # epochs of the images/s difference
    extra: dict[str, Any] = field(default_factory=dict)


def cases(tiny: bool) -> list[Case]:
    if tiny:  # one small case, as few runs as the full path allows
        return [
            Case("digits cnn", ["model=cnn", "model.net.channels=[8,8]", "model.net.hidden=16",
                                "+dataset/augment=crop", "dataset.augment.pad=1"], 0.5, 3, 1),
        ]  # fmt: skip
    chosen = []
    if MNIST10K.is_dir():
        chosen.append(
            Case("mnist10k cnn", [*MNIST10K_OVERRIDES, "model=cnn", "+dataset/augment=crop"],
                 0.98, 30)
        )  # fmt: skip
    else:
        print(f"(mnist10k not found at {MNIST10K}: no CNN row)")
    if CATDOG.is_dir():
        chosen.append(
            Case("catdog resnet", [*CATDOG_OVERRIDES, "model=resnet", "+dataset/augment=crop_flip"],
                 0.80, 40)
        )  # fmt: skip
    else:
        print(f"(cifar_catdog not found at {CATDOG}: no ResNet row)")
    return chosen


def framework_fit(case: Case, epochs: int, target: float | None) -> dict[str, Any]:
    """An in-process run; stops at ``target`` validation accuracy when given."""
    stop = "+callbacks.reach_target"
    until = (
        [
            f"{stop}._target_=pytorch_lightning.callbacks.EarlyStopping",
            f"{stop}.monitor=val/acc", f"{stop}.mode=max", f"{stop}.patience={epochs}",
            f"{stop}.stopping_threshold={target}",
        ]
        if target is not None
        else []
    )  # fmt: skip
    result = run_in_process(
        [*QUIET, *FAST, *case.overrides, f"trainer.max_epochs={epochs}", *until]
    )
    return {"seconds": result["fit_seconds"], **result["metrics"]}


def _accuracy(net: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    net.eval()
    correct = torch.zeros((), dtype=torch.long, device=inputs.device)
    with torch.no_grad(), torch.autocast(inputs.device.type, dtype=torch.bfloat16):
        for rows in range(0, len(inputs), 1024):
            scores = net(inputs[rows : rows + 1024])
            correct += (scores.argmax(1) == targets[rows : rows + 1024]).sum()
    net.train()
    return float(correct) / len(inputs)  # one host sync per pass


def handwritten_fit(case: Case, epochs: int, target: float | None) -> dict[str, Any]:
    """The same training as `framework_fit` in a plain PyTorch loop."""
    cfg = compose_config([*FAST, *case.overrides])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(cfg.threads)
    datamodule = load_data(case.overrides)
    shapes = datamodule.load()
    x, y = (t.to(device) for t in datamodule.tensors["train"])
    val_x, val_y = (t.to(device) for t in datamodule.tensors["val"])
    test_x, test_y = (t.to(device) for t in datamodule.tensors["test"])
    torch.manual_seed(cfg.seed)
    net = prepare_net(build_net(cfg.model, shapes, x.cpu()), channels_last=True, compile=False)
    net = net.to(device)
    optimizer = instantiate(cfg.optimizer)(net.parameters())
    loss_fn = instantiate(cfg.model.loss.classification)
    augment = instantiate(cfg.dataset.augment) if cfg.dataset.get("augment") else None
    batches = TensorBatches(
        x, y, cfg.dataset.batch_size, shuffle=True, seed=cfg.seed, augment=augment
    )
    _synchronize()
    start = time.perf_counter()
    accuracy, epoch = 0.0, 0
    for epoch in range(1, epochs + 1):
        batches.sampler.set_epoch(epoch - 1)
        for inputs, targets in batches:
            with torch.autocast(device.type, dtype=torch.bfloat16):
                loss = loss_fn(net(inputs), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        accuracy = _accuracy(net, val_x, val_y)
        if target is not None and accuracy >= target:
            break
    _synchronize()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "epochs": epoch,
        "val/acc": accuracy,
        "test/acc": _accuracy(net, test_x, test_y),
    }


def _synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def measure(case: Case, warm_up: bool) -> dict[str, Any]:
    """Both sides of one case, alternating: time to target, then images/s."""
    rows = load_data(case.overrides).num_train
    sides = {"hand": handwritten_fit, "framework": framework_fit}
    for fit in sides.values() if warm_up else ():  # imports, cuDNN autotuning, caches
        fit(case, 1, None)
    out: dict[str, Any] = {"case": case.name, "target": case.target, "train_rows": rows}
    for side, fit in sides.items():
        out[f"{side} to target"] = fit(case, case.max_epochs, case.target)
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    for epochs in (1, 1 + case.epochs):
        for side, fit in sides.items():
            seconds[side].append(fit(case, epochs, None)["seconds"])
    for side in sides:
        out[f"{side} images/s"] = (
            rows * case.epochs / max(seconds[side][1] - seconds[side][0], 1e-9)
        )
    out["ratio to target"] = (
        out["framework to target"]["seconds"] / out["hand to target"]["seconds"]
    )
    out["ratio images/s"] = out["hand images/s"] / out["framework images/s"]
    return out


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| case | target val acc | hand s to target (epochs) | framework s to target | ratio | "
        "hand img/s | framework img/s | ratio | test acc hand / framework |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        hand, fw = r["hand to target"], r["framework to target"]
        lines.append(
            f"| {r['case']} | {r['target']} | {hand['seconds']:.2f} ({hand['epochs']}) | "
            f"{fw['seconds']:.2f} | {r['ratio to target']:.2f} | {r['hand images/s']:,.0f} | "
            f"{r['framework images/s']:,.0f} | {r['ratio images/s']:.2f} | "
            f"{hand['test/acc']:.4f} / {fw['test/acc']:.4f} |"
        )
    return "\n".join(lines)


def write(results: list[dict[str, Any]], device: str, seconds: float) -> None:
    """``gpu.json``, and the table between the markers in ``README.md``."""
    report = {"device": device, "torch": torch.__version__, "seconds": seconds, "cases": results}
    (HERE / "gpu.json").write_text(json.dumps(report, indent=2) + "\n")
    readme = HERE / "README.md"
    text = readme.read_text()
    start, end = MARKERS
    body = (
        f"{start}\nDevice: {device}, torch {torch.__version__}; `benchmarks/gpu.py` took "
        f"{seconds:.0f} s.\n\n{table(results)}\n{end}"
    )
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: body, text, flags=re.S)
    else:
        text += f"\n{body}\n"
    readme.write_text(text)


def device_name() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return "CPU (no CUDA device): tiny smoke mode, not a GPU measurement"


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the benchmark, print its table (and write it on a GPU); returns the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="CPU smoke mode on digits")
    args = parser.parse_args(argv)
    if not args.tiny and not torch.cuda.is_available():
        sys.exit("no CUDA device: run with --tiny for the CPU smoke mode")
    start = time.perf_counter()
    device = device_name()
    print(f"device: {device}; trainer=gpu (bf16), channels_last, data on device")
    results = [measure(case, warm_up=not args.tiny) for case in cases(args.tiny)]
    print(table(results))
    seconds = time.perf_counter() - start
    print(f"{seconds:.0f} s")
    if not args.tiny:
        write(results, device, seconds)
    return results


if __name__ == "__main__":
    main()
