"""`experiments.core.train` is the run function whatever was imported before it (its module
is `experiments.core.training`: a submodule named `train` would shadow the function once
imported)."""

from __future__ import annotations

import subprocess
import sys


def test_core_train_is_the_function_after_its_module_was_imported() -> None:
    code = (
        "import experiments.core.training, experiments.core.job\n"
        "from experiments.core import train\n"
        "print(train.__module__, train.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["experiments.core.training", "train"], done.stderr[-2000:]
