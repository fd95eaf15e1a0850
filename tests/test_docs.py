"""The docs site's catalogue (``docs/hooks/catalogue.py``, generated from the configs at every
build) lists every option of every config group, so a new YAML file shows up without an
edit to the docs."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from experiments.config import CONF_DIR

HOOK = Path(__file__).parents[1] / "docs" / "hooks" / "catalogue.py"


@pytest.fixture(scope="module")
def catalogue() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalogue", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shipped_options() -> list[tuple[str, str]]:
    """Every (group, option) under the config folder: its YAML files but the shared base
    files (``_base.yaml``), the root config and Hydra's own groups."""
    return sorted(
        (path.parent.relative_to(CONF_DIR).as_posix(), path.stem)
        for path in CONF_DIR.rglob("*.yaml")
        if path.parent != CONF_DIR
        and not path.name.startswith("_")
        and path.relative_to(CONF_DIR).parts[0] != "hydra"
    )


def test_the_catalogue_lists_every_shipped_option(catalogue: ModuleType) -> None:
    text = "\n".join(catalogue.pages().values())
    options = shipped_options()
    assert len(options) > 100
    missing = [
        f"{group}={option}" for group, option in options if f"`{group}={option}`" not in text
    ]
    assert not missing, f"the catalogue does not list {missing}"


def test_an_option_row_says_what_the_option_is(catalogue: ModuleType) -> None:
    models = catalogue.pages()["catalogue/models.md"]
    (row,) = [line for line in models.splitlines() if line.startswith("| `model=svm_linear` |")]
    assert "| baseline | network | `experiments.models.Linear` | `model.C` |" in row
    assert "Crammer-Singer multiclass hinge loss" in row
    options = catalogue.pages()["catalogue/options.md"]
    (row,) = [line for line in options.splitlines() if "`callbacks=epoch_log`" in line]
    assert "`experiments.tasks.callbacks.EpochLog`" in row  # a file without a header comment
