"""Benchmark 3, startup: from launching a run to its first training step, and where it goes.

A fresh Python process (as ``experiments-train`` starts one) times its stages: interpreter
start, imports (torch, Lightning, Hydra, the package), config composition, the data load
from the processed-data cache (warmed first), and from calling `experiments.core.train` to
the first training step (the data load again, model, logger, Trainer setup). Medians of
repeated launches. Goal (issue 7): the cached data load of mnist10k under 0.5 s.

    .venv/bin/python benchmarks/startup.py            # digits, and mnist10k if present
    .venv/bin/python benchmarks/startup.py --quick    # digits only
"""

from __future__ import annotations

import time

STARTED = time.time()  # before any heavy import: the interpreter is up

import argparse  # noqa: E402
import contextlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

STAGES = ("interpreter", "imports", "compose", "data (cached)", "train() to first step")


class FirstStep(Exception):
    """Raised at the first training step: the measurement is complete."""


def child(launched: float, overrides: list[str]) -> None:
    """In the fresh process: time the stages up to the first training step, print JSON."""
    import experiments.core.train as train_module
    from common import compose_config, load_data
    from experiments.tasks import ClassificationTask

    stamps = [launched, STARTED, time.time()]
    cfg = compose_config(overrides)
    stamps.append(time.time())
    load_data(overrides)
    stamps.append(time.time())

    def first_step(*args) -> None:
        stamps.append(time.time())
        raise FirstStep

    ClassificationTask.on_train_batch_start = first_step  # instrumentation only
    stamps.append(time.time())
    with tempfile.TemporaryDirectory() as run_dir, contextlib.suppress(FirstStep):
        train_module.train(cfg, Path(run_dir), overrides)
    spans = [b - a for a, b in itertools.pairwise(stamps)]
    spans = [*spans[:4], spans[5]]  # the gap between load and train() is nothing
    print(json.dumps(dict(zip(STAGES, spans, strict=True))))


def launch(overrides: list[str]) -> dict[str, float]:
    """One fresh process; its stage times in seconds."""
    command = [sys.executable, __file__, "--child", str(time.time()), *overrides]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only")
    parser.add_argument("--repeats", type=int, default=5, help="launches per data set")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args, overrides = parser.parse_known_args()
    if args.child is not None:
        child(args.child, overrides)
        return
    from common import datasets, load_data

    print("seconds (medians of fresh processes)")
    print(f"{'data':9} " + " ".join(f"{stage:>22}" for stage in (*STAGES, "total")))
    for name, data in datasets(args.quick):
        load_data(data)  # warm the processed-data cache
        runs = [launch(data) for _ in range(args.repeats)]
        medians = [statistics.median(run[stage] for run in runs) for stage in STAGES]
        total = statistics.median(sum(run.values()) for run in runs)
        print(f"{name:9} " + " ".join(f"{value:>22.3f}" for value in (*medians, total)))


if __name__ == "__main__":
    main()
