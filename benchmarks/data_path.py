"""Benchmark 2, data path: one training epoch of batches (no model), four ways, same rows.

- ``framework``: `TensorBatches`, the data module's iterator (seeded permutation, slices).
- ``raw slicing``: a hand-written loop of ``inputs[perm[i:i+b]]`` over the same tensors.
- ``DataLoader(TensorDataset)``: torch's loader over the same tensors, shuffled.
- ``DataLoader(HF dataset)``: torch's loader over a Hugging Face dataset of the same rows
  with ``set_format("torch")``: one ``__getitem__`` per row, then collation.

Goals (issue 7): framework >= 10x faster than the per-sample HF path, and within 1.2x of raw
slicing. Medians of repeated epochs, with 1 torch thread, as runs use.

    .venv/bin/python benchmarks/data_path.py            # digits, and mnist10k if present
    .venv/bin/python benchmarks/data_path.py --quick    # digits only
"""

from __future__ import annotations

import argparse

import torch
from datasets import Dataset
from torch.utils.data import DataLoader, TensorDataset

from common import compose_config, datasets, load_data, median, timed
from experiments.data import TensorBatches


def epoch(batches) -> None:
    for _inputs, _targets in batches:
        pass


def raw_slicing(inputs: torch.Tensor, targets: torch.Tensor, batch: int, seed: int) -> None:
    order = torch.randperm(len(inputs), generator=torch.Generator().manual_seed(seed))
    for start in range(0, len(inputs), batch):
        rows = order[start : start + batch]
        inputs[rows], targets[rows]


def compare(name: str, data: list[str], repeats: int) -> None:
    batch = compose_config(data).dataset.batch_size
    inputs, targets = load_data(data).tensors["train"]
    hub = Dataset.from_dict({"x": inputs.numpy(), "y": targets.numpy()}).with_format("torch")
    loaders = {
        "framework": lambda: epoch(TensorBatches(inputs, targets, batch, shuffle=True, seed=0)),
        "raw slicing": lambda: raw_slicing(inputs, targets, batch, 0),
        "DataLoader(TensorDataset)": lambda: epoch(
            DataLoader(TensorDataset(inputs, targets), batch_size=batch, shuffle=True)
        ),
        "DataLoader(HF dataset)": lambda: epoch(DataLoader(hub, batch_size=batch, shuffle=True)),
    }
    seconds = {key: median([timed(run) for _ in range(repeats)]) for key, run in loaders.items()}
    framework = seconds["framework"]
    print(f"{name} ({len(inputs)} rows, batch {batch}): seconds per epoch, and x framework time")
    for key, value in seconds.items():
        print(f"  {key:27} {value:10.5f}  {value / framework:8.2f}x")
    print(
        f"  goals: HF / framework >= 10: {seconds['DataLoader(HF dataset)'] / framework:.1f}; "
        f"framework / raw <= 1.2: {framework / seconds['raw slicing']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only")
    parser.add_argument("--repeats", type=int, default=7, help="epochs timed per loader")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name, data in datasets(args.quick):
        compare(name, data, args.repeats)


if __name__ == "__main__":
    main()
