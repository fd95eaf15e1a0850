"""How a protocol sweep ends on the console: a compact leaderboard that fits 100 columns, the
answer, then where the report, the leaderboard, the results and TensorBoard are; and the
data named by what the user gave."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from experiments.report.protocol.report import write_protocol_report
from experiments.report.sweep_end import CollectResults
from experiments.report.wording import data_name
from tests.report.protocol_folders import protocol_folder

MODELS = {"mlp": 0.975, "logreg": 0.965, "svm_linear": 0.955}
FAMILIES = {"mlp": "deep", "logreg": "baseline", "svm_linear": "baseline"}


def test_the_sweep_ends_with_the_compact_board_the_answer_and_where_things_are(
    tmp_path: Path, capsys
) -> None:
    folder = protocol_folder(tmp_path, MODELS, families=FAMILIES, splits=5, seeds=1)
    config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(folder)}}, "monitor": "val/acc", "monitor_mode": "max"}
    )
    CollectResults().on_multirun_end(config)
    printed = capsys.readouterr().out
    ending = printed[printed.index("Jobs: ") :].splitlines()
    table = [line for line in ending if line.startswith("|")]
    assert table[0].split("|")[1:-1] == [
        " model      ", " val/acc ", " tuned test/acc [95% CI] ", " vs mlp                         ",
        " verdict      ",
    ]  # fmt: skip
    assert [line.split("|")[1].strip() for line in table[2:]] == ["mlp", "logreg", "svm_linear"]
    files = ending.index(f"Report: {folder / 'report.md'}")
    assert all(len(line) <= 100 for line in ending[:files])  # the paths after it are the user's
    between = ending[ending.index(table[-1]) + 1 : files]
    answer = " ".join(" ".join(between).split())
    assert answer == (folder / "report.md").read_text().splitlines()[2]  # the report's, wrapped
    assert answer.startswith(
        "On digits, the evidence cannot decide between the best deep net (mlp)"
    )
    assert ending[-4:] == [
        f"Report: {folder / 'report.md'}",
        f"Leaderboard: {folder / 'leaderboard.md'}",
        f"Results: {folder / 'results.csv'}",
        f"TensorBoard: tensorboard --logdir {folder}",
    ]


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ({"name": "csv", "source": "csv", "path": "/data/wine.csv"}, "wine.csv"),
        ({"name": "imagefolder", "source": "imagefolder", "path": "photos/pets"}, "pets/"),
        ({"name": "csv", "source": "csv", "path": "tables/"}, "tables/"),
        ({"name": "digits", "source": "builtin:digits", "path": None}, "digits"),
    ],
)
def test_data_is_named_by_what_the_user_gave(dataset: dict, expected: str) -> None:
    assert data_name(dataset) == expected


def test_the_report_names_the_users_file(tmp_path: Path) -> None:
    folder = protocol_folder(tmp_path, MODELS, families=FAMILIES, splits=3, seeds=1)
    for config in folder.rglob(".hydra/config.yaml"):
        saved = yaml.safe_load(config.read_text())
        saved["dataset"] |= {"name": "csv", "source": "csv", "path": "/home/me/wine.csv"}
        config.write_text(yaml.safe_dump(saved))
    written = write_protocol_report(folder)
    assert written.answer.startswith("On wine.csv, ")
    assert written.path.read_text().startswith(
        "# Does a deep net beat the classic baselines on wine.csv, and by how much?"
    )
