"""`experiments-train -m suite=...` from the shell on generated tables: one protocol folder
per table, every table's batches in one launch, the report across them, a re-run that skips
everything, the job cap, and bad input that stops before any job."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ..conftest import run_sweeps

TABLES = {"alpha": (90, 2), "beta": (120, 3), "gamma": (80, 2)}  # rows, classes
TINY = ["protocol.trials=2", "protocol.splits=2", "trainer.max_epochs=2",
        "trainer.enable_checkpointing=false"]  # fmt: skip


def write_tables(root: Path, tables: dict[str, tuple[int, int]]) -> Path:
    """A folder of tables as a lab keeps them: ``<name>/data.csv``, numeric columns, a
    categorical one, a missing cell, the class as text in ``target``."""
    rng = np.random.default_rng(0)
    for name, (rows, classes) in tables.items():
        inputs = rng.normal(size=(rows, 4))
        labels = np.digitize(inputs[:, 0] + 0.5 * inputs[:, 1], np.linspace(-0.5, 0.5, classes - 1))  # fmt: skip
        table = pd.DataFrame(inputs, columns=[f"x{i}" for i in range(4)])
        table["color"] = rng.choice(["red", "blue"], size=rows)
        table.loc[3, "x1"] = np.nan
        table["target"] = [f"class {label}" for label in labels]
        (root / name).mkdir(parents=True)
        table.to_csv(root / name / "data.csv", index=False)
    return root


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str, Path]]:
    root = tmp_path_factory.mktemp("suite_cli")
    tables = write_tables(root / "tables", TABLES)
    bad = write_tables(root / "bad_tables", {"tiny": (6, 3)})
    suite = ["suite=uci", f"suite.path={tables}", "model=sk_logreg,mlp", *TINY]
    return run_sweeps(
        {
            "suite": [*suite, "launcher=parallel"],
            # one after another: done jobs are found by their folders, the same jobs
            # whatever the suite's other datasets
            "suite_again": [*suite, "suite.exclude=[gamma]", "launcher=local"],
            "capped": [
                "suite=uci", f"suite.path={tables}", "suite.datasets=[alpha]", "model=sk_logreg,mlp",
                "protocol.trials=1", "protocol.splits=1", "trainer.max_epochs=500",
                "trainer.enable_checkpointing=false", "suite.job_minutes=0.01",
            ],
            "bad_input": [
                "suite=uci", f"suite.path={root / 'nowhere'}", "model=mlp", "dataset=digits",
                "curve=geometric",
            ],
            "bad_table": ["suite=uci", f"suite.path={bad}", "model=sk_logreg,mlp", *TINY],
        },
        root,
    )  # fmt: skip


@pytest.mark.slow
def test_a_suite_runs_the_protocol_per_table_and_reports_across_them(ran) -> None:
    code, out, err, sweep = ran["suite"]
    assert code == 0, err[-3000:]
    for name in TABLES:
        finals = sorted((sweep / name / "final").glob("*/*/result.json"))
        assert [p.parent.relative_to(sweep).as_posix() for p in finals] == [
            f"{name}/final/{model}/split_{r},seed_0" for model in ("mlp", "sk_logreg") for r in (0, 1)
        ]  # fmt: skip
        result = json.loads(finals[0].read_text())
        assert result["dataset"] == name and result["status"] == "done"
        assert result["wall_seconds"] > 0 and result["cpu_seconds"] > 0
        assert (sweep / name / "report.md").is_file()
    # every table's search jobs in one launch (3 tables x 2 models x 2 splits x 2 trials),
    # then every final job in another
    assert "Launching 24 jobs, 2 at a time" in out
    assert out.count("Launching ") == 2
    assert "On 3 datasets of uci, the best deep net (chosen on validation on each)" in out
    assert "| alpha | 90 | mlp |" in out and "Mean ranks:" in out
    assert f"Report: {sweep / 'suite.md'}" in out
    assert (sweep / "critical_difference.png").is_file() and (sweep / "suite.csv").is_file()

    code, out, err, _ = ran["suite_again"]
    assert code == 0, err[-3000:]
    jobs = len(list(sweep.rglob("result.json")))
    assert f"Jobs: {jobs} skipped (done earlier)." in out
    assert not list(sweep.rglob(".replaced"))  # no done job was taken for another one
    assert "On 2 datasets of uci" in (sweep / "suite.md").read_text()


@pytest.mark.slow
def test_the_job_cap_stops_networks_and_is_reported(ran) -> None:
    code, _, err, sweep = ran["capped"]
    assert code == 0, err[-3000:]
    (final,) = (sweep / "alpha" / "final" / "mlp").glob("*/result.json")
    result = json.loads(final.read_text())
    assert result["stopped_epoch"] < 499  # stopped by trainer.max_time, then scored
    assert "test/acc" in result["metrics"]
    assert "reached the cap of 0.01 minutes" in (sweep / "suite.md").read_text()


@pytest.mark.slow
def test_bad_suite_input_stops_before_any_job(ran) -> None:
    code, out, err, sweep = ran["bad_input"]
    assert code == 2
    for problem in (
        "model: a suite compares several models, got mlp",
        "dataset: a suite sets it for each of its datasets",
        "curve: a suite runs the protocol on each dataset, not a learning curve",
        "nowhere is not a folder",
    ):
        assert problem in out + err
    assert not sweep.exists() or not list(sweep.rglob("*.json"))

    code, out, err, sweep = ran["bad_table"]
    assert code == 2
    assert "tiny: dataset." in out + err and "(dataset.split_seed=0)" in out + err
    assert not sweep.exists() or not list(sweep.rglob("result.json"))
