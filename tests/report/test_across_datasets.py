"""Models over several datasets: mean ranks, Friedman, critical difference, and warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from experiments.cli.compare import main as compare
from experiments.config.errors import ConfigError
from experiments.report.across_datasets import compare_across_datasets
from tests.report.protocol_folders import protocol_folder

MODELS = {"cnn": 0.98, "mlp": 0.96, "svm": 0.94, "logreg": 0.92}


def on_dataset(folder: Path, name: str) -> Path:
    """The protocol folder, its runs' dataset renamed (`protocol_folder` writes digits)."""
    for config in folder.rglob(".hydra/config.yaml"):
        content = yaml.safe_load(config.read_text())
        content["dataset"]["name"] = name
        config.write_text(yaml.safe_dump(content))
    return folder


def folders(root: Path, count: int) -> list[Path]:
    return [
        on_dataset(
            protocol_folder(root / f"d{i}", MODELS, splits=3, seeds=1, trials=1, seed=i), f"d{i}"
        )
        for i in range(count)
    ]


def test_consistent_ranking_over_many_datasets_is_significant(tmp_path: Path) -> None:
    result = compare_across_datasets(folders(tmp_path, 12))
    assert result.mean_ranks.to_dict() == {"cnn": 1.0, "mlp": 2.0, "svm": 3.0, "logreg": 4.0}
    assert result.friedman_p < 1e-6
    assert result.critical_difference == pytest.approx(2.569 * (4 * 5 / (6 * 12)) ** 0.5, abs=1e-3)
    assert result.nemenyi.loc["cnn", "logreg"] < 0.05
    assert result.warnings == []


def test_two_datasets_cannot_separate_anything(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert compare([*map(str, folders(tmp_path, 2)), "--out", str(out)]) == 0
    text = (out / "across_datasets.md").read_text()
    assert (
        "Warning: too few datasets to separate anything: with 2 datasets and 4 models the Friedman test cannot go below p = 0.112"
        in text
    )
    assert "no pair of models can be told apart with 2 datasets" in text
    assert "| cnn | 1.00 |" in text
    assert (out / "critical_difference.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "d0" / "report.md").is_file() and (tmp_path / "d1" / "report.md").is_file()


def test_protocol_folders_bad_input(tmp_path: Path, capsys) -> None:
    (first,) = folders(tmp_path, 1)
    (tmp_path / "empty" / "search").mkdir(parents=True)
    (tmp_path / "empty" / "final").mkdir()
    assert compare([str(first), str(first)]) == 2
    assert "--out: needed when comparing several protocol folders" in capsys.readouterr().err
    assert compare([str(tmp_path / "empty")]) == 2
    assert "no finished re-run below" in capsys.readouterr().err
    assert not (tmp_path / "empty" / "report.md").exists()


def test_the_same_dataset_twice_is_refused(tmp_path: Path, capsys) -> None:
    first, second = folders(tmp_path, 2)
    on_dataset(second, "d0")  # another protocol on the same data
    with pytest.raises(ConfigError, match="are protocols on the same data"):
        compare_across_datasets([first, second])
    out = tmp_path / "out"
    assert compare([str(first), str(second), "--out", str(out)]) == 2
    assert (
        f"{first} and {second} are protocols on the same data (d0): a comparison across "
        "datasets counts each dataset once" in capsys.readouterr().err
    )
    assert not out.exists() and not (first / "report.md").exists()
