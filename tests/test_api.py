"""The Python API: a run made from a notebook is a run folder the command line takes."""

from __future__ import annotations

from pathlib import Path

import experiments
from experiments.cli.evaluate import evaluate


def test_run_writes_a_folder_that_eval_and_load_results_read(tmp_path: Path) -> None:
    result = experiments.run(
        ["model=logreg", "trainer.max_epochs=2", "seed=3"], run_dir=tmp_path / "run"
    )
    assert result["status"] == "done" and result["seed"] == 3
    report, _ = evaluate(tmp_path / "run")
    assert report["same_as_result"] is True
    frame = experiments.load_results(tmp_path)
    assert frame.loc[0, "status"] == "done" and frame.loc[0, "model"] == "logreg"
    assert frame.loc[0, "test/acc"] == result["metrics"]["test/acc"]
