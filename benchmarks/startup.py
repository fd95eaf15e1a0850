"""Benchmark 3, startup: from launching a run to its first training step, and where it goes;
and the commands' start-up against the libraries' imports (``--commands``).

A fresh Python process (as ``experiments-train`` starts one) times its stages: interpreter
start, imports (torch, Lightning, Hydra, the package), config composition, the data load
from the processed-data cache (warmed first), and from calling `experiments.core.train` to
the first training step (the data load again, model, logger, Trainer setup). Medians of
repeated launches. Goal (issue 7): the cached data load of mnist10k under 0.5 s.

``--commands`` (issue 32) times, side by side in fresh processes: ``experiments-train
--help`` and ``experiments-compare --help`` against ``python -c "import hydra"`` (goal:
<= 1.5x), and ``experiments-predict`` on 3 rows of a tiny trained network (breast cancer,
logistic regression) against ``python -c "import torch"`` plus the model's load (goal:
<= 1.5x; the load's own work, timed as a second load in one process, and for reference the
first load, which also imports what reading the run needs); each in three shells: bytecode written as usual, ``PYTHONDONTWRITEBYTECODE=1``
on this set-up (``make setup`` compiled what the commands import), and
``PYTHONDONTWRITEBYTECODE=1`` with no bytecode at all (an empty ``PYTHONPYCACHEPREFIX``:
what such a shell paid at every start before ``make setup`` compiled). The load average is
printed with each table.

    .venv/bin/python benchmarks/startup.py            # digits, and mnist10k if present
    .venv/bin/python benchmarks/startup.py --quick    # digits only
    .venv/bin/python benchmarks/startup.py --commands --repeats 3
"""

from __future__ import annotations

import time

STARTED = time.time()  # before any heavy import: the interpreter is up

import argparse  # noqa: E402
import contextlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
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
    import experiments.core.training as train_module
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


BIN = Path(sys.executable).parent
TINY_NETWORK = ["dataset=breast_cancer", "model=logreg", "trainer.max_epochs=1"]
SHELLS = {  # name -> environment changes
    "bytecode written": {"PYTHONDONTWRITEBYTECODE": None},
    "PYTHONDONTWRITEBYTECODE=1": {"PYTHONDONTWRITEBYTECODE": "1"},
    "no bytecode at all": {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "<empty>"},
}
GOAL_RATIO = 1.5


def wall(command: list[str], env: dict[str, str]) -> float:
    """Seconds one fresh process of ``command`` takes (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def shell_env(changes: dict[str, str | None], empty: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in changes.items():
        env.pop(name, None)
        if value is not None:
            env[name] = str(empty) if value == "<empty>" else value
    return env


def tiny_run(folder: Path) -> tuple[Path, Path]:
    """A trained tiny network's run folder, and a CSV of 3 of its table's rows."""
    run_dir = folder / "run"
    command = [str(BIN / "experiments-train"), *TINY_NETWORK, f"hydra.run.dir={run_dir}"]
    subprocess.run(command, check=True, capture_output=True)
    from sklearn.datasets import load_breast_cancer

    rows = folder / "rows.csv"
    load_breast_cancer(as_frame=True).data.head(3).to_csv(rows, index=False)
    return run_dir, rows


def model_load_seconds(run_dir: Path, env: dict[str, str]) -> tuple[float, float]:
    """The model's load (`experiments.core.saved.load_run` without data) in a process that
    imported `experiments.core.saved`: the first load, which imports what loading this run
    needs (scikit-learn and skops for a table's featurizer), and a second one, the load's
    own work."""
    code = (
        "import time; from experiments.core.saved import load_run; times = []\n"
        "for _ in range(2):\n"
        f"    t = time.perf_counter(); load_run({str(run_dir)!r}, with_data=False)\n"
        "    times.append(time.perf_counter() - t)\n"
        "print(*times)"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    first, second = map(float, done.stdout.decode().split()[-2:])
    return first, second


def commands(repeats: int) -> None:
    """The ``--commands`` tables: medians of ``repeats`` fresh processes, each shell."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "empty").mkdir()
        run_dir, rows = tiny_run(folder)
        timed_commands = {
            "import hydra": [sys.executable, "-c", "import hydra"],
            "import torch": [sys.executable, "-c", "import torch"],
            "import experiments.cli.train": [sys.executable, "-c", "import experiments.cli.train"],
            "experiments-train --help": [str(BIN / "experiments-train"), "--help"],
            "experiments-compare --help": [str(BIN / "experiments-compare"), "--help"],
            "experiments-predict (3 rows)": [
                str(BIN / "experiments-predict"),
                f"ckpt={run_dir}",
                f"input={rows}",
            ],
        }
        for shell, changes in SHELLS.items():
            env = shell_env(changes, folder / "empty")
            load = os.getloadavg()[0]
            times = {name: [] for name in timed_commands}
            loads = []
            for _ in range(repeats):  # alternating, so that all meet the same load
                for name, command in timed_commands.items():
                    times[name].append(wall(command, env))
                loads.append(model_load_seconds(run_dir, env))
            t = {name: statistics.median(values) for name, values in times.items()}
            first_load = statistics.median(first for first, _ in loads)
            model_load = statistics.median(second for _, second in loads)
            print(f"\n{shell} (medians of {repeats}; load average {load:.2f} at the start)")
            print("| command | seconds | against | ratio (goal <= 1.5) |\n|---|---:|---|---:|")
            print(f"| import hydra | {t['import hydra']:.2f} | | |")
            print(f"| import torch | {t['import torch']:.2f} | | |")
            print(f"| model load, first in its process (its imports) | {first_load:.2f} | | |")
            print(f"| model load, again (its own work) | {model_load:.2f} | | |")
            # The module alone: Hydra's own --help then lists every config group's options.
            helps = ("import experiments.cli.train", "experiments-train --help")
            for name in (*helps, "experiments-compare --help"):
                ratio = t[name] / t["import hydra"]
                print(f"| {name} | {t[name]:.2f} | import hydra | **{ratio:.2f}** |")
            name, base = "experiments-predict (3 rows)", t["import torch"] + model_load
            ratio = t[name] / base
            print(f"| {name} | {t[name]:.2f} | import torch + load | **{ratio:.2f}** |")
            ratio = t[name] / (t["import torch"] + first_load)
            print(f"| {name} | {t[name]:.2f} | import torch + first load | {ratio:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only")
    parser.add_argument("--repeats", type=int, default=5, help="launches per data set")
    parser.add_argument("--commands", action="store_true", help="the commands' start-up")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args, overrides = parser.parse_known_args()
    if args.child is not None:
        child(args.child, overrides)
        return
    if args.commands:
        commands(args.repeats)
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
