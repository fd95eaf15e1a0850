"""Compare at scale: ``experiments-compare`` over a sweep of 2,000 runs (issue 32: <= 10 s).

Writes a synthetic sweep once (no training): ``--runs`` run folders, ``--seeds`` seeds of each
configuration (``model.lr`` x ``model.weight_decay``), each with a ``result.json`` as a
finished classification run writes it (val and test metrics, timings, the monitor) and its
``test_predictions.npz`` (``--rows`` test rows of 10 classes, each configuration right on its
own share of them, each seed on slightly different rows). Then times ``experiments-compare``
on it in a fresh process (start-up included), as a user runs it, with the load average next
to each time. ``--before REV`` also times commit REV's source on the same folder, alternately
with this working tree, so that both meet the same load, and says whether both wrote the same
``leaderboard.md`` (every mean, interval and p-value).

    .venv/bin/python benchmarks/compare_scale.py                      # 2,000 runs, 5 seeds
    .venv/bin/python benchmarks/compare_scale.py --before main --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sweeps import source_trees

GOAL_SECONDS = 10.0  # for 2,000 runs (issue 32)
CLASSES = 10


def write_sweep(root: Path, runs: int, seeds: int, rows: int) -> None:
    """``runs`` finished runs below ``root``: ``runs // seeds`` configurations x ``seeds``."""
    rng = np.random.default_rng(0)
    target = np.arange(rows) % CLASSES
    skills = 0.80 + 0.15 * rng.random(-(-runs // seeds))  # each configuration's accuracy
    for index in range(runs):
        config, seed = divmod(index, seeds)
        lr, decay = 10 ** -(1 + config % 20 / 5), config // 20
        right = rng.random(rows) < skills[config] + rng.normal(0, 0.01)
        wrong_class = (target + rng.integers(1, CLASSES, rows)) % CLASSES
        predicted = np.where(right, target, wrong_class)
        folder = root / f"model.lr={lr:.4g},model.weight_decay={decay},seed={seed}"
        folder.mkdir(parents=True)
        np.savez(folder / "test_predictions.npz", predicted=predicted, target=target)
        acc = float(right.mean())
        result = {
            "status": "done",
            "model": "logreg",
            "seed": seed,
            "monitor": "val/acc",
            "monitor_mode": "max",
            "overrides": [f"model.lr={lr:.4g}", f"model.weight_decay={decay}", f"seed={seed}"],
            "metrics": {
                "val/acc": acc + rng.normal(0, 0.01),
                "val/loss": 1 - acc,
                "test/acc": acc,
                "test/balanced_acc": acc,
                "test/f1": acc - 0.01,
                "test/loss": 1 - acc,
                "train/loss": 0.9 - acc,
            },
            "fit_seconds": 0.05,
            "test_seconds": 0.01,
            "n_params": 650,
        }
        (folder / "result.json").write_text(json.dumps(result, indent=2))


def time_compare(src: Path, sweep: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak resident MB of ``experiments-compare sweep --out out`` run from
    the package in ``src`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-m", "experiments.cli.compare", str(sweep), "--out", str(out)]
    out.mkdir()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"experiments-compare failed ({src})")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2000, help="run folders")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per configuration")
    parser.add_argument("--rows", type=int, default=360, help="test rows (digits: 360)")
    parser.add_argument("--before", metavar="REV", help="also time this commit's source")
    parser.add_argument("--repeats", type=int, default=1, help="compares per tree, alternating")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        trees = source_trees(args.before, folder)
        sweep = folder / "sweep"
        write_sweep(sweep, args.runs, args.seeds, args.rows)
        print(f"experiments-compare over {args.runs} runs ({args.seeds} seeds a configuration, "
              f"{args.rows} test rows), fresh process, seconds:\n")  # fmt: skip
        print("| tree | wall s | peak MB | load (1 min) |")
        print("|---|---:|---:|---:|")
        walls: dict[str, list[float]] = {name: [] for name in trees}
        boards: dict[str, str] = {}  # each tree's leaderboard.md: the numbers must not move
        for repeat in range(args.repeats):
            for name, src in trees.items():
                load = os.getloadavg()[0]
                out = folder / f"out_{name.split()[0]}_{repeat}"
                wall, peak = time_compare(src, sweep, out)
                walls[name].append(wall)
                boards.setdefault(name, (out / "leaderboard.md").read_text())
                print(f"| {name} | {wall:.2f} | {peak:.0f} | {load:.2f} |", flush=True)
    print()
    for name, values in walls.items():
        wall = statistics.median(values)
        verdict = "met" if wall <= GOAL_SECONDS else "MISSED"
        print(f"{name}: {wall:.2f} s (median of {len(values)}; goal <= {GOAL_SECONDS:g} s: {verdict})")  # fmt: skip
    if args.before:
        before, now = (statistics.median(values) for values in walls.values())
        print(f"now / before: {now / before:.2f}")
        same = len(set(boards.values())) == 1
        print(f"leaderboard.md the same (every interval and p-value): {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
