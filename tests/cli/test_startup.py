"""The entry points answer ``--help`` without importing torch, Lightning or the data and
table libraries: those cost seconds, and only a run or a report needs them; and
``experiments-predict`` answers without Lightning (issue 32)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from ..conftest import train_run

HEAVY = (
    "torch", "pytorch_lightning", "lightning_fabric", "torchmetrics", "datasets", "sklearn",
    "pandas", "scipy", "matplotlib", "numpy",
)  # fmt: skip
# Runs an entry point's --help in a fresh process, then prints the heavy modules it imported.
PROBE = """
import json, sys
from experiments.cli.{module} import {function} as entry
sys.argv = ["experiments-{module}", "--help"]
try:
    entry()
except SystemExit:
    pass
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "function"),
    [("train", "cli"), ("compare", "main"), ("evaluate", "main"), ("predict", "main")],
)
def test_help_imports_no_heavy_library(module: str, function: str) -> None:
    code = PROBE.format(module=module, function=function, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "usage" in done.stdout.lower() or "powered by hydra" in done.stdout.lower()
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


# Predicts 3 rows with a saved run in a fresh process, then prints which of ``heavy`` it imported.
PREDICT_PROBE = """
import json, sys
from experiments.cli.predict import main
code = main([{ckpt!r}, {rows!r}])
print(json.dumps([code, sorted(name for name in {heavy!r} if name in sys.modules)]))
"""
LIGHTNING = ("pytorch_lightning", "lightning_fabric", "torchmetrics", "tensorboard")


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A logistic regression network and a scikit-learn one on breast cancer, 3 rows of it."""
    root = tmp_path_factory.mktemp("startup")
    rows = root / "rows.csv"
    load_breast_cancer(as_frame=True).data.head(3).to_csv(rows, index=False)
    data = ["dataset=breast_cancer", "trainer.max_epochs=1"]
    return {
        "logreg": train_run(root / "logreg", *data, "model=logreg"),
        "sk_logreg": train_run(root / "sk_logreg", *data, "model=sk_logreg"),
        "rows": rows,
    }


@pytest.mark.slow
@pytest.mark.parametrize("model", ["logreg", "sk_logreg"])
def test_predict_imports_no_lightning(tiny_runs, model: str) -> None:
    """A network of a shipped task (`EvalTask`) or an estimator answers without Lightning,
    its metrics or TensorBoard."""
    code = PREDICT_PROBE.format(
        ckpt=f"ckpt={tiny_runs[model]}", rows=f"input={tiny_runs['rows']}", heavy=LIGHTNING
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 4 and all("% malignant" in line for line in lines[:3]), done.stdout
    assert json.loads(lines[-1]) == [0, []]
