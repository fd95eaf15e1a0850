"""The fair protocol on digits against scikit-learn's own GridSearchCV(SVC), on the same splits.

Reads a finished protocol folder (``experiments-train -m experiment=svm_vs_deep
protocol=fair model=svm_linear,svm_rbf,logreg,sk_svc,sk_random_forest,mlp,cnn``), prints each
model's mean test accuracy over the final phase's splits (each the mean of its seeds) with the
trial each split chose (nested tuning: each split searches on its own rows) and split 0's choice,
then fits ``GridSearchCV(SVC)`` (25 settings, 5-fold CV) on every split the protocol used
and scores it on the same test rows. It fits on the rows the protocol's final runs train on
(``--grid-rows train``), or on train + validation rows as a scikit-learn user would
(``--grid-rows train+val``: a third more rows, not the protocol's conditions). Ends with the bars of issue 12: tuned cnn >= 0.985, tuned mlp >= 0.975,
tuned sk_svc within 0.5 points of GridSearchCV, tuned svm_rbf within 1 point of tuned sk_svc.

    .venv/bin/python benchmarks/protocol_digits.py outputs/svm_vs_deep/<protocol folder>
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

from common import compose_config
from experiments.config import instantiate_checked

GRID = {"C": [0.1, 1, 10, 100, 1000], "gamma": ["scale", 1e-4, 1e-3, 1e-2, 1e-1]}
METRIC = "test/acc"


def protocol_scores(
    folder: Path,
) -> tuple[dict[str, list[float]], dict[str, dict[int, dict]], set[int]]:
    """Per model the test accuracy of each split (mean over its seeds), the trial each split
    chose, and the splits."""
    scores: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    chosen: dict[str, dict[int, dict]] = defaultdict(dict)
    for path in sorted((folder / "final").glob("*/*/result.json")):
        result = json.loads(path.read_text())
        if result.get("status") != "done":
            continue
        record = result["protocol"]
        split = record["split_seed"]
        scores[record["model"]][split].append(result["metrics"][METRIC])
        chosen[record["model"]][split] = {"trial": record["trial"], "params": record["params"]}
    means = {
        model: [statistics.mean(values) for _, values in sorted(by_split.items())]
        for model, by_split in scores.items()
    }
    splits = {split for by_split in scores.values() for split in by_split}
    return means, chosen, splits


def grid_search_svc(split_seed: int, parts_used: tuple[str, ...]) -> float:
    """GridSearchCV(SVC) (5-fold CV) fit on the split's ``parts_used`` rows, scored on its
    test rows."""
    datamodule = instantiate_checked(
        compose_config([f"dataset.split_seed={split_seed}"]).dataset, "dataset"
    )
    datamodule.load()
    parts = {name: datamodule.tensors[name] for name in ("train", "val", "test")}
    inputs = np.concatenate([parts[n][0].flatten(1).numpy() for n in parts_used])
    targets = np.concatenate([parts[n][1].numpy() for n in parts_used])
    search = GridSearchCV(SVC(), GRID, cv=5, n_jobs=1).fit(inputs, targets)
    return float(search.score(parts["test"][0].flatten(1).numpy(), parts["test"][1].numpy()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a finished protocol=fair folder on digits")
    parser.add_argument("--no-grid", action="store_true", help="the protocol's numbers only")
    parser.add_argument(
        "--grid-rows", choices=("train", "train+val"), default="train",
        help="rows GridSearchCV fits on: the rows the protocol's final runs train on "
        "(default), or train + validation as a scikit-learn user would",
    )  # fmt: skip
    args = parser.parse_args()
    scores, chosen, splits = protocol_scores(args.folder)
    print(
        f"{'model':18} {'splits':>6} {'mean test acc':>13} {'std':>6}  trials by split; split 0's params"
    )
    means = {}
    for model, values in sorted(scores.items(), key=lambda item: -statistics.mean(item[1])):
        means[model] = statistics.mean(values)
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        by_split = [chosen[model][split] for split in sorted(chosen[model])]
        params = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in by_split[0]["params"].items()
        )
        trials = ",".join(str(choice["trial"]) for choice in by_split)
        print(
            f"{model:18} {len(values):6d} {means[model]:13.4f} {spread:6.4f}  {trials}; {params or 'defaults'}"
        )

    if args.no_grid:
        grid_mean = None
    else:
        start = time.perf_counter()
        rows = tuple(args.grid_rows.split("+"))
        grid_mean = statistics.mean(grid_search_svc(split, rows) for split in sorted(splits))
        seconds = time.perf_counter() - start
        print(f"\nGridSearchCV(SVC), {len(GRID['C']) * len(GRID['gamma'])} settings x 5 folds on {args.grid_rows}, "
              f"splits {sorted(splits)}: mean test acc {grid_mean:.4f} ({seconds:.0f} s)")  # fmt: skip

    bars = [
        ("tuned cnn >= 0.985", means.get("cnn"), lambda v: v >= 0.985),
        ("tuned mlp >= 0.975", means.get("mlp"), lambda v: v >= 0.975),
        ("tuned sk_svc within 0.5 pts of GridSearchCV",
         None if "sk_svc" not in means or grid_mean is None else 100 * (means["sk_svc"] - grid_mean), lambda d: d >= -0.5),
        ("tuned svm_rbf within 1 pt of tuned sk_svc",
         None if {"svm_rbf", "sk_svc"} - set(means) else 100 * (means["svm_rbf"] - means["sk_svc"]),
         lambda d: d >= -1.0),
    ]  # fmt: skip
    print()
    for name, value, passes in bars:
        verdict = "not run" if value is None else ("met" if passes(value) else "MISSED")
        shown = "" if value is None else f"{value:+.4f}" if "within" in name else f"{value:.4f}"
        print(f"{name:45} {shown:>8}  {verdict}")


if __name__ == "__main__":
    main()
