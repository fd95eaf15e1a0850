"""Benchmark 4, memory: peak resident memory of one mnist10k run, and resident memory after
each job of a 20-job in-process sweep on digits (is anything kept from job to job?).

- one run: a fresh process runs one mnist10k MLP run (default config); its peak RSS
  (``ru_maxrss``) is read by this process. Goal: under 1.5 GiB on CPU.
- sweep: 20 jobs (``model=mlp``, seeds 0..19) run in this process the way a sweep runs them;
  after each, garbage is collected and the current RSS, the live `LightningModule`s and the
  CUDA memory in use (on a GPU) are recorded. Goal: no growth from job to job, i.e. the RSS
  of the last jobs equals that of the first ones (within noise) and no module survives.

    .venv/bin/python benchmarks/memory.py            # mnist10k (digits if absent) and the sweep
    .venv/bin/python benchmarks/memory.py --quick    # digits for both
"""

from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import warnings

import pytorch_lightning as pl
import torch

from common import datasets, run_in_process

ONE_RUN = """
import sys; sys.path.insert(0, {benchmarks!r})
from common import run_in_process
run_in_process({overrides!r})
"""


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def one_run_peak_mib(overrides: list[str]) -> float:
    code = ONE_RUN.format(benchmarks=sys.path[0], overrides=overrides)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**10  # KiB on Linux


def live_modules() -> int:
    with warnings.catch_warnings():  # isinstance touches torch's deprecated module attributes
        warnings.simplefilter("ignore")
        return sum(isinstance(o, pl.LightningModule) for o in gc.get_objects())


def sweep(jobs: int) -> None:
    print(f"{'job':>4} {'RSS MiB':>9} {'live modules':>13} {'CUDA MiB':>9}")
    for seed in range(jobs):
        run_in_process(["model=mlp", f"seed={seed}", "trainer.max_epochs=3"])
        gc.collect()
        cuda = torch.cuda.memory_allocated() / 2**20 if torch.cuda.is_available() else 0.0
        print(f"{seed:>4} {current_rss_mib():>9.1f} {live_modules():>13} {cuda:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits for the single run too")
    parser.add_argument("--jobs", type=int, default=20, help="jobs of the in-process sweep")
    args = parser.parse_args()
    name, data = datasets(args.quick)[-1]
    peak = one_run_peak_mib([*data, "model=mlp", "trainer.max_epochs=3"])
    print(f"one {name} run (fresh process): peak RSS {peak:.0f} MiB (goal < 1536 MiB)")
    sweep(args.jobs)


if __name__ == "__main__":
    main()
