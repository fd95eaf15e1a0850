"""Benchmark 1, framework overhead: `experiments.train.train` against a hand-written loop.

Both train the same network (``model=mlp``: 256 hidden units, dropout 0.1; ``model=cnn``
for the CNN rows) from the same initial weights, on the same tensors, with the same batch
size, AdamW settings, thread count and number of epochs, and both evaluate the validation
split after every epoch. The framework run is the whole run as a sweep job does it
in-process (default config: TensorBoard logger, checkpoints, callbacks), once with the
previous defaults (``steps_per_call=1``: one optimizer step per Lightning ``training_step``;
``last.ckpt`` written every epoch; Lightning's 2-batch validation sanity check before
training) and once with today's; its time per epoch is ``fit_seconds / epochs``, so
Lightning's fixed per-fit costs are included. Runs alternate, repeated, and the table shows
medians and the ratios framework / hand-written (time per epoch; for the CNN rows the same
ratio is hand-written images/s over framework images/s).

The CNN rows (mnist10k, and CIFAR-10 cats vs dogs) train on the full training split for
``--cnn-epochs`` epochs (default 1: a CPU epoch takes 10-30 s), with fewer repeats.

    .venv/bin/python benchmarks/overhead.py                  # MLP rows, then CNN rows
    .venv/bin/python benchmarks/overhead.py --quick          # digits only
    .venv/bin/python benchmarks/overhead.py --no-cnn         # MLP rows only
    .venv/bin/python benchmarks/overhead.py --cnn-only       # CNN rows only
    .venv/bin/python benchmarks/overhead.py --epoch-costs    # per-epoch costs, one by one
    .venv/bin/python benchmarks/overhead.py --profile        # + where a digits run's time goes
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from pytorch_lightning.loggers import TensorBoardLogger
from torch import nn

from common import (
    CATDOG,
    CATDOG_OVERRIDES,
    MNIST10K,
    MNIST10K_OVERRIDES,
    compose_config,
    datasets,
    load_data,
    median,
    run_in_process,
    timed,
)
from experiments.kinds.network_build import build_net
from experiments.runs.process import prepare_torch
from experiments.tasks.metrics import classification_metrics, stage_metrics

# The defaults before issue 16: one step per call, last.ckpt and best.ckpt written whenever due,
# Lightning's sanity check.
PREVIOUS = [
    "steps_per_call=1",
    "callbacks.last_checkpoint.min_seconds=0",
    "callbacks.model_checkpoint.min_seconds=0",
    "trainer.num_sanity_val_steps=2",
]
GOALS = {"digits": 1.5, "mnist10k": 1.10, "cnn": 1.10}  # ratio framework / hand-written
HEADER = (
    f"{'data':9} {'model':5} {'batch':>5} {'epochs':>6} {'fw before':>10} {'fw now':>10} "
    f"{'hand':>10} {'before':>7} {'ratio':>6} {'goal':>5} {'img/s fw':>9} {'img/s hand':>10} "
    f"{'acc before':>10} {'acc now':>7} {'acc hand':>8}"
)


def handwritten_fit(cfg: DictConfig, tensors: dict, shapes, epochs: int) -> float:
    """Train like a minimal PyTorch script: shuffled slices, forward, backward, step, and an
    accuracy pass over the validation split each epoch, under the run's determinism settings
    (``trainer.deterministic``). Returns the last validation accuracy."""
    prepare_torch(cfg.threads, cfg.seed)  # threads, seeds, no fill of new tensors: as runs
    # Deterministic algorithms as the run's, explicitly: Lightning leaves them set after its
    # runs, so this loop would otherwise get them or not depending on the order of the runs.
    torch.use_deterministic_algorithms(cfg.trainer.deterministic)
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


def compare(name: str, data: list[str], model: str, epochs: int, repeats: int) -> None:
    overrides = [*data, f"model={model}", f"trainer.max_epochs={epochs}"]
    cfg = compose_config(overrides)
    datamodule = load_data(data)
    shapes = datamodule.load()
    one_per_call, default, hand, accuracies = [], [], [], {}
    run_in_process(overrides)  # warm-up: imports, caches, first-call costs
    for _ in range(repeats):
        before = run_in_process([*overrides, *PREVIOUS])
        one_per_call.append(before["fit_seconds"] / epochs)
        accuracies["before"] = before["metrics"]["val/acc"]
        result = run_in_process(overrides)
        default.append(result["fit_seconds"] / epochs)
        accuracies["framework"] = result["metrics"]["val/acc"]
        seconds = timed(
            lambda: accuracies.__setitem__(
                "hand", handwritten_fit(cfg, datamodule.tensors, shapes, epochs)
            )
        )
        hand.append(seconds / epochs)
    ratios_one = [f / h for f, h in zip(one_per_call, hand, strict=True)]
    ratios = [f / h for f, h in zip(default, hand, strict=True)]
    rows = datamodule.num_train
    goal = GOALS["cnn" if model == "cnn" else name]
    print(
        f"{name:9} {model:5} {cfg.dataset.batch_size:>5} {epochs:>6} {median(one_per_call):>10.4f} "
        f"{median(default):>10.4f} {median(hand):>10.4f} {median(ratios_one):>7.2f} "
        f"{median(ratios):>6.2f} {goal:>5.2f} {rows / median(default):>9.0f} "
        f"{rows / median(hand):>10.0f} {accuracies['before']:>10.3f} {accuracies['framework']:>7.3f} "
        f"{accuracies['hand']:>8.3f}",
        flush=True,
    )


def epoch_costs(epochs: int, repeats: int) -> None:
    """Milliseconds per epoch of what a digits MLP run pays once per epoch: checkpoint files
    (whole runs, alternating: last.ckpt and best.ckpt written whenever due vs the defaults,
    at most once a second with the best held in memory, vs none), the metric computes of one
    stage (under deterministic algorithms, as runs are by default), and TensorBoard's scalar
    writes with a flush."""
    base = ["model=mlp", f"trainer.max_epochs={epochs}"]
    variants = {
        "checkpoints whenever due": [
            "callbacks.last_checkpoint.min_seconds=0",
            "callbacks.model_checkpoint.min_seconds=0",
        ],
        "at most 1/s, best held (default)": [],
        "no checkpoints": ["trainer.enable_checkpointing=false"],
    }
    run_in_process(base)
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, extra in variants.items():
            seconds[name].append(run_in_process([*base, *extra])["fit_seconds"])
    none = median(seconds["no checkpoints"])
    for name, values in seconds.items():
        print(
            f"{name:34} fit {median(values):.3f} s  ({(median(values) - none) / epochs * 1e3:+.2f} ms/epoch vs none)"
        )

    metrics = stage_metrics(classification_metrics(10))["val_metrics"]
    outputs, targets = torch.randn(64, 10), torch.randint(0, 10, (64,))
    loss = torch.tensor(0.5)

    def one_epoch_of_metrics() -> None:
        for _ in range(17):  # digits: 17 training batches per epoch
            metrics.update(loss, outputs, targets)
        metrics.compute_and_reset()

    torch.use_deterministic_algorithms(True)
    per_epoch = median([timed(one_epoch_of_metrics) for _ in range(50)])
    torch.use_deterministic_algorithms(False)
    print(f"{'metrics: 17 updates + compute':34} {per_epoch * 1e3:.2f} ms/epoch")
    with tempfile.TemporaryDirectory() as folder:
        logger = TensorBoardLogger(folder, name="tb", version="")
        values = {"train/loss": 0.5, "train/acc": 0.9, "train/f1": 0.9}

        def log_and_flush(step: int = 0) -> None:
            logger.log_metrics(values, step=step)
            logger.experiment.flush()

        logged = median([timed(lambda: logger.log_metrics(values, step=0)) for _ in range(50)])
        flushed = median([timed(log_and_flush) for _ in range(50)])
    print(
        f"{'TensorBoard: 3 scalars':34} {logged * 1e3:.2f} ms/epoch; with a flush {flushed * 1e3:.2f} ms"
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
        import experiments.core.training as train_module

        profiler.start()
        train_module.train(cfg, Path(run_dir), overrides)
        profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only")
    parser.add_argument("--no-cnn", action="store_true", help="MLP rows only")
    parser.add_argument("--cnn-only", action="store_true", help="CNN rows only")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs of each")
    parser.add_argument("--epochs", type=int, default=20, help="digits epochs (mnist10k: /4)")
    parser.add_argument("--cnn-epochs", type=int, default=1, help="epochs of the CNN rows")
    parser.add_argument("--cnn-repeats", type=int, default=3, help="repeats of the CNN rows")
    parser.add_argument("--profile", action="store_true", help="profile a digits run")
    parser.add_argument("--epoch-costs", action="store_true", help="per-epoch costs on digits")
    args = parser.parse_args()
    if args.profile:
        profile(args.epochs)
        return
    if args.epoch_costs:
        epoch_costs(args.epochs, args.repeats)
        return
    print("seconds per epoch (medians); ratio = framework / hand-written; goal = max ratio;")
    print("fw before: the defaults before issue 16 (steps_per_call=1, checkpoints whenever due,")
    print("sanity check); fw now: the defaults; before = its ratio; img/s: training images per")
    print("second of fit time")
    print("(with the per-epoch validation pass), defaults; acc: validation accuracy")
    print(HEADER)
    for name, data in [] if args.cnn_only else datasets(args.quick):
        epochs = args.epochs if name == "digits" else max(1, args.epochs // 4)
        compare(name, data, "mlp", epochs, args.repeats)
    if args.quick or args.no_cnn:
        return
    for name, path, data in (
        ("mnist10k", MNIST10K, MNIST10K_OVERRIDES),
        ("catdog", CATDOG, CATDOG_OVERRIDES),
    ):
        if path.is_dir():
            compare(name, data, "cnn", args.cnn_epochs, args.cnn_repeats)
        else:
            print(f"({name} not found at {path}: no CNN row)")


if __name__ == "__main__":
    main()
