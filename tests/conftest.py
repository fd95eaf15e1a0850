"""Shared fixtures: configs composed from the package's conf/, runs in temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Tests never touch the network: Hugging Face clients fail fast instead of retrying.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from omegaconf import DictConfig, OmegaConf

import experiments.core
from experiments.config import CONF_DIR, compose_config

__all__ = ["CONF_DIR", "compose_config"]  # tests import both from here

# Short, fast runs: enough epochs to learn digits, no checkpoint files to write.
FAST = ["trainer.max_epochs=15", "trainer.enable_checkpointing=false"]


# pytest-timeout's limit for `slow` tests (subprocess runs, sweeps); the others get
# pyproject.toml's `timeout`.
SLOW_TIMEOUT_S = 900


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))


@pytest.fixture(scope="session", autouse=True)
def data_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The processed-data cache in a fresh folder: tests start cold and never touch
    ~/.cache (subprocess runs inherit the variable)."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("data-cache")
        patch.setenv("EXPERIMENTS_DATA_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def digits_cfg() -> DictConfig:
    """The default config (digits, MLP), composed once; tests get copies."""
    return compose_config([])


@pytest.fixture
def make_cfg(tmp_path: Path) -> Callable[..., DictConfig]:
    """Compose a config with overrides (plus the fast settings unless ``fast=False``)."""

    def make(*overrides: str, fast: bool = True) -> DictConfig:
        cfg = compose_config([*(FAST if fast else []), *overrides])
        return OmegaConf.create(OmegaConf.to_container(cfg))

    return make


def train_run(run_dir: Path, *overrides: str) -> Path:
    """Train one run into ``run_dir`` with ``overrides``, and save its composed config as
    ``.hydra/config.yaml`` as the CLI does (what experiments-eval and -predict read)."""
    cfg = compose_config(list(overrides))
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / ".hydra").mkdir(exist_ok=True)
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    experiments.core.train(cfg, run_dir, list(overrides))
    return run_dir


# Runs console-script commands (``["experiments-train", *arguments]``) one after another in
# this one process, each as its installed script runs it, its file descriptors 1 and 2 on files
# of its own as in a process of its own; an exception that escapes is printed as the
# interpreter prints it, exit status 1.
CLI_RUNNER = """
import json, os, sys, traceback
from importlib.metadata import entry_points
folder, codes = sys.argv[1], []
for number, command in enumerate(json.loads(sys.stdin.read())):
    (script,) = entry_points(group="console_scripts", name=command[0])
    saved = os.dup(1), os.dup(2)
    with open(f"{folder}/{number}.out", "wb") as out, open(f"{folder}/{number}.err", "wb") as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.argv = command
        try:
            code = script.load()() or 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
            if isinstance(exit_.code, str):
                print(exit_.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
    codes.append(code)
print(json.dumps(codes))
"""


def run_cli_commands(
    commands: list[list[str]],
    folder: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> list[tuple[int, str, str]]:
    """Run each command (a console script's name, e.g. ``experiments-train``, and its
    arguments) as the installed script runs it, all in one child process (working in
    ``cwd``), so that Python, torch and Lightning are imported once.

    Returns:
        Each command's exit status, stdout and stderr (kept in ``folder``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", CLI_RUNNER, str(folder)], input=json.dumps(commands),
        capture_output=True, text=True, timeout=600, env=os.environ | (env or {}), cwd=cwd,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    codes = json.loads(done.stdout.splitlines()[-1])
    return [
        (code, (folder / f"{n}.out").read_text(), (folder / f"{n}.err").read_text())
        for n, code in enumerate(codes)
    ]


def run_sweeps(commands: dict[str, list[str]], root: Path) -> dict[str, tuple[int, str, str, Path]]:
    """Run named ``experiments-train -m ARGS`` commands with `run_cli_commands` (one child
    process), each into the sweep folder ``<root>/<name>/sweep``; a name ending in ``_again``
    re-runs into the folder of the name without it.

    Returns:
        By name: the exit status, stdout, stderr and the sweep folder.
    """
    sweeps = {name: root / name.removesuffix("_again") / "sweep" for name in commands}
    ran = run_cli_commands(
        [
            ["experiments-train", "-m", *arguments, f"hydra.sweep.dir={sweeps[name]}"]
            for name, arguments in commands.items()
        ],
        root / "cli",
    )
    return {name: (*output, sweeps[name]) for name, output in zip(commands, ran, strict=True)}
