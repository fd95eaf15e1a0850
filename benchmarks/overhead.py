"""Benchmark 1, framework overhead: `experiments.cli.train.train` against a hand-written loop.

Both train the same MLP (``model=mlp``: 256 hidden units, dropout 0.1) from the same
initial weights, on the same tensors, with the same batch size, AdamW settings, thread
count and number of epochs, and both evaluate the validation split after every epoch. The
framework run is the whole run as a sweep job does it in-process (default config:
TensorBoard logger, checkpoints, callbacks); its time per epoch is ``fit_seconds /
epochs``, so Lightning's fixed per-fit costs are included. Runs alternate, repeated, and
the table shows medians and the ratio framework / hand-written.

    .venv/bin/python benchmarks/overhead.py                  # digits, and mnist10k if present
    .venv/bin/python benchmarks/overhead.py --quick          # digits only
    .venv/bin/python benchmarks/overhead.py --profile        # + where a digits run's time goes
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch import nn

from common import compose_config, datasets, load_data, median, run_in_process, timed
from experiments.kinds.network_build import build_net

GOALS = {"digits": 1.5, "mnist10k": 1.10}  # ratio framework / hand-written (issue 7)


def handwritten_fit(cfg: DictConfig, tensors: dict, shapes, epochs: int) -> float:
    """Train like a minimal PyTorch script: shuffled slices, forward, backward, step, and an
    accuracy pass over the validation split each epoch. Returns the last validation accuracy."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    inputs, targets = tensors["train"]
    val_inputs, val_targets = tensors["val"]
    net = build_net(cfg.model, shapes, inputs)
    optimizer = instantiate(cfg.optimizer)(net.parameters())
    loss_fn = nn.CrossEntropyLoss()
    batch, eval_batch = cfg.dataset.batch_size, cfg.dataset.eval_batch_size
    generator = torch.Generator().manual_seed(cfg.seed)
    correct = torch.zeros((), dtype=torch.long)
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(inputs), generator=generator)
        for start in range(0, len(inputs), batch):
            rows = order[start : start + batch]
            loss = loss_fn(net(inputs[rows]), targets[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        net.eval()
        with torch.no_grad():
            correct = sum(
                (
                    net(val_inputs[i : i + eval_batch]).argmax(1) == val_targets[i : i + eval_batch]
                ).sum()
                for i in range(0, len(val_inputs), eval_batch)
            )
    return float(correct) / len(val_inputs)


def compare(name: str, data: list[str], epochs: int, repeats: int) -> None:
    overrides = [*data, "model=mlp", f"trainer.max_epochs={epochs}"]
    cfg = compose_config(overrides)
    datamodule = load_data(data)
    shapes = datamodule.load()
    framework, hand, accuracies = [], [], {}
    run_in_process(overrides)  # warm-up: imports, caches, first-call costs
    for _ in range(repeats):
        result = run_in_process(overrides)
        framework.append(result["fit_seconds"] / epochs)
        accuracies["framework"] = result["metrics"]["val/acc"]
        seconds = timed(
            lambda: accuracies.__setitem__(
                "hand", handwritten_fit(cfg, datamodule.tensors, shapes, epochs)
            )
        )
        hand.append(seconds / epochs)
    ratios = [f / h for f, h in zip(framework, hand, strict=True)]
    print(
        f"{name:9} {cfg.dataset.batch_size:>5} {epochs:>6} {median(framework):>11.4f} "
        f"{median(hand):>11.4f} {median(ratios):>6.2f} {GOALS[name]:>6.2f} "
        f"{accuracies['framework']:>7.3f} {accuracies['hand']:>7.3f}"
    )


def profile(epochs: int) -> None:
    """Print where a digits run's time goes (pyinstrument, call tree)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit(
            "--profile needs pyinstrument: .venv/bin/pip install pyinstrument"
        ) from None
    overrides = ["model=mlp", f"trainer.max_epochs={epochs}"]
    run_in_process(overrides)
    profiler = Profiler(interval=0.0005)
    with tempfile.TemporaryDirectory() as run_dir:
        cfg = compose_config(overrides)
        import experiments.cli.train as train_module

        profiler.start()
        train_module.train(cfg, Path(run_dir), overrides)
        profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs of each")
    parser.add_argument("--epochs", type=int, default=20, help="digits epochs (mnist10k: /4)")
    parser.add_argument("--profile", action="store_true", help="profile a digits run")
    args = parser.parse_args()
    if args.profile:
        profile(args.epochs)
        return
    print("seconds per epoch (medians); ratio = framework / hand-written; goal = max ratio")
    print(
        f"{'data':9} {'batch':>5} {'epochs':>6} {'framework':>11} {'hand':>11} {'ratio':>6} "
        f"{'goal':>6} {'acc fw':>7} {'acc hand':>7}"
    )
    for name, data in datasets(args.quick):
        epochs = args.epochs if name == "digits" else max(1, args.epochs // 4)
        compare(name, data, epochs, args.repeats)


if __name__ == "__main__":
    main()
