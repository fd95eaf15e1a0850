"""The entry points answer ``--help`` without importing torch, Lightning or the data and
table libraries: those cost seconds, and only a run or a report needs them (issue 32)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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
    ("module", "function"), [("train", "cli"), ("compare", "main"), ("evaluate", "main")]
)
def test_help_imports_no_heavy_library(module: str, function: str) -> None:
    code = PROBE.format(module=module, function=function, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "usage" in done.stdout.lower() or "powered by hydra" in done.stdout.lower()
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
