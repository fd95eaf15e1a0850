"""The UCI suite's numbers for benchmarks/README: the suite's report (the answer, the duels,
the mean ranks and the critical-difference diagram), its time, and the parity of each
scikit-learn model's tuned accuracy with the reference table of ``shared/data/uci``.

Reads a suite folder, finished or cut (the suite resumes where it stopped: run the same
command with ``hydra.sweep.dir=<folder>``); runs nothing itself::

    experiments-train -m suite=uci launcher=parallel hydra.sweep.dir=outputs/suite_uci/full
    .venv/bin/python benchmarks/suite.py outputs/suite_uci/full
    .venv/bin/python benchmarks/suite.py outputs/suite_uci/full --metric test/balanced_acc

Parity: the reference (``shared/data/uci/README.md``) scores scikit-learn pipelines on 3
repeated stratified 80/20 splits with its own tuning (a grid for the RBF SVC, defaults for
the others); the suite tunes every model on its own splits (60/20/20, nested search) and
scores the chosen configuration. A gap of a point or two is expected; the table marks
larger ones (``--gap``, in points) for a closer look.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.report.suite import Suite, read_suite, write_suite_report
from experiments.report.table import markdown_table

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "uci" / "README.md"
# The suite's model -> the reference table's column (the same scikit-learn estimator).
REFERENCE_COLUMNS = {
    "sk_logreg": "logreg",
    "sk_linear_svc": "linear_svc",
    "sk_svc": "svc_rbf_grid",
    "sk_random_forest": "random_forest",
    "sk_hist_gradient_boosting": "hist_gb",
    "sk_naive_bayes": "gaussian_nb",
}
# The reference README's table of each metric starts after this line.
TABLE_TITLES = {
    "test/acc": "Mean test accuracy over the repeated 80/20 splits:",
    "test/balanced_acc": "Mean balanced accuracy over the repeated 80/20 splits:",
}


def reference_table(path: Path, metric: str) -> pd.DataFrame:
    """The reference scores of ``metric``: one row per dataset, one column per model.

    Raises:
        ValueError: the file has no table for the metric.
    """
    text = path.read_text()
    title = TABLE_TITLES.get(metric)
    if title is None or title not in text:
        raise ValueError(f"{path}: no reference table of {metric} (one of {', '.join(TABLE_TITLES)})")  # fmt: skip
    block = text.split(title, 1)[1].strip().split("\n\n", 1)[0]  # the table after the title
    lines = [line for line in block.splitlines() if not re.fullmatch(r"\|(-+\|)+", line)]
    rows = [[cell.strip().strip("*") for cell in line.strip("|").split("|")] for line in lines]
    table = pd.DataFrame(rows[1:], columns=rows[0]).set_index("dataset")
    return table.astype(float)


def suite_scores(suite: Suite, metric: str) -> pd.DataFrame:
    """Each model's tuned ``metric`` per dataset: the mean over splits of the chosen
    configuration's re-runs (each split the mean of its seeds)."""
    scores: dict[str, dict[str, float]] = {}
    for name, protocol in suite.protocols.items():
        for model, runs in protocol.models.items():
            by_split = runs.split_scores(metric)
            if by_split:
                scores.setdefault(name, {})[model] = float(np.mean(list(by_split.values())))
    return pd.DataFrame(scores).T


def parity(suite: Suite, reference: pd.DataFrame, metric: str, gap: float) -> pd.DataFrame:
    """Per dataset and scikit-learn model: the suite's tuned score, the reference's, and the
    difference in points, marked where it is larger than ``gap`` points."""
    ours = suite_scores(suite, metric)
    rows = []
    for model, column in REFERENCE_COLUMNS.items():
        if model not in ours.columns or column not in reference.columns:
            continue
        for dataset in ours.index:
            if dataset not in reference.index or math.isnan(ours.loc[dataset, model]):
                continue
            # + 0.0: a difference that rounds to zero is shown +0.0, never -0.0
            difference = (
                round(100 * (ours.loc[dataset, model] - reference.loc[dataset, column]), 1) + 0.0
            )
            rows.append(
                {"model": model, "dataset": dataset, "suite": f"{ours.loc[dataset, model]:.4f}",
                 "reference": f"{reference.loc[dataset, column]:.4f}",
                 "points": f"{difference:+.1f}" + (" **" if abs(difference) > gap else "")}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "dataset", "suite", "reference", "points"])


def time_lines(suite: Suite) -> list[str]:
    """The suite's time: from its first job's start to its last job's end, and the sums of
    the jobs' wall and CPU seconds."""
    costs = suite.costs
    span = costs["finished"].max() - costs["started"].min()
    return [
        f"Jobs: {int(costs['jobs'].sum())} ({int(costs['failed'].sum())} not done); first "
        f"start to last end {span / 60:.1f} min (includes any pause between runs of a resumed "
        f"suite); job wall time {costs['wall_seconds'].sum() / 60:.1f} min, CPU "
        f"{costs['cpu_seconds'].sum() / 60:.1f} min.",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a suite folder (finished or cut)")
    parser.add_argument("--metric", default="test/acc", choices=sorted(TABLE_TITLES))
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the tables' README")
    parser.add_argument("--gap", type=float, default=2.0, help="points that mark a gap")
    args = parser.parse_args(argv)
    write_suite_report(args.folder)  # prints the duels, the mean ranks and the answer
    suite = read_suite(args.folder)
    print("\n" + "\n".join(time_lines(suite)))
    table = parity(suite, reference_table(args.reference, args.metric), args.metric, args.gap)
    print(f"\nParity of {args.metric} with {args.reference} (** more than {args.gap:g} points):\n")
    print(markdown_table(table))
    if not table.empty:
        points = table.assign(points=table["points"].str.rstrip(" *").astype(float))
        print("Mean difference per model, in points:")
        print(points.groupby("model", sort=False)["points"].mean().round(2).to_string())


if __name__ == "__main__":
    main()
