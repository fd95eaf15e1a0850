"""`experiments-train --help` lists what Hydra would compose from, without composing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.object_type import ObjectType

from experiments.cli import train
from experiments.cli.train_help import SHIPPED_CONFIGS, config_groups, help_request, help_text


def hydra_groups() -> dict[str, list[str]]:
    """Every group Hydra finds in the shipped configs with its options, ``_*`` bases and
    Hydra's own groups aside, listed through Hydra's config loader."""
    with initialize_config_module("experiments.conf", version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        groups, pending = {}, [""]
        while pending:
            parent = pending.pop()
            for name in loader.list_groups(parent):
                group = f"{parent}/{name}" if parent else name
                if group != "hydra":
                    pending.append(group)
                    options = loader.get_group_options(group, ObjectType.CONFIG)
                    if any(not option.startswith("_") for option in options):
                        groups[group] = sorted(o for o in options if not o.startswith("_"))
    GlobalHydra.instance().clear()
    return dict(sorted(groups.items()))


def test_the_groups_are_hydras() -> None:
    assert config_groups([SHIPPED_CONFIGS]) == hydra_groups()


def test_help_marks_defaults_and_documents_root_keys() -> None:
    text = help_text([SHIPPED_CONFIGS], width=100)
    lines = text.splitlines()
    assert any(line.startswith("optimizer: *adamw, lbfgs, sgd") for line in lines)
    assert "*mlp" in text and "*digits" in text and "_base" not in text
    seed = lines.index("seed: 0")
    assert lines[seed + 1].strip().startswith("seeds torch, numpy and python")
    assert all(len(line) <= 100 or " " not in line.strip() for line in lines)


def test_a_users_config_folder_adds_its_options(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "wide_mlp.yaml").write_text("name: wide_mlp\n")
    folders = help_request(["experiments-train", "--config-dir", str(tmp_path), "--help"])
    assert folders == [tmp_path, SHIPPED_CONFIGS]
    assert help_request(["experiments-train", f"--config-dir={tmp_path}", "-h"]) == folders
    model_line = next(line for line in help_text(folders).split("\n\n") if "model:" in line)
    assert "wide_mlp" in model_line and "*mlp" in model_line


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["model=cnn"],
        ["--help", "model=cnn"],  # Hydra's help shows the config these overrides compose
        ["-m", "--help"],
        ["--hydra-help"],
        ["--config-dir", "no/such/folder", "--help"],  # Hydra's message for the folder
        ["--help", "--config-dir"],  # not the current folder: Hydra's message for the flag
    ],
)
def test_other_requests_go_to_hydra(argv: list[str]) -> None:
    assert help_request(["experiments-train", *argv]) is None


@pytest.mark.slow
def test_hydras_help_answers_with_overrides() -> None:
    # in a process of its own: Hydra's help configures logging for the whole process
    code = "from experiments.cli.train import cli; cli()"
    argv = ["--help", "model=svm_linear"]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert "name: svm_linear" in done.stdout  # the config these overrides compose


def test_plain_help_prints_ours(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.argv", ["experiments-train", "--help"])
    train.cli()
    out = capsys.readouterr().out
    assert out.startswith("usage: experiments-train") and "== Configuration groups ==" in out
