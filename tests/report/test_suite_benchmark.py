"""benchmarks/suite.py on a generated suite and reference: the parity table of each
scikit-learn model's tuned accuracy against the reference's, gaps marked."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from tests.report.protocol_folders import protocol_folder
from tests.report.test_suite_report import as_suite

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
REFERENCE = """# tables

Mean test accuracy over the repeated 80/20 splits:

| dataset | logreg | svc_rbf_grid | mlp |
|---|---|---|---|
| d0 | 0.9000 | **0.9500** | 0.8000 |
| d1 | 0.8000 | 0.8100 | 0.7000 |

Mean balanced accuracy over the repeated 80/20 splits:

| dataset | logreg |
|---|---|
| d0 | 0.5 |
"""


@pytest.fixture
def benchmark(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    yield importlib.import_module("suite")
    sys.modules.pop("suite", None)


def test_parity_with_the_reference_table(benchmark, tmp_path: Path, capsys) -> None:
    scores = {"d0": {"sk_logreg": 0.91, "sk_svc": 0.90, "mlp": 0.85},
              "d1": {"sk_logreg": 0.80, "sk_svc": 0.84, "mlp": 0.70}}  # fmt: skip
    families = {"sk_logreg": "baseline", "sk_svc": "baseline", "mlp": "deep"}
    for name, means in scores.items():
        by_split = {model: [mean] * 3 for model, mean in means.items()}
        protocol_folder(tmp_path / "suite" / name, means, splits=3, seeds=1, trials=2,
                        families=families, by_split=by_split)  # fmt: skip
    as_suite(tmp_path / "suite", list(scores))
    (tmp_path / "README.md").write_text(REFERENCE)

    reference = benchmark.reference_table(tmp_path / "README.md", "test/acc")
    assert reference.loc["d0", "svc_rbf_grid"] == 0.95 and list(reference.index) == ["d0", "d1"]
    benchmark.main([str(tmp_path / "suite"), "--reference", str(tmp_path / "README.md")])
    out = capsys.readouterr().out
    for row in (
        "| sk_logreg | d0 | 0.9100 | 0.9000 | +1.0 |",
        "| sk_logreg | d1 | 0.8000 | 0.8000 | +0.0 |",
        "| sk_svc | d0 | 0.9000 | 0.9500 | -5.0 ** |",
        "| sk_svc | d1 | 0.8400 | 0.8100 | +3.0 ** |",
    ):
        assert row in out
    assert "| mlp |" not in out.split("Parity of")[1]  # not a scikit-learn model
    assert "Jobs: " in out and (tmp_path / "suite" / "suite.md").is_file()
    with pytest.raises(ValueError, match="no reference table of test/f1"):
        benchmark.reference_table(tmp_path / "README.md", "test/f1")
