"""`experiments-compare <sweep>`'s defaults: the metric the finished runs recorded, whatever
the failed ones recorded; and another metric's leaderboard written beside the sweep's own,
never over it."""

from __future__ import annotations

from pathlib import Path

from experiments.cli.compare import main as compare
from experiments.runs.result import write_result

from .test_leaderboard_stats import synthetic_sweep


def test_failed_runs_that_recorded_no_monitor_leave_the_default_to_the_finished(
    tmp_path: Path, capsys
) -> None:
    sweep = synthetic_sweep(tmp_path / "sweep")
    # A job that failed before its data said its task recorded `monitor: auto`.
    write_result(
        sweep / "model=mlp,optimizer.lr=-1,seed=0",
        {"status": "failed", "overrides": ["model=mlp", "optimizer.lr=-1", "seed=0"],
         "monitor": "auto", "monitor_mode": "auto", "error": "Invalid learning rate: -1"},
    )  # fmt: skip
    assert compare([str(sweep)]) == 0, capsys.readouterr().err
    assert "sorted by test/acc" in capsys.readouterr().out


def test_another_metric_is_written_beside_the_sweeps_own_leaderboard(
    tmp_path: Path, capsys
) -> None:
    sweep = synthetic_sweep(tmp_path / "sweep")
    assert compare([str(sweep)]) == 0  # the sweep's own: by the recorded test/acc
    own = (sweep / "leaderboard.md").read_text(), (sweep / "results.csv").read_text()
    capsys.readouterr()
    assert compare([str(sweep), "--metric", "test/f1"]) == 0
    printed = capsys.readouterr().out
    out = sweep / "by_test_f1_max"
    assert f"Wrote {out / 'results.csv'}, {out / 'leaderboard.md'}" in printed
    assert "sorted by test/f1" in printed
    assert ((sweep / "leaderboard.md").read_text(), (sweep / "results.csv").read_text()) == own
    assert (out / "leaderboard.md").is_file()
    assert compare([str(sweep), "--metric", "test/f1", "--out", str(tmp_path / "f1")]) == 0
    assert (tmp_path / "f1" / "leaderboard.md").is_file()
