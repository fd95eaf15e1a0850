"""Convex models trained to convergence: the torch linear models against scikit-learn's
closed-form and liblinear/lbfgs solutions of the same objective, side by side.

Each pair is fit on the same split and features (the framework's data module) and scored
with the same metrics. The torch side runs with its defaults (full-batch L-BFGS until the
training objective stops decreasing, ``trainer.max_epochs`` as a ceiling); the table shows
its test score, the scikit-learn score, the gap in percent of the scikit-learn score, both
fit times, the epochs the torch model took and whether it converged, and, for contrast, the
torch model's score under the previous defaults (AdamW, 30 epochs, plain hinge).

The same objective: ours is ``mean(loss) + ||W||^2 / (2 C n)`` over a weight matrix with one
row per class. For two classes that matrix has two rows where scikit-learn has one vector
``w = W_1 - W_0``, and at the optimum ``||W||^2 = ||w||^2 / 2``: scikit-learn's ``C`` is twice
ours. Ridge's ``alpha`` is ``1 / (2 C)``. scikit-learn's LinearSVC is one-vs-rest where ours
is Crammer-Singer: the same objective for two classes only (digits rows are comparable, not
identical problems).

Data, generated so that the answer is known (no download):
- houses: 1,500 sales, 4 numeric and 2 categorical columns, price = linear + noise, in tens of
  thousands of dollars (``dataset=csv``, targets standardized as served to both sides).
- reviews: 2,000 short product reviews from a vocabulary of positive, negative and neutral
  words; the label is the sign of a noisy sum of word sentiments (TF-IDF features).
- sms_spam from ../shared/data when present, and scikit-learn's digits.

    .venv/bin/python benchmarks/convergence.py            # all cases
    .venv/bin/python benchmarks/convergence.py --quick    # generated tables and digits only
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from common import compose_config, run_in_process
from experiments.config import instantiate_checked
from experiments.kinds.estimator import score_estimator

SMS_SPAM = Path(__file__).resolve().parents[2] / "shared" / "data" / "sms_spam"
QUIET = ["trainer.enable_checkpointing=false", "trainer.max_epochs=100"]
# The regime before convergence training, for the "30 epochs" column: AdamW, minibatches of
# 64, 30 epochs, the plain hinge and epsilon-insensitive losses.
FIXED_EPOCHS = ["optimizer=adamw", "~callbacks.convergence", "trainer.max_epochs=30"]
PLAIN_LOSS = {
    "svm_linear": ["model.loss.classification.squared=false"],
    "svr_linear": ["model.loss.regression.squared=false"],
}
NEIGHBORHOODS = {"north": 4.0, "south": -2.5, "east": 1.0, "west": 0.0, "center": 6.0}
CONDITIONS = {"poor": -3.0, "fair": 0.0, "good": 2.0}
POSITIVE = [
    "great",
    "excellent",
    "love",
    "perfect",
    "wonderful",
    "amazing",
    "best",
    "happy",
    "recommend",
    "solid",
]
NEGATIVE = [
    "bad",
    "terrible",
    "awful",
    "broken",
    "worst",
    "poor",
    "refund",
    "disappointed",
    "waste",
    "cheap",
]
NEUTRAL = [
    "the",
    "a",
    "it",
    "this",
    "product",
    "item",
    "was",
    "is",
    "and",
    "with",
    "for",
    "box",
    "arrived",
    "day",
    "use",
]


def write_houses(path: Path, rows: int = 1500, seed: int = 0) -> Path:
    """A house-price table linear by construction: price in dollars = linear in the columns
    (tens of thousands per unit) + Gaussian noise of $20k."""
    rng = np.random.default_rng(seed)
    area = rng.normal(1800, 500, rows).clip(400)
    bedrooms = rng.integers(1, 6, rows)
    bathrooms = rng.integers(1, 4, rows)
    age = rng.uniform(0, 80, rows)
    neighborhood = rng.choice(list(NEIGHBORHOODS), rows)
    condition = rng.choice(list(CONDITIONS), rows)
    price = (
        50_000 + 120 * area + 8_000 * bedrooms + 15_000 * bathrooms - 900 * age
        + 10_000 * np.array([NEIGHBORHOODS[n] for n in neighborhood])
        + 10_000 * np.array([CONDITIONS[c] for c in condition])
        + rng.normal(0, 20_000, rows)
    )  # fmt: skip
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["area", "bedrooms", "bathrooms", "age", "neighborhood", "condition", "price"]
        )
        writer.writerows(zip(area.round(), bedrooms, bathrooms, age.round(1), neighborhood,
                             condition, price.round(), strict=True))  # fmt: skip
    return path


def write_reviews(path: Path, rows: int = 2000, seed: int = 0) -> Path:
    """Short reviews; label positive/negative = sign of (sum of word sentiments + noise)."""
    rng = np.random.default_rng(seed)
    sentiment = {w: 1.0 for w in POSITIVE} | {w: -1.0 for w in NEGATIVE}
    vocabulary = POSITIVE + NEGATIVE + NEUTRAL * 3
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label"])
        for _ in range(rows):
            words = list(rng.choice(vocabulary, rng.integers(6, 25)))
            score = sum(sentiment.get(w, 0.0) for w in words) + rng.normal(0, 0.5)
            writer.writerow([" ".join(words), "positive" if score > 0 else "negative"])
    return path


def torch_run(data: list[str], model: str, extra: list[str] = ()) -> tuple[float, float, dict]:
    result = run_in_process([*QUIET, *data, f"model={model}", *extra])
    metric = "test/rmse" if "test/rmse" in result["metrics"] else "test/acc"
    return result["metrics"][metric], result["fit_seconds"], result


def sklearn_run(data: list[str], estimator) -> tuple[float, float]:
    cfg = compose_config(data)
    datamodule = instantiate_checked(cfg.dataset, "dataset")
    shapes = datamodule.load()
    inputs, targets = datamodule.tensors["train"]
    with threadpool_limits(limits=cfg.threads):
        start = time.perf_counter()
        estimator.fit(inputs.flatten(1).numpy(), targets.numpy())
        seconds = time.perf_counter() - start
    metrics = score_estimator(estimator, shapes, "test", *datamodule.tensors["test"])
    return metrics["test/rmse" if shapes.task == "regression" else "test/acc"], seconds


def cases(folder: Path, quick: bool) -> list[tuple[str, list[str], str, object]]:
    houses = ["dataset=csv", f"dataset.path={write_houses(folder / 'houses.csv')}",
              "dataset.task=regression", "dataset.target_column=price"]  # fmt: skip
    reviews = ["dataset=csv", f"dataset.path={write_reviews(folder / 'reviews.csv')}",
               "dataset.task=classification", "dataset.target_column=label",
               "dataset/features=tfidf", "dataset.features.text_column=text"]  # fmt: skip
    chosen = [
        ("houses", houses, "linear_regression", LinearRegression()),
        ("houses", houses, "linear_regression C=0.01", Ridge(alpha=50.0)),
        ("reviews", reviews, "logreg", LogisticRegression(C=2.0, max_iter=5000)),
        ("reviews", reviews, "svm_linear", LinearSVC(C=2.0, max_iter=20000)),
        ("digits", [], "logreg", LogisticRegression(C=1.0, max_iter=5000)),
        ("digits", [], "svm_linear", LinearSVC(C=1.0, max_iter=20000)),
    ]
    if not quick and SMS_SPAM.is_dir():
        spam = ["dataset=sms_spam", f"dataset.path={SMS_SPAM}"]
        chosen += [
            ("sms_spam", spam, "logreg", LogisticRegression(C=2.0, max_iter=5000)),
            ("sms_spam", spam, "svm_linear", LinearSVC(C=2.0, max_iter=20000)),
        ]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="generated tables and digits only")
    args = parser.parse_args()
    print(
        f"| data | torch model | metric | torch | scikit-learn | reference | gap % | "
        f"torch fit s | sklearn fit s | epochs | converged | 30 AdamW epochs (before) |"
        f"\n|{'---|' * 12}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for data_name, data, model, estimator in cases(Path(folder), args.quick):
            name, *settings = model.split()
            extra = [f"model.{s}" for s in settings]
            ours, ours_seconds, result = torch_run(data + extra, name)
            theirs, theirs_seconds = sklearn_run(data, estimator)
            before, _, _ = torch_run(data + extra, name, FIXED_EPOCHS + PLAIN_LOSS.get(name, []))
            metric = "test/rmse" if "test/rmse" in result["metrics"] else "test/acc"
            gap = 100 * (ours - theirs) / theirs
            number = "{:,.0f}" if metric == "test/rmse" else "{:.4f}"
            shown = f"{number.format(ours)} | {number.format(theirs)}"
            print(
                f"| {data_name} | {model} | {metric} | {shown} | {estimator!r} | {gap:+.2f} | "
                f"{ours_seconds:.2f} | {theirs_seconds:.3f} | {result['stopped_epoch']} | "
                f"{result['converged']} | {number.format(before)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
