"""Disk a protocol leaves behind: the bytes of its sweep folder, by phase, side by side.

Runs a small fair protocol (``tabular_resnet`` and ``tabular_mlp`` on scikit-learn's
breast-cancer table, 3 trials x 3 splits x 1 seed, N epochs, the default callbacks, one job
at a time) from this working tree and, with ``--before REV``, from commit REV's source, and
prints the bytes each phase's folders hold, the checkpoint files among them and the kept
previous versions (``*.prev.ckpt``). Both trees draw the same trials (same seeds), so the
numbers compare the same jobs. Found with ``suite=uci_quick``: a tabular ResNet of the
paper's search space is 100 MB a checkpoint with its optimizer state, and the suite's
folder grew to 32 GB.

    .venv/bin/python benchmarks/protocol_disk.py --before main
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from sweeps import source_trees, tree_environment

MODELS = "tabular_resnet,tabular_mlp"
PHASES = ("search", "final", "default", "winner")


def run_protocol(src: Path, out: Path, epochs: int, data_cache: Path) -> None:
    """The protocol from the package in ``src`` into ``out``; stops the benchmark if it fails."""
    command = [
        sys.executable, "-m", "experiments.cli.train", "-m", "protocol=fair", "launcher=local",
        "dataset=breast_cancer", f"model={MODELS}", "protocol.trials=3", "protocol.splits=3",
        "protocol.seeds=1", f"trainer.max_epochs={epochs}", f"hydra.sweep.dir={out}",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=tree_environment(src, data_cache), capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"the protocol failed (exit {done.returncode}):\n{done.stderr[-3000:]}")


def megabytes(files: list[Path]) -> float:
    return sum(f.stat().st_size for f in files) / 1e6


def phase_sizes(sweep: Path) -> dict[str, tuple[float, float, int]]:
    """Phase -> (MB of all its files, MB of its checkpoints, number of ``*.prev.ckpt``)."""
    sizes = {}
    for phase in PHASES:
        files = [f for f in (sweep / phase).rglob("*") if f.is_file()]
        checkpoints = [f for f in files if f.suffix == ".ckpt"]
        previous = [f for f in checkpoints if f.name.endswith(".prev.ckpt")]
        sizes[phase] = (megabytes(files), megabytes(checkpoints), len(previous))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REV", help="also run this commit's source")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        totals = {}
        print(
            f"Fair protocol, {MODELS} on breast_cancer, 3 trials x 3 splits, {args.epochs} epochs"
        )
        print(
            "(MB of each phase's folders; in brackets its checkpoints; prev: *.prev.ckpt files)\n"
        )
        print(f"| tree | {' | '.join(PHASES)} | whole sweep |")
        print(f"|---|{'---:|' * (len(PHASES) + 1)}")
        for label, src in source_trees(args.before, folder).items():
            sweep = folder / f"sweep_{len(totals)}"
            run_protocol(src, sweep, args.epochs, folder / "data_cache")
            sizes = phase_sizes(sweep)
            totals[label] = megabytes([f for f in sweep.rglob("*") if f.is_file()])
            cells = [f"{a:.1f} ({c:.1f}; prev {p})" for a, c, p in sizes.values()]
            print(f"| {label} | {' | '.join(cells)} | {totals[label]:.1f} |")
        if len(totals) == 2:
            before, now = totals.values()
            print(f"\nwhole sweep, now / before: {now / before:.3f}")


if __name__ == "__main__":
    main()
