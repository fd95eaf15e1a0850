"""`experiments-compare`: one leaderboard over sweep folders, with significance and plots.

    experiments-compare outputs/svm_vs_deep/2026-11-26_21-32-36_c6b2d7 [more folders...]

Reads every ``result.json`` below the folders, groups runs by their overrides other than the
seed, prints mean ± std and the 95% interval of each metric, whether the best group's lead
holds on the test rows (McNemar's test or a paired bootstrap of the saved test predictions,
Holm-adjusted; never a test over seeds), the runs that did not finish, and what these
settings did on one split in a sentence with the command that gives a verdict
(``protocol=fair``); writes ``results.csv``, ``leaderboard.md`` and ``plots/*.png``.

Protocol folders (a protocol sweep's ``search/`` and ``final/`` phases) get their
``report.md`` instead (`experiments.report.protocol.report.write_protocol_report`); several
of them, one per dataset, are also compared across datasets (mean ranks, Friedman test,
critical-difference diagram) into ``--out``. A learning curve's folder (a curve sweep's
``size_<n>/`` folders) gets its table, plot and crossover
(`experiments.report.learning_curve.write_curve_report`). A suite's folder (a suite sweep's
``suite.yaml``, one protocol folder per dataset) gets its report across the datasets
(`experiments.report.suite.write_suite_report`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from experiments.config.errors import ConfigError
from experiments.runs.result import recorded

# The reports (pandas, SciPy, matplotlib) are imported by the function that needs them, after
# the arguments are parsed: `--help` and a usage error answer at once.

MODES = ("max", "min")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="experiments-compare",
        description="Leaderboard of the runs below sweep folders: mean ± std and 95%% interval, "
        "the best row's lead tested on the test rows, results.csv, leaderboard.md, plots.",
    )
    parser.add_argument("folders", nargs="+", type=Path, help="sweep or run folders")
    parser.add_argument(
        "--metric", help="metric that sorts the leaderboard and is tested (default: the "
        "`monitor` the runs recorded, e.g. val/acc)",
    )  # fmt: skip
    parser.add_argument("--mode", choices=MODES, help="max or min is best (default: recorded)")
    parser.add_argument(
        "--out", type=Path, help="where to write the files (default: the folder, when one; "
        "with a --metric or --mode other than the runs recorded, its by_<metric>_<mode>/, so "
        "that the sweep's own leaderboard stays as it was)",
    )  # fmt: skip
    return parser.parse_args(argv)


def resolve(args: argparse.Namespace) -> tuple[str, str, Path]:
    """The metric, its mode and the output folder, from the arguments and the runs.

    The metric and mode default to the ``monitor`` and ``monitor_mode`` that the finished runs
    recorded (a run that failed before resolving ``monitor=auto`` recorded ``auto``). The
    output folder defaults to the one folder given, or, for a metric or mode other than the
    recorded ones, to its ``by_<metric>_<mode>/``: the sweep's own ``leaderboard.md`` and
    ``results.csv`` are what the sweep concluded, and stay so.

    Raises:
        ConfigError: every problem at once: a folder that does not exist or holds no
            ``result.json``; no ``--out`` for several folders; a metric no run logged, or none
            given where the runs recorded no single ``monitor``; runs of several tasks.
    """
    from experiments.report.summary import mixed_tasks
    from experiments.report.table import find_results

    problems = [f"{folder}: no such folder" for folder in args.folders if not folder.is_dir()]
    if problems:
        raise ConfigError(problems)
    results = [result for _, result in find_results(args.folders)]
    if not results:
        raise ConfigError(f"no result.json below {', '.join(map(str, args.folders))}")
    if args.out is None and len(args.folders) > 1:
        problems.append("--out: needed when comparing several folders")
    finished = [result for result in results if result.get("status") == "done"] or results
    own = recorded(finished, "monitor"), recorded(finished, "monitor_mode") or "max"
    metric, mode = args.metric or own[0], args.mode or own[1]
    logged = sorted({name for result in results for name in result.get("metrics", {})})
    if metric is None:
        problems.append(
            "--metric: the runs record no single monitor; name one of " + ", ".join(logged)
        )
    elif logged and metric not in logged:
        problems.append(f"--metric: no run logged '{metric}'; they logged {', '.join(logged)}")
    if mixed := mixed_tasks(results):
        problems.append(mixed)
    if problems:
        raise ConfigError(problems)
    if args.out is not None:
        return metric, mode, args.out
    out = args.folders[0]
    if (metric, mode) != own:
        out = out / f"by_{metric.replace('/', '_')}_{mode}"
    return metric, mode, out


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``experiments-compare``; returns the exit status (2: bad input)."""
    args = parse_args(argv)
    from experiments.report.learning_curve import is_curve_folder
    from experiments.report.protocol.runs import is_protocol_folder
    from experiments.report.suite import is_suite_folder
    from experiments.report.summary import PLOTS_DIR, summarize

    try:
        if any(is_suite_folder(folder) for folder in args.folders):
            return compare_suites(args)
        if any(is_protocol_folder(folder) for folder in args.folders):
            return compare_protocols(args)
        if any(is_curve_folder(folder) for folder in args.folders):
            return compare_curves(args)
        metric, mode, out = resolve(args)
    except ConfigError as error:
        print("experiments-compare: " + "\n  ".join(error.problems), file=sys.stderr)
        return 2
    summary = summarize(args.folders, metric, mode, out)
    print(f"\nWrote {out / 'results.csv'}, {out / 'leaderboard.md'} and {out / PLOTS_DIR}/")
    if summary.closing:
        print(f"\n{summary.closing}")
    return 0


def compare_protocols(args: argparse.Namespace) -> int:
    """``report.md`` in each protocol folder; across datasets into ``--out`` when several.

    Raises:
        ConfigError: protocol folders mixed with plain sweep folders, ``--metric`` or
            ``--mode`` given (a protocol reports the metric it selected on), no ``--out``
            for several folders, two folders on the same data, or a folder without finished
            re-runs.
    """
    from experiments.report.across_datasets import check_distinct_data, write_across_datasets
    from experiments.report.protocol.ending import protocol_ending
    from experiments.report.protocol.report import write_protocol_report
    from experiments.report.protocol.runs import is_protocol_folder, read_protocol

    problems = [
        f"{folder}: not a protocol folder (no search/ and final/); compare protocol folders "
        "alone" for folder in args.folders if not is_protocol_folder(folder)
    ]  # fmt: skip
    if args.metric or args.mode:
        problems.append("--metric/--mode: a protocol reports the metric its search selected on")
    if len(args.folders) > 1 and args.out is None:
        problems.append("--out: needed when comparing several protocol folders")
    if problems:
        raise ConfigError(problems)
    if len(args.folders) > 1:  # before any report is written
        check_distinct_data([read_protocol(folder) for folder in args.folders])
    for folder in args.folders:
        written = write_protocol_report(folder)
        print(f"{protocol_ending(written)}\nReport: {written.path}")
    if len(args.folders) > 1:
        path = write_across_datasets(args.folders, args.out)
        print(f"\nWrote {path}")
    return 0


def compare_suites(args: argparse.Namespace) -> int:
    """The report of each suite folder, written into it.

    Raises:
        ConfigError: suite folders mixed with other folders, ``--metric``, ``--mode`` or
            ``--out`` given (a suite reports the metric its protocols selected on, into its
            own folder), or a suite without a finished re-run.
    """
    from experiments.report.suite import is_suite_folder, write_suite_report

    return _report_in_place(
        args, is_suite_folder, write_suite_report,
        what="a suite folder (no suite.yaml); compare suite folders alone",
        reports="a suite reports the metric its protocols selected on",
    )  # fmt: skip


def compare_curves(args: argparse.Namespace) -> int:
    """The learning curve of each curve folder, written into it.

    Raises:
        ConfigError: curve folders mixed with other folders, ``--metric``, ``--mode`` or
            ``--out`` given (a curve reports its runs' test metric into its own folder), or
            a folder without finished runs.
    """
    from experiments.report.learning_curve import is_curve_folder, write_curve_report

    return _report_in_place(
        args, is_curve_folder, write_curve_report,
        what="a learning curve folder (no size_<n>/final/); compare curve folders alone",
        reports="a learning curve reports the test metric of its runs' monitor",
    )  # fmt: skip


def _report_in_place(
    args: argparse.Namespace,
    is_kind: Callable[[Path], bool],
    write: Callable[[Path], object],
    what: str,
    reports: str,
) -> int:
    """Write the report of each folder into it, when every folder is of the kind (``what``)
    and no option asks for another metric or place (the report ``reports`` its own)."""
    problems = [f"{folder}: not {what}" for folder in args.folders if not is_kind(folder)]
    if args.metric or args.mode or args.out:
        problems.append(f"--metric/--mode/--out: {reports}, into its own folder")
    if problems:
        raise ConfigError(problems)
    for folder in args.folders:
        write(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
