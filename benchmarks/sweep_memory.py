"""Sweep memory: the peak resident memory of a sequential multirun at two sizes.

Runs ``experiments-train -m`` on N tiny jobs (digits, logistic regression, 1 epoch, seeds
0..N-1) in a process of its own, for a small and a large N, and reports each sweep's peak
RSS while its jobs ran (`sweeps.JobClock`, at the end of the jobs) and with its end-of-sweep
summary (the process's whole peak, from ``wait4``), and the growth per job between the two
sizes. Goal (issue 32): a sweep's memory flat in its number of jobs, the large sweep within
10% of the small one's peak. The summary reads every run (results table, leaderboard and its
bootstraps, plots), as ``experiments-compare`` does, one result and one group's test rows
at a time. ``--before REV`` also runs the source of commit REV, so that both trees are measured side
by side.

    .venv/bin/python benchmarks/sweep_memory.py                          # 50 and 400 jobs
    .venv/bin/python benchmarks/sweep_memory.py --sizes 200 2000 --before main
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sweeps import TINY_JOB, run_sweep, source_trees

GOAL_RATIO = 1.10  # the large sweep's peak over the small one's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[50, 400], metavar=("SMALL", "LARGE"))
    parser.add_argument("--before", metavar="REV", help="also run this commit's source")
    args = parser.parse_args()
    small, large = args.sizes
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        trees = source_trees(args.before, folder)
        cache = folder / "data_cache"
        run_sweep(trees["now"], 1, folder / "warm", cache)  # fills the data cache
        print(f"Tiny jobs ({' '.join(TINY_JOB)}), peak RSS of the sweep's process (MiB):\n")
        print(f"| tree | peak | {small} jobs | {large} jobs | large / small | growth per job |")
        print("|---|---|---:|---:|---:|---:|")
        for name, src in trees.items():
            runs = [run_sweep(src, n, folder / f"{name.split()[0]}_{n}", cache) for n in (small, large)]  # fmt: skip
            for what, key in (("while its jobs ran", "jobs_peak_mb"), ("with its summary", "maxrss_mb")):  # fmt: skip
                peaks = [run[key] for run in runs]
                ratio = peaks[1] / peaks[0]
                growth_kb = 1024 * (peaks[1] - peaks[0]) / (large - small)
                verdict = "met" if ratio <= GOAL_RATIO else "MISSED"
                print(
                    f"| {name} | {what} | {peaks[0]:.0f} | {peaks[1]:.0f} | **{ratio:.3f}** "
                    f"({verdict}) | {growth_kb:.0f} kB |"
                )


if __name__ == "__main__":
    main()
