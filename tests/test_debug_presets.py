"""debug=fdr|overfit|profiler: quick checks of a model, recorded with status "debug" (no
result), and tags recorded as given."""

from __future__ import annotations

import json

import pytest

from experiments.core import train


@pytest.mark.parametrize(
    ("preset", "trainer_setting"),
    [
        ("fdr", "trainer.fast_dev_run=True"),
        ("overfit", "trainer.overfit_batches=1"),
        ("profiler", None),
    ],
)
def test_a_debug_preset_is_recorded_as_debug(make_cfg, tmp_path, preset, trainer_setting) -> None:
    cfg = make_cfg(f"debug={preset}", "trainer.max_epochs=2", "tags=[smoke,v2]")
    train(cfg, tmp_path, [f"debug={preset}"])
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "debug"
    assert result["debug"][0] == f"debug={preset}"
    assert trainer_setting is None or trainer_setting in result["debug"]
    assert result["tags"] == ["smoke", "v2"]
