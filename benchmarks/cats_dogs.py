"""Cats vs dogs from the pixels: the convex baselines, and ``svm_rbf`` against scikit-learn's
exact ``SVC`` on the same split, side by side.

Every model is fit on the framework's split and features of ``dataset=cifar_catdog`` (9,000
train, 1,000 validation, 2,000 test photos; pixels standardized with train statistics) and
scored on the same 2,000 test photos. The framework models run with their defaults
(``svm_linear``, ``logreg``: full-batch L-BFGS to convergence; ``svm_rbf``: 2,000 random
Fourier features, ``C=10``, ``gamma=scale``); scikit-learn's ``SVC`` gets the same ``C`` and
``gamma``. The conv nets' bar is a single training run of its own (benchmarks/README.md,
"Cats vs dogs").

    nice -n 19 .venv/bin/python benchmarks/cats_dogs.py             # all four rows
    nice -n 19 .venv/bin/python benchmarks/cats_dogs.py --models svm_rbf   # svm_rbf vs SVC only
"""

from __future__ import annotations

import argparse
import sys
import time

from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from common import CATDOG, CATDOG_OVERRIDES, compose_config, load_data, run_in_process
from experiments.kinds.estimator import score_estimator

QUIET = ["trainer.enable_checkpointing=false"]
MODELS = ("svm_linear", "logreg", "svm_rbf")


def framework_row(model: str, threads: int) -> tuple[float, float]:
    """Test accuracy and fit seconds of one framework run with the model's defaults."""
    result = run_in_process([*CATDOG_OVERRIDES, *QUIET, f"model={model}", f"threads={threads}"])
    return result["metrics"]["test/acc"], result["fit_seconds"]


def sklearn_svc_row(threads: int) -> tuple[float, float]:
    """Test accuracy and fit seconds of scikit-learn's SVC with svm_rbf's C and gamma, on
    the same train and test tensors."""
    cfg = compose_config([*CATDOG_OVERRIDES, "model=svm_rbf"])
    datamodule = load_data(CATDOG_OVERRIDES)
    inputs, targets = datamodule.tensors["train"]
    estimator = SVC(C=cfg.model.C, kernel="rbf", gamma=cfg.model.net.gamma)
    with threadpool_limits(limits=threads):
        start = time.perf_counter()
        estimator.fit(inputs.flatten(1).numpy(), targets.numpy())
        fit_seconds = time.perf_counter() - start
        test = datamodule.tensors["test"]
        metrics = score_estimator(estimator, datamodule.load(), "test", *test)
    return metrics["test/acc"], fit_seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--threads", type=int, default=1, help="torch / BLAS threads")
    args = parser.parse_args(argv)
    if not CATDOG.is_dir():
        sys.exit(f"cifar_catdog not found at {CATDOG} (see ../shared/data/README.md)")
    print(f"{'model':12} {'test/acc':>8} {'fit s':>8}   scikit-learn SVC (same C, gamma, split)")
    for model in args.models:
        accuracy, seconds = framework_row(model, args.threads)
        line = f"{model:12} {accuracy:8.4f} {seconds:8.1f}"
        if model == "svm_rbf":
            svc_accuracy, svc_seconds = sklearn_svc_row(args.threads)
            line += (
                f"   SVC {svc_accuracy:.4f} in {svc_seconds:.1f} s: "
                f"{100 * (accuracy - svc_accuracy):+.2f} points"
            )
        print(line, flush=True)


if __name__ == "__main__":
    main()
