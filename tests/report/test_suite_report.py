"""The suite's report on generated protocol folders with a known answer: the duels and their
win/tie/loss counts, the Bayesian signed-rank test (against baycomp), the mean ranks, the
cost table, and what too few datasets cannot show."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import baycomp
import numpy as np
import pytest
import yaml

from experiments.cli.compare import main as compare
from experiments.report.suite import read_suite, write_suite_report
from tests.report.protocol_folders import protocol_folder

FAMILIES = {"mlp": "deep", "cnn": "deep", "svm": "baseline", "logreg": "baseline"}
BASE = [0.90, 0.91, 0.89, 0.92, 0.90]  # svm's test score on each of 5 splits
WIN, TIE, LOSS = [0.05] * 5, [0.002] * 5, [-0.05] * 5
MIXED = [0.05, -0.05, 0.03, -0.04, 0.0]  # inconclusive


def suite_folder(root: Path, differences: Sequence[Sequence[float]]) -> Path:
    """A suite whose dataset i has mlp - svm = ``differences[i]`` on its splits. On
    validation mlp is the best deep net and svm the best baseline; cnn and logreg trail."""
    for i, diffs in enumerate(differences):
        protocol_folder(
            root / f"d{i}", {"mlp": 0.9, "cnn": 0.8, "svm": 0.9, "logreg": 0.7},
            splits=5, seeds=1, trials=2, families=FAMILIES, seed=i,
            by_split={"mlp": [b + d for b, d in zip(BASE, diffs, strict=True)], "svm": BASE,
                      "cnn": [0.8] * 5, "logreg": [0.7] * 5},
        )  # fmt: skip
    return as_suite(root, [f"d{i}" for i in range(len(differences))])


def as_suite(root: Path, names: Sequence[str]) -> Path:
    """The protocol folders ``root/<name>`` as a suite's: its ``suite.yaml``, each job's
    ``dataset.name`` its folder's, and the times each job records."""
    for name in names:
        for path in (root / name).rglob("result.json"):
            result = json.loads(path.read_text())
            path.write_text(json.dumps(result | {"wall_seconds": 2.0, "cpu_seconds": 1.5}))
            config = yaml.safe_load((path.parent / ".hydra" / "config.yaml").read_text())
            config["dataset"]["name"] = name
            (path.parent / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    datasets = {name: f"/tables/{name}/data.csv" for name in names}
    record = {"suite": {"name": "toy", "job_minutes": None}, "datasets": datasets}
    (root / "suite.yaml").write_text(yaml.safe_dump(record))
    return root


def test_baselines_winning_everywhere(tmp_path: Path) -> None:
    suite = read_suite(suite_folder(tmp_path, [LOSS] * 6))
    assert [(d.deep, d.baseline, d.outcome) for d in suite.duels] == [("mlp", "svm", "loss")] * 6
    assert suite.counts() == {"win": 0, "tie": 0, "loss": 6, "inconclusive": 0}
    test = suite.families
    assert test is not None and test.verdict == "worse" and test.n == 6
    assert suite.ranks is not None
    assert suite.ranks.mean_ranks.to_dict() == {"svm": 1.0, "mlp": 2.0, "cnn": 3.0, "logreg": 4.0}
    assert suite.ranks.friedman_p < 1e-3


def test_the_signed_rank_test_is_baycomps_on_the_datasets_differences(tmp_path: Path) -> None:
    differences = [WIN, TIE, LOSS, MIXED, WIN, TIE, TIE]
    suite = read_suite(suite_folder(tmp_path, differences))
    assert [d.outcome for d in suite.duels] == ["win", "tie", "loss", "inconclusive", "win", "tie", "tie"]  # fmt: skip
    assert suite.counts() == {"win": 2, "tie": 3, "loss": 1, "inconclusive": 1}
    means = np.array([np.mean(d) for d in differences])
    expected = baycomp.SignedRankTest.probs(means, np.zeros(7), 0.01, random_state=0)
    test = suite.families
    assert test is not None
    assert (test.p_better, test.p_equivalent, test.p_worse) == pytest.approx(expected, abs=1e-9)
    assert test.verdict == "inconclusive"


def test_the_report_answers_in_one_sentence_and_counts(tmp_path: Path, capsys) -> None:
    folder = suite_folder(tmp_path, [LOSS, LOSS, TIE, WIN])
    path = write_suite_report(folder)
    text = path.read_text()
    test = read_suite(folder).families
    assert test is not None
    assert (
        "On 4 datasets of toy, the best deep net (chosen on validation on each) beats the best "
        "baseline on 1, is equivalent on 1, worse on 2 and inconclusive on 0; over the "
        "datasets the evidence cannot decide between the families: P(deep better) = "
        f"{test.p_better:.2f}, P(equivalent) = {test.p_equivalent:.2f}, P(baselines better) = "
        f"{test.p_worse:.2f} "
        "(Bayesian signed-rank test over 4 datasets, differences of test/acc, ROPE ±1.0 "
        "points; a verdict needs one of them >= 0.95 and at least 3 datasets); mean ranks "
        "(1 = best of 4): the best deep net mlp"
    ) in text
    assert "| d0 | 1,797 | mlp | 0.8540 | svm | 0.9040 | 5.0 ± 0.0 points lower (worse) |" in text
    assert "Wins / ties (equivalent) / losses / inconclusive of the deep net: 1 / 1 / 2 / 0." in text  # fmt: skip
    # every job of a model on a dataset: 5 splits x 2 trials, 5 re-runs, 5 defaults
    assert "| d0 | 40.0 (30.0) | 40.0 (30.0) | 40.0 (30.0) | 40.0 (30.0) | 160 (120) |" in text
    assert "| **all** | 160 (120) | 160 (120) | 160 (120) | 160 (120) | 640 (480) |" in text
    assert (folder / "critical_difference.png").read_bytes()[:4] == b"\x89PNG"
    assert (folder / "d0" / "report.md").is_file()
    rows = (folder / "suite.csv").read_text().splitlines()
    assert rows[0].startswith("dataset,model,family,metric,val,tuned,")
    assert len(rows) == 1 + 4 * 4
    printed = capsys.readouterr().out
    assert "| d3 |" in printed and "Report:" in printed and "Mean ranks:" in printed


def test_one_dataset_says_what_no_test_can_do(tmp_path: Path) -> None:
    suite = read_suite(suite_folder(tmp_path, [WIN]))
    assert suite.ranks is None and suite.ranks_note == "one dataset: no ranking across datasets"
    test = suite.families
    assert test is not None and test.verdict == "inconclusive" and test.reachable < 0.95
    from experiments.report.suite import answer_sentence

    assert (
        f"and with 1 dataset no side can reach it: even if every dataset favoured one side by "
        f"far more than the ROPE, P would be {test.reachable:.2f})"
    ) in answer_sentence(suite)


def test_a_dataset_not_run_yet_is_left_out_and_named(tmp_path: Path) -> None:
    folder = suite_folder(tmp_path, [LOSS, LOSS, LOSS])
    record = yaml.safe_load((folder / "suite.yaml").read_text())
    record["datasets"]["d9"] = "/tables/d9/data.csv"
    (folder / "suite.yaml").write_text(yaml.safe_dump(record))
    path = write_suite_report(folder)
    assert (
        "Datasets without results (left out):\n\n- d9: no finished re-run yet" in path.read_text()
    )


def test_compare_writes_a_suites_report(tmp_path: Path, capsys) -> None:
    folder = suite_folder(tmp_path / "suite", [LOSS, WIN, TIE])
    assert compare([str(folder)]) == 0
    assert (folder / "suite.md").is_file()
    assert compare([str(folder), "--out", str(tmp_path / "x")]) == 2
    assert "--metric/--mode/--out: a suite reports" in capsys.readouterr().err
    assert compare([str(folder), str(folder / "d0")]) == 2
    assert "d0: not a suite folder (no suite.yaml)" in capsys.readouterr().err
