"""Every command in the fenced ``bash`` blocks of the README and of the docs pages
(``docs/**/*.md``) runs as shown (bug: the search-path example once failed with
`unrecognized arguments`), except those listed in `SKIPPED` with the reason. A command shown
on several pages runs once. Commands run in one Python process, in a temporary folder, with
tiny epochs and trials appended as extra overrides; each must exit 0."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli_commands

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
# The README first, then the docs pages in a fixed order.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SKIPPED = {
    "make demo": "builds .venv and runs the demo sweep (minutes); the sweep is the next entry",
    "make test": "runs the whole test suite",
    "../shared/data": "needs the shared real data sets, never read by tests",
    "launcher=parallel": "spawns worker processes (the launchers have their own tests)",
    "protocol=fair": "a whole protocol of 7 models (tests/protocol runs a small one)",
    "curve=geometric": "a learning curve of 36 jobs or more (tests/protocol runs a small one)",
    "suite=": "the protocol on a folder of tables (tests/protocol/test_suite_cli.py runs a small one)",
    "clicks.parquet": "a user's own file of clicks (tests/recsys/test_ratings.py reads such tables)",
    "dataset.content=me.jpg": "a user's own photos (tests/style/test_data.py reads image files)",
    "-m experiment=style_transfer": "a sweep of style weights (tests/style/test_style_runs.py runs one)",
    "tensorboard --logdir": "starts a server",
    "dataset.path=wine.csv": "test_readme_winner_commands runs it with a smaller budget",
    "experiments-predict": "test_readme_winner_commands runs it on the protocol it follows",
}
# Appended to every training command: one epoch, runs in the temporary folder.
EXTRA = ["trainer.max_epochs=1", "trainer.enable_checkpointing=false"]


def readme_commands() -> list[str]:
    """The commands of the pages' ``bash`` blocks, comments stripped, lines continued with a
    backslash joined, each once, in the order of `PAGES`."""
    text = "\n".join(page.read_text() for page in PAGES).replace("\\\n", " ")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = (line.split("  #")[0].strip() for block in blocks for line in block.splitlines())
    return list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


def readme_file(name: str) -> str:
    """The fenced YAML block, on any page, that starts with the comment ``# <name>``."""
    text = "\n".join(page.read_text() for page in PAGES)
    (block,) = re.findall(rf"```yaml\n(# {re.escape(name)}\n.*?)```", text, re.S)
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
    words = {"good": "great lovely superb tasty", "bad": "awful cold rude bland"}
    reviews = [f"{i},the {words[label]} food {i},{label}" for i in range(60) for label in words]
    (tmp_path / "reviews.csv").write_text("id,review,label\n" + "\n".join(reviews) + "\n")
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


def _wine_tables(folder: Path) -> None:
    """The README's ``wine.csv`` (scikit-learn's wine data, its class named in ``cultivar``)
    and ``new.csv`` (three of its rows without the class)."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    frame["cultivar"] = frame["cultivar"].map(dict(enumerate(["barolo", "grignolino", "barbera"])))
    frame.to_csv(folder / "wine.csv", index=False)
    frame.drop(columns="cultivar").sample(3, random_state=1).to_csv(folder / "new.csv", index=False)


@pytest.mark.slow
def test_readme_winner_commands(tmp_path: Path) -> None:
    """The README's "Use the winner": its protocol (a smaller budget), the winner's
    predictions into a file from the shell, and its Python snippet with `experiments.load`."""
    _wine_tables(tmp_path)
    commands = readme_commands()
    (train,) = [c for c in commands if c.endswith("hydra.sweep.dir=wine")]
    (predict,) = [c for c in commands if c.startswith("experiments-predict ckpt=wine ")]
    budget = ["protocol.trials=2", "protocol.splits=3", "trainer.max_epochs=3"]
    ran = run_cli_commands(
        [shlex.split(train) + budget, shlex.split(predict)], tmp_path / "cli", cwd=tmp_path
    )
    assert [code for code, _, _ in ran] == [0, 0], [err[-2000:] for _, _, err in ran]
    assert "Winner: wine/winner" in ran[0][1]
    predictions = (tmp_path / "predictions.csv").read_text().splitlines()
    assert len(predictions) == 4 and predictions[0].endswith(
        "predicted_cultivar,p_barbera,p_barolo,p_grignolino"
    )
    (snippet,) = re.findall(r"```python\n(import pandas.*?experiments.load.*?)```", README, re.S)
    shown = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "Name: cultivar" in shown.stdout and "barbera  barolo  grignolino" in shown.stdout
