"""The configs travel with the package: a built wheel holds every file under conf/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import CONF_DIR

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_every_config_and_the_sweeper_plugin(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("experiments-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = {
        f"experiments/conf/{path.relative_to(CONF_DIR).as_posix()}"
        for path in CONF_DIR.rglob("*.yaml")
    }
    assert configs and configs <= names, sorted(configs - names)
    assert any(name.startswith("hydra_plugins/") for name in names)
