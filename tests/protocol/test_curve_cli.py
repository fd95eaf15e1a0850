"""`experiments-train -m ... curve=geometric` from the shell: the jobs of every size, the
report's files, the crossover line, TensorBoard's scalars per size, a re-run that skips
everything, and bad sizes that stop before any job."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ..conftest import run_sweeps

MODELS, SIZES, SEEDS = ("svm_linear", "mlp"), (100, 200, 400), (0, 1)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str, Path]]:
    """This file's commands, run one after another in one child process (one import of
    torch and Lightning): name -> exit status, stdout, stderr and sweep folder."""
    curve = [
        "curve=geometric", f"model={','.join(MODELS)}", f"seed={','.join(map(str, SEEDS))}",
        f"curve.sizes=[{','.join(map(str, reversed(SIZES)))}]", "trainer.max_epochs=10",
        "trainer.enable_checkpointing=false",
    ]  # fmt: skip
    return run_sweeps(
        {
            "curve": curve,
            "curve_again": curve,
            "bad_sizes": ["curve=geometric", "model=svm_linear", "curve.sizes=[0,100,5000,5]"],
        },
        tmp_path_factory.mktemp("curve_cli"),
    )


@pytest.mark.slow
def test_curve_runs_every_size_reports_the_crossover_and_resumes(ran) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    code, out, err, sweep = ran["curve"]
    assert code == 0, err[-3000:]
    assert sorted(str(p.parent.relative_to(sweep)) for p in sweep.rglob("result.json")) == sorted(
        f"size_{n}/final/{m}/split_0,seed_{s}" for n in SIZES for m in MODELS for s in SEEDS
    )

    table = pd.read_csv(sweep / "learning_curve.csv")
    assert sorted(zip(table["size"], table["model"], strict=True)) == sorted(
        (n, m) for n in SIZES for m in MODELS
    )
    assert set(table["runs"]) == {2}
    assert ((table["low"] <= table["mean"]) & (table["mean"] <= table["high"])).all()
    duels = pd.read_csv(sweep / "crossover.csv")
    assert list(duels["size"]) == list(SIZES) and set(duels["deep"]) == {"mlp"}
    line = next(
        line for line in out.splitlines() if line.startswith(("Crossover at", "No crossover"))
    )
    won = duels.loc[duels["crossover"], "size"].tolist()
    if won:  # the line names the size that crossover.csv marks, with its numbers
        assert line.startswith(f"Crossover at {won[0]:,} training rows")
    else:
        assert line.startswith(f"No crossover: at the largest size ({SIZES[-1]} rows)")
    mlp = table.query(f"size == {SIZES[-1]} and model == 'mlp'")["mean"].item()
    assert f"mlp {mlp:.4f}" in line
    assert (sweep / "learning_curve.png").read_bytes().startswith(b"\x89PNG")
    assert "| train rows | svm_linear | mlp |" in (sweep / "learning_curve.md").read_text()

    events = EventAccumulator(str(sweep / "tb" / "learning_curve"))
    events.Reload()
    assert events.Tags()["images"] == ["learning_curve"]
    for model in MODELS:
        scalars = events.Scalars(f"learning_curve/{model}")
        assert [s.step for s in scalars] == list(SIZES)
        expected = table.query(f"model == '{model}'").sort_values("size")["mean"]
        assert [s.value for s in scalars] == pytest.approx(expected.tolist(), abs=1e-6)

    code, out, err, _ = ran["curve_again"]
    assert code == 0, err[-3000:]
    assert f"Jobs: {len(SIZES) * len(MODELS) * len(SEEDS)} skipped (done earlier)." in out


@pytest.mark.slow
def test_bad_sizes_stop_before_any_job(ran) -> None:
    code, out, err, folder = ran["bad_sizes"]
    assert code == 2
    output = out + err
    for problem in (
        "model: a learning curve compares several models, got svm_linear",
        "curve.sizes[0]: 0 is not a count of rows between 1 and 1077 (the train split)",
        "curve.sizes[2]: 5000 is not a count of rows between 1 and 1077",
        "curve.sizes[3]: 5 rows leave class(es) 0, 2, 7, 8, 9 without rows",
    ):
        assert problem in output
    assert not list(folder.rglob("result.json"))
