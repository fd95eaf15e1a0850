"""Every command in the README's fenced ``bash`` blocks runs as shown (bug: the search-path
example once failed with `unrecognized arguments`), except those listed in `SKIPPED` with
the reason. Commands run in one Python process, in a temporary folder, with tiny epochs and
trials appended as extra overrides; each must exit 0."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from experiments.config import config_options

from .conftest import run_cli_commands

README = Path(__file__).parents[1] / "README.md"
SKIPPED = {
    "make demo": "builds .venv and runs the demo sweep (minutes); the sweep is the next entry",
    "make test": "runs the whole test suite",
    "../shared/data": "needs the shared real data sets, never read by tests",
    "launcher=parallel": "spawns worker processes (the launchers have their own tests)",
    "protocol=fair": "a whole protocol of 7 models (tests/protocol runs a small one)",
    "curve=geometric": "a learning curve of 36 jobs or more (tests/protocol runs a small one)",
    "suite=": "the protocol on a folder of tables (tests/protocol/test_suite_cli.py runs a small one)",
    "clicks.parquet": "a user's own file of clicks (tests/recsys/test_ratings.py reads such tables)",
}
# Appended to every training command: one epoch, runs in the temporary folder.
EXTRA = ["trainer.max_epochs=1", "trainer.enable_checkpointing=false"]


def readme_commands() -> list[str]:
    """The commands of the README's ``bash`` blocks, comments stripped, lines continued with
    a backslash joined."""
    text = README.read_text().replace("\\\n", " ")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = (line.split("  #")[0].strip() for block in blocks for line in block.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def readme_file(name: str) -> str:
    """The fenced YAML block that starts with the comment ``# <name>``."""
    (block,) = re.findall(rf"```yaml\n(# {re.escape(name)}\n.*?)```", README.read_text(), re.S)
    return block


def runnable(command: str, out: Path) -> str | None:
    """The command's arguments with the extra overrides, or None when it is skipped."""
    if any(marker in command for marker in SKIPPED):
        return None
    assert command.startswith("experiments-train "), f"not covered by this test: {command}"
    words = shlex.split(command)[1:]
    if "--cfg" in words:
        return shlex.join(words)
    extra = [*EXTRA, f"output_root={out}"]
    if any(w.startswith("hparams_search=") for w in words):
        trials = [w for w in words if w.startswith("hydra.sweeper.n_trials=")]
        words = [w for w in words if w not in trials]
        extra.append(f"hydra.sweeper.n_trials={3 if trials else 2}")  # a resume adds one
    return shlex.join([*words, *extra])


GROUPS = (
    "dataset", "dataset/features", "dataset/augment", "model", "optimizer", "scheduler",
    "trainer", "logger", "callbacks", "experiment", "hparams_search", "launcher", "protocol",
    "curve", "suite",
)  # fmt: skip


@pytest.mark.parametrize("group", GROUPS)
def test_the_readme_lists_every_option_of_every_group(group: str) -> None:
    text = README.read_text()
    missing = [option for option in config_options(group) if f"`{option}`" not in text]
    assert not missing, f"README does not list {group} options {missing}"


@pytest.mark.slow
def test_readme_commands_run(tmp_path: Path) -> None:
    commands = readme_commands()
    assert (
        "experiments-train -m hydra.searchpath=[file://my_conf] model=wide_mlp,svm_linear seed=0,1"
        in commands
    )
    (tmp_path / "my_conf" / "model").mkdir(parents=True)
    (tmp_path / "my_conf" / "model" / "wide_mlp.yaml").write_text(
        readme_file("my_conf/model/wide_mlp.yaml")
    )
    rows = [f"{a},{r},{c},{1000 * a + 20000 * r}" for a in range(50, 110, 3)
            for r, c in ((1, "north"), (2, "south"), (3, "east"))]  # fmt: skip
    (tmp_path / "houses.csv").write_text("area,rooms,city,price\n" + "\n".join(rows) + "\n")
    lines = [line for c in commands if (line := runnable(c, tmp_path / "outputs"))]
    assert len(lines) >= 10
    commands = [["experiments-train", *shlex.split(line)] for line in lines]
    ran = run_cli_commands(commands, tmp_path / "cli", cwd=tmp_path)
    failed = [
        f"exit {code}: {line}\n{err[-2000:]}"
        for line, (code, _, err) in zip(lines, ran, strict=True)
        if code
    ]
    assert not failed, "\n".join(failed)
