"""Wide tables: seconds to load and featurize a CSV of many numeric columns and few rows.

    .venv/bin/python benchmarks/wide_tables.py                     # 1,000 to 100,000 columns
    .venv/bin/python benchmarks/wide_tables.py --columns 500 2000  # sizes of your choice

Each size is a generated CSV (``--rows`` rows, a class label in a last column ``label``),
in this process, imports excluded. "read" is `datasets` reading the new file (what
``dataset=csv`` does first); "featurize" is `DataModule.load` of the rows read, cache off:
checks, split, the table featurizer's fit on train and its transform of val and test, and
its fitted state serialized; "total" is both. Before issue 28, featurizing took time
quadratic in the columns: 500 columns 2.0 s, 1,000 7.1 s, 2,000 31 s, 10,000 never ended.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

# Never touch the network: Hugging Face clients fail fast instead of retrying.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import skops.io  # noqa: F401  (imported by the first featurizer state saved: 1.2 s, excluded)

from experiments.data import DataModule, TableFeatures
from experiments.data.sources import resolve_source

SIZES = (1_000, 10_000, 100_000)


def write_table(path: Path, columns: int, rows: int) -> Path:
    """A CSV of ``columns`` random numeric columns and a two-class ``label``."""
    values = np.random.default_rng(0).normal(size=(rows, columns)).round(4)
    header = ",".join(f"c{j}" for j in range(columns)) + ",label"
    lines = [",".join(map(str, row)) + f",{'ab'[i % 2]}" for i, row in enumerate(values)]
    path.write_text(header + "\n" + "\n".join(lines) + "\n")
    return path


def measure(path: Path) -> dict[str, float]:
    """Seconds to read ``path`` and to featurize its rows in a data module (cache off)."""
    start = time.perf_counter()
    loaded = resolve_source("csv", str(path)).load()
    read = time.perf_counter() - start
    datamodule = DataModule(
        name="wide", source=lambda: loaded, features=TableFeatures(),
        task="classification", target_column="label", cache=False,
    )  # fmt: skip
    start = time.perf_counter()
    shapes = datamodule.load()
    featurize = time.perf_counter() - start
    return {
        "read": read, "featurize": featurize, "total": read + featurize,
        "features": shapes.in_features,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--columns", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--rows", type=int, default=30)
    args = parser.parse_args(argv)
    logging.getLogger("experiments").setLevel(logging.WARNING)
    results = []
    print("| columns | rows | read s | featurize s | total s |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for columns in args.columns:
            path = write_table(Path(folder) / f"wide{columns}.csv", columns, args.rows)
            row = {"columns": columns, "rows": args.rows, **measure(path)}
            assert row["features"] == columns, row
            print(
                f"| {columns:,} | {args.rows} | {row['read']:.2f} | {row['featurize']:.2f} "
                f"| {row['total']:.2f} |",
                flush=True,
            )
            results.append(row)
    return results


if __name__ == "__main__":
    main()
