"""The fair protocol's wall and CPU time on digits, side by side: an earlier commit's source
and this tree, one after another and on worker processes, with and without pruning.

Runs ``experiments-train -m experiment=svm_vs_deep protocol=fair`` (checkpoints off, which
changes no number) in a process of its own for each case, and reports its wall time, its
CPU time (the process and its workers, from ``wait4``), the jobs and the trials pruning
stopped, and each model's mean final test accuracy. Cases whose configurations are the same
(no pruning) must give the same numbers: the script compares every job's metrics between
them and says so. The machine's load average is printed before and after each case: other
processes' work slows a case down, and the script cannot tell.

    # a reduced protocol (4 models, 4 trials, 2 splits x 1 seed), about 10 minutes of CPU
    .venv/bin/python benchmarks/protocol_time.py --before main
    # the default digits protocol (7 models, 6 trials, 5 splits x 2 seeds), this tree only
    .venv/bin/python benchmarks/protocol_time.py --full --cases parallel
    # a fifth of it (one split, one seed), before and after
    .venv/bin/python benchmarks/protocol_time.py --full --set protocol.splits=1 protocol.seeds=1 \
        --before main --cases before parallel
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sweeps import source_tree, tree_environment

SEVEN = "svm_linear,svm_rbf,logreg,sk_svc,sk_random_forest,mlp,cnn"
REDUCED = ["model=logreg,sk_svc,mlp,cnn", "protocol.trials=4", "protocol.splits=2", "protocol.seeds=1"]  # fmt: skip
# name -> (tree: "before" or "now", overrides)
CASES = {
    "before": ("before", []),
    "local": ("now", ["launcher=local", "protocol.pruning=none"]),
    "parallel, no pruning": ("now", ["protocol.pruning=none"]),
    "parallel": ("now", []),
}
OLD_WALL = 15 * 60 + 48  # seconds: the 7-model protocol at 7657c3a, searched once (issue 32)


def run_protocol(src: Path, out: Path, overrides: list[str], data_cache: Path) -> dict[str, Any]:
    """One protocol in a process of its own: its wall and CPU seconds and load averages."""
    command = [
        sys.executable, "-m", "experiments.cli.train", "-m", "experiment=svm_vs_deep",
        "protocol=fair", "trainer.enable_checkpointing=false", *overrides,
        f"hydra.sweep.dir={out}",
    ]  # fmt: skip
    env = tree_environment(src, data_cache)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    with (out.parent / f"{out.name}.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)  # its workers' CPU included
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"protocol failed ({status}): see {out.parent / out.name}.log")
    return {
        "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
        "load": (load_before, os.getloadavg()[0]), "results": _results(out),
    }  # fmt: skip


def _results(folder: Path) -> dict[str, dict[str, Any]]:
    return {
        str(path.parent.relative_to(folder)): json.loads(path.read_text())
        for path in folder.rglob("result.json")
    }


def final_means(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Each model's mean test accuracy over its final runs."""
    scores = defaultdict(list)
    for result in results.values():
        block = result.get("protocol") or {}
        if block.get("phase") == "final" and result["status"] == "done":
            scores[block["model"]].append(result["metrics"]["test/acc"])
    return {model: statistics.mean(values) for model, values in sorted(scores.items())}


def same_numbers(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> str:
    """Whether two protocols ran the same jobs to the same status and metrics."""
    if set(a) != set(b):
        return f"no: different jobs ({len(set(a) ^ set(b))} not in both)"
    differ = [job for job in a if (a[job]["status"], a[job].get("metrics")) != (b[job]["status"], b[job].get("metrics"))]  # fmt: skip
    return f"no: {len(differ)} of {len(a)} jobs differ, e.g. {differ[0]}" if differ else f"yes, all {len(a)} jobs"  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REV", help="the earlier commit of case 'before'")
    parser.add_argument("--full", action="store_true", help="the default 7-model protocol")
    parser.add_argument(
        "--cases", nargs="+", choices=list(CASES), default=list(CASES),
        help="cases to run, in this order ('before' needs --before)",
    )  # fmt: skip
    parser.add_argument(
        "--set", nargs="+", default=[], metavar="KEY=VALUE",
        help="overrides for every case, in place of the size's own (protocol.splits=1)",
    )  # fmt: skip
    parser.add_argument("--keep", type=Path, help="keep the protocol folders here")
    args = parser.parse_args()
    cases = [case for case in args.cases if case != "before" or args.before]
    keys = {item.split("=", 1)[0] for item in args.set}
    size = [f"model={SEVEN}"] if args.full else REDUCED
    size = [item for item in size if item.split("=", 1)[0] not in keys] + args.set
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        trees = {"now": source_tree(None, folder)}
        if args.before:
            trees["before"] = source_tree(args.before, folder)
        print(f"protocol=fair on digits, {' '.join(size)} ({os.cpu_count()} cores)\n")
        print("| case | tree | wall | CPU | CPU / wall | jobs | pruned | load before, after | mean final test acc |")  # fmt: skip
        print("|---|---|---:|---:|---:|---:|---:|---|---|")
        ran = {}
        for case in cases:
            tree, overrides = CASES[case]
            out = folder / case.replace(", ", "_").replace(" ", "_")
            ran[case] = run = run_protocol(trees[tree], out, [*size, *overrides], folder / "cache")
            statuses = [result["status"] for result in run["results"].values()]
            accuracy = ", ".join(f"{m} {v:.4f}" for m, v in final_means(run["results"]).items())
            print(
                f"| {case} | {args.before if tree == 'before' else 'this tree'} | "
                f"{run['wall']:.0f} s | {run['cpu']:.0f} s | {run['cpu'] / run['wall']:.2f} | "
                f"{len(statuses)} | {statuses.count('pruned')} | "
                f"{run['load'][0]:.1f}, {run['load'][1]:.1f} | {accuracy} |",
                flush=True,
            )
    print()
    for a, b in (("before", "local"), ("local", "parallel, no pruning")):
        if a in ran and b in ran:
            print(f"Same numbers, {a} and {b}: {same_numbers(ran[a]['results'], ran[b]['results'])}")  # fmt: skip
    if "before" in ran and "parallel" in ran:
        print(f"Wall, parallel / before: {ran['parallel']['wall'] / ran['before']['wall']:.2f}")
    if args.full and "parallel" in ran:
        wall = ran["parallel"]["wall"]
        print(f"Full protocol: {wall / 60:.1f} min wall, {wall / OLD_WALL:.2f} of the old 15 min 48 s (goal <= 0.5)")  # fmt: skip


if __name__ == "__main__":
    main()
