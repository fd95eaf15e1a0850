"""Per-class results: the confusion matrix and per-class scores in result.json, ROC-AUC and
average precision for two classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from experiments.cli.train import train
from experiments.report.per_class import per_class_results


def test_per_class_numbers_by_hand() -> None:
    predictions = {"target": np.array([0, 0, 1, 1, 2]), "predicted": np.array([0, 1, 1, 1, 0])}
    results = per_class_results(predictions, ("a", "b", "c"))
    assert results["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert results["per_class"]["b"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert results["metrics"] == {}  # three classes: no ROC-AUC


@pytest.mark.parametrize("model", ["logreg", "sk_logreg", "svm_linear"])
def test_a_binary_run_records_per_class_results_and_auroc(
    make_cfg, tmp_path: Path, model: str
) -> None:
    cfg = make_cfg("dataset=breast_cancer", f"model={model}", "trainer.max_epochs=5")
    result = train(cfg, tmp_path, [])
    matrix = np.array(result["confusion_matrix"])
    assert matrix.sum() == 114 and matrix.shape == (2, 2)  # breast cancer: 569 rows, 20% test
    assert set(result["per_class"]) == {"malignant", "benign"}
    assert result["metrics"]["test/auroc"] >= 0.95 and result["metrics"]["test/ap"] >= 0.95
