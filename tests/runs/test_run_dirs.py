"""Run folders: unique per launch, and what a re-run into a folder keeps or clears."""

from __future__ import annotations

from pathlib import Path

from experiments.runs.config_folder import is_done
from experiments.runs.result import write_result
from experiments.runs.resume import clear_previous_attempt

from ..conftest import compose_config


def test_launches_in_the_same_second_get_different_folders() -> None:
    # Each launch composes its own config; ${now:} alone has one-second resolution.
    first, second = (compose_config([], return_hydra_config=True) for _ in range(2))
    assert first.hydra.sweep.dir != second.hydra.sweep.dir
    uid = first.hydra.sweep.dir.rsplit("_", 1)[1]
    assert len(uid) == 6 and first.hydra.sweep.dir.endswith(uid)  # cached: read twice, same
    assert first.hydra.run.dir.endswith(f"_{uid}"), "one launch, one uid"


def test_only_a_done_result_counts_as_done(tmp_path: Path) -> None:
    assert not is_done(tmp_path)
    for status, done in (("running", False), ("failed", False), ("done", True)):
        write_result(tmp_path, {"status": status})
        assert is_done(tmp_path) is done
    (tmp_path / "result.json").write_text("{")
    assert not is_done(tmp_path)


def test_clear_previous_attempt_keeps_the_log(tmp_path: Path) -> None:
    for name in ("tb/events.out", "checkpoints/last.ckpt", "run.log", ".hydra/config.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    clear_previous_attempt(tmp_path, [Path("checkpoints/last.ckpt")])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hydra", "run.log"]
