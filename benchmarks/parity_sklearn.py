"""Lightning SVM-style models against their scikit-learn counterparts, side by side.

For each data set, each pair is fit on the same split (the framework's data module) and
scored with the same metrics; the table shows test accuracy of both, the difference in
points, and the fit-time ratio (Lightning / scikit-learn; < 1 means Lightning is faster).
Kernel pairs use the same gamma (resolved once from the training inputs) and the same
number of features or landmarks. Every Lightning model trains with its defaults: full-batch
L-BFGS until the training objective converges (``trainer.max_epochs`` a ceiling), on the
squared hinge, as LinearSVC's default ``squared_hinge`` which the references use.

    .venv/bin/python benchmarks/parity_sklearn.py            # digits, and mnist10k if present
    .venv/bin/python benchmarks/parity_sklearn.py --quick    # digits only
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sklearn.kernel_approximation import Nystroem, RBFSampler
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from experiments.config import compose_config, instantiate_checked
from experiments.core import train
from experiments.kinds.estimator import score_estimator
from experiments.models.kernel_features import resolve_gamma

MNIST10K = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist10k"
QUIET = ["trainer.enable_checkpointing=false"]


def lightning_run(data: list[str], model: str, extra: list[str]) -> tuple[float, float]:
    cfg = compose_config([*QUIET, *data, f"model={model}", *extra])
    with tempfile.TemporaryDirectory() as run_dir:
        result = train(cfg, Path(run_dir), [])
    return result["metrics"]["test/acc"], result["fit_seconds"]


def sklearn_run(data: list[str], estimator) -> tuple[float, float]:
    cfg = compose_config(data)
    datamodule = instantiate_checked(cfg.dataset, "dataset")
    shapes = datamodule.load()
    inputs, targets = datamodule.tensors["train"]
    with threadpool_limits(limits=cfg.threads):
        start = time.perf_counter()
        estimator.fit(inputs.flatten(1).numpy(), targets.numpy())
        fit_seconds = time.perf_counter() - start
        metrics = score_estimator(estimator, shapes, "test", *datamodule.tensors["test"])
    return metrics["test/acc"], fit_seconds


def train_inputs(data: list[str]):
    datamodule = instantiate_checked(compose_config(data).dataset, "dataset")
    datamodule.load()
    return datamodule.tensors["train"][0]


def pairs(data: list[str], components: int):
    """(name, lightning model + overrides, scikit-learn estimator) per pair."""
    gamma = resolve_gamma("scale", train_inputs(data))
    kernel = [f"model.net.gamma={gamma}"]
    return [
        ("linear SVM", ("svm_linear", []), LinearSVC(C=1.0, max_iter=10_000)),
        ("logistic regression", ("logreg", []), LogisticRegression(C=1.0, max_iter=2000)),
        (
            f"RFF {components} + linear SVM",
            ("svm_rbf", [*kernel, f"model.net.n_features={components}"]),
            make_pipeline(
                RBFSampler(gamma=gamma, n_components=components, random_state=0),
                LinearSVC(C=10.0, max_iter=10_000),
            ),
        ),
        (
            f"Nystroem {components} + linear SVM",
            ("svm_nystroem", [*kernel, f"model.net.n_components={components}"]),
            make_pipeline(
                Nystroem(gamma=gamma, n_components=components, random_state=0),
                LinearSVC(C=10.0, max_iter=10_000),
            ),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only")
    args = parser.parse_args()
    datasets = [("digits", [], 1000)]
    if not args.quick and MNIST10K.is_dir():
        datasets.append(("mnist10k", ["dataset=mnist", f"dataset.path={MNIST10K}"], 1000))
    elif not args.quick:
        print(f"(mnist10k not found at {MNIST10K}: digits only)", file=sys.stderr)
    header = f"{'data':9} {'pair':32} {'lightning':>9} {'sklearn':>8} {'diff pts':>8} {'fit L s':>8} {'fit sk s':>8} {'ratio':>6}"
    print(header)
    for name, data, components in datasets:
        for pair, (model, extra), estimator in pairs(data, components):
            acc_l, fit_l = lightning_run(data, model, extra)
            acc_s, fit_s = sklearn_run(data, estimator)
            print(
                f"{name:9} {pair:32} {acc_l:9.4f} {acc_s:8.4f} {100 * (acc_l - acc_s):+8.2f} "
                f"{fit_l:8.2f} {fit_s:8.2f} {fit_l / fit_s:6.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
