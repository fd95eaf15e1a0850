"""`experiments-eval ckpt=<run folder or checkpoint>`: recompute a trained run's test metrics.

    experiments-eval ckpt=outputs/default/2026-11-26_21-56-07_fe5742
    experiments-eval ckpt=outputs/default/2026-11-26_21-56-07_fe5742/checkpoints/best.ckpt
    experiments-eval ckpt=outputs/fair/2026-11-26_21-56-07_fe5742      # a protocol: its winner

``data=<labeled file or folder>`` scores the run on data it has never seen instead (a table
with the target column, or a folder of images in one sub-folder per class): the same metrics,
and for classifiers the per-class table and confusion matrix, written to
``eval-data-<name>.json`` beside the run, the confusion matrix as an image beside it
(``eval-data-<name>.confusion.png``; `experiments.core.new_data`).

A protocol folder stands for its ``winner/`` run, a sweep folder for its leaderboard's best
run (`experiments.core.saved.run_folder`); which is said.

Rebuilds the run from its folder (config, same test rows, network with the checkpoint's
weights or the fitted scikit-learn estimator: `experiments.core.saved`), scores the test
split as the run did, prints the metrics next to those in the run's ``result.json``, and
writes them beside the run: ``eval.json`` for the run's own model (``checkpoints/last.ckpt``
or ``estimator.skops``), ``eval-<checkpoint name>.json`` for another checkpoint. A run folder
from elsewhere is data: see `experiments.core.saved` for what is trusted (``--trust``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from experiments.cli.args import add_json_flag, add_trust_flags, parse_key_values, trust_of
from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust
from experiments.io.atomic import atomic_file, write_atomic
from experiments.runs.result import now_iso, read_result

# Loading a run imports torch, Lightning and the data libraries: seconds that `--help` and a
# command line argparse refuses should not pay, so `evaluate` and `evaluate_on` import it.
PROGRAM = "experiments-eval"


def evaluate(ckpt: str | Path, trust: Trust | None = None) -> tuple[dict[str, Any], Path]:
    """Score a run's model on its test split again and write the report beside the run;
    ``trust``: what the user trusts in the run folder beyond the allow-list (`load_run`).

    Returns:
        The report (``model_file``, ``metrics``, ``test_seconds``, ``evaluated``, and
        ``same_as_result``: whether the metrics equal the test metrics of the run's
        ``result.json``; None for another model than the one the run was tested with, or when
        the run recorded none; ``run_status``: the run's status, ``interrupted`` for one left
        ``running`` by a process that is gone; ``chosen``: which run a protocol or sweep
        folder stood for) and the path it was written to.

    Raises:
        ConfigError: see `experiments.core.saved.load_run`.
    """
    from experiments.core.saved import load_run

    run = load_run(ckpt, trust=trust)
    metrics, seconds = run.test_metrics()
    # result.json holds the metrics of the run's own model only
    result = read_result(run.run_dir) or {}  # a gone process's `running` reads `interrupted`
    recorded = result.get("metrics", {}) if run.is_default_model else {}
    # The metrics the model's kind scores again (test/auroc and test/ap of two classes come
    # from the run's saved test predictions, not recomputed here).
    recorded = {name: value for name, value in recorded.items() if name in metrics}
    report = {
        "model_file": str(run.model_file),
        "metrics": metrics,
        "test_seconds": round(seconds, 4),
        "evaluated": now_iso(),
        "same_as_result": metrics == recorded if recorded else None,
        "run_status": result.get("status"),
        **({"chosen": run.note} if run.note else {}),
    }
    name = "eval.json" if run.is_default_model else f"eval-{run.model_file.stem}.json"
    path = run.run_dir / name
    write_atomic(path, json.dumps(report, indent=2) + "\n")
    return report | {"recorded": recorded}, path


def evaluate_on(
    ckpt: str | Path, data: str, trust: Trust | None = None
) -> tuple[dict[str, Any], Path]:
    """Score a run on the labeled ``data`` (`score_on`) and write the report beside the run
    as ``eval-data-<name>.json``; returns the report (with ``chosen`` where a protocol or
    sweep folder stood for a run) and its path.

    Raises:
        ConfigError: see `load_run` and `score_on`.
    """
    import PIL.Image

    from experiments.core.new_data import score_on
    from experiments.core.saved import load_run
    from experiments.report.per_class import confusion_image

    run = load_run(ckpt, with_data=False, trust=trust)
    report = score_on(run, data) | {"model_file": str(run.model_file), "evaluated": now_iso()}
    path = run.run_dir / f"eval-data-{Path(data).stem or 'data'}.json"
    write_atomic(path, json.dumps(report, indent=2) + "\n")
    if "confusion_matrix" in report:  # as TensorBoard shows the test split's
        image = confusion_image(report["confusion_matrix"], tuple(report["per_class"]))
        with atomic_file(path.with_suffix(".confusion.png"), "wb") as file:
            PIL.Image.fromarray(image).save(file, format="PNG")
    return report | ({"chosen": run.note} if run.note else {}), path


def per_class_lines(report: dict[str, Any]) -> list[str]:
    """The per-class table and the confusion matrix of a classifier's report, as text."""
    names = list(report["per_class"])
    width = max(len(name) for name in [*names, "class"])
    lines = [f"  {'class':<{width}}  precision  recall     f1  support"]
    for name, row in report["per_class"].items():
        lines.append(
            f"  {name:<{width}}  {row['precision']:>9.4f}  {row['recall']:.4f}  "
            f"{row['f1']:.4f}  {row['support']:>7}"
        )
    cell = max(len(str(n)) for row in report["confusion_matrix"] for n in row)
    cell = max(cell, *(len(name) for name in names))
    lines.append("Confusion matrix (rows: true class, columns: predicted):")
    lines.append(f"  {'':<{width}}  " + "  ".join(f"{name:>{cell}}" for name in names))
    for name, row in zip(names, report["confusion_matrix"], strict=True):
        lines.append(f"  {name:<{width}}  " + "  ".join(f"{n:>{cell}}" for n in row))
    return lines


def _print_data_report(report: dict[str, Any], path: Path) -> None:
    print(f"{report['model_file']}: {report['rows']} rows of {report['data']}")
    width = max(map(len, report["metrics"]), default=0)
    for name, value in report["metrics"].items():
        print(f"  {name:<{width}} {value:.4f}")
    if "per_class" in report:
        print("\n".join(per_class_lines(report)))
    print(f"Wrote {path}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``experiments-eval``; returns the exit status (2: bad input)."""
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Recompute the test metrics of a trained run and write them beside it.",
    )
    parser.add_argument(
        "--ckpt", required=True,
        help="run folder (its checkpoints/last.ckpt or estimator.skops) or a .ckpt file in one",
    )  # fmt: skip
    parser.add_argument("--data", help="labeled data to score the run on instead of its test split")
    add_json_flag(parser)
    add_trust_flags(parser)
    args = parse_key_values(parser, argv)
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)  # no device banner
    try:
        if args.data is not None:
            report, path = evaluate_on(args.ckpt, args.data, trust_of(args))
        else:
            report, path = evaluate(args.ckpt, trust_of(args))
    except ConfigError as error:
        print(f"{PROGRAM}: " + "\n  ".join(error.problems), file=sys.stderr)
        return 2
    if "chosen" in report:
        print(f"{PROGRAM}: {report['chosen']}", file=sys.stderr)
    if args.json:
        report.pop("recorded", None)
        print(json.dumps(report, indent=2))
        return 0
    if args.data is not None:
        _print_data_report(report, path)
    else:
        _print_test_report(report, path)
    return 0


def _print_test_report(report: dict[str, Any], path: Path) -> None:
    recorded = report.pop("recorded")
    print(f"{report['model_file']}: test split")
    width = max(map(len, report["metrics"]), default=0)
    for name, value in report["metrics"].items():
        beside = f"   (result.json: {recorded[name]:.4f})" if name in recorded else ""
        print(f"  {name:<{width}} {value:.4f}{beside}")
    if report["same_as_result"] is not None:
        same = "equal" if report["same_as_result"] else "DIFFERENT from"
        print(f"Metrics {same} the run's result.json.")
    if report["run_status"] not in (None, "done"):  # the model of its last saved epoch
        print(f"Note: the run did not finish (result.json: {report['run_status']}).")
    print(f"Wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
