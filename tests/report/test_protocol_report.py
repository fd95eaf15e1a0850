"""The protocol's leaderboard, verdicts, plots and report.md, on generated protocol folders."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from experiments.config.compose import compose_config, config_options
from experiments.kinds import model_kind
from experiments.report.protocol.board import protocol_board
from experiments.report.protocol.budget import budget_curve, common_budget
from experiments.report.protocol.report import (
    BASELINE,
    DEEP,
    answer_sentence,
    difference_words,
    tuning_lines,
)
from experiments.report.protocol.runs import read_protocol
from experiments.report.sweep_end import CollectResults
from experiments.stats.verdict import Comparison, compare_resampled
from tests.report.protocol_folders import protocol_folder

PNG = b"\x89PNG\r\n\x1a\n"


def test_verdicts_against_the_best_model(tmp_path: Path) -> None:
    # cnn and its twin are the same model; tiny_mlp is clearly worse (5 points).
    folder = protocol_folder(
        tmp_path, {"cnn": 0.985, "cnn_twin": 0.985, "tiny_mlp": 0.935}, noise=0.002
    )
    rows, rope = protocol_board(read_protocol(folder))
    assert rope == 0.01  # one point of accuracy
    by_model = {row.model: row for row in rows}
    assert rows[0].model in {"cnn", "cnn_twin"} and rows[0].vs_best is None
    twin = by_model["cnn_twin" if rows[0].model == "cnn" else "cnn"].vs_best
    assert twin.verdict == "equivalent" and twin.p_equivalent >= 0.95
    worse = by_model["tiny_mlp"].vs_best
    assert worse.verdict == "worse" and worse.p_worse >= 0.95
    assert worse.low < -0.05 < worse.high < 0 and worse.n == 5  # splits, not splits x seeds
    assert by_model["tiny_mlp"].tuned == pytest.approx(0.935, abs=0.01)
    assert by_model["tiny_mlp"].default == pytest.approx(0.935 - 0.02, abs=0.01)  # trial 0
    for row in rows:
        assert 0 <= row.tuned_low <= row.tuned <= row.tuned_high <= 1


def test_too_few_evaluations_are_inconclusive(tmp_path: Path) -> None:
    folder = protocol_folder(tmp_path, {"cnn": 0.985, "tiny_mlp": 0.96}, splits=2, seeds=1)
    rows, _ = protocol_board(read_protocol(folder))
    assert rows[1].vs_best.n == 2 and rows[1].vs_best.verdict == "inconclusive"


def test_seeds_on_the_same_split_are_not_new_evidence(tmp_path: Path) -> None:
    """Two convex models (every seed of a split scores the same) on 5 splits: pooling split
    x seed pairs made 2 seeds inconclusive (P(equivalent) 0.94, n = 10) and 8 seeds
    equivalent (0.98, n = 40) from the same five differences. Averaged within each split,
    both rest on n = 5 and say the same."""
    logreg = [0.950, 0.960, 0.940, 0.955, 0.945]
    svm = [a + d for a, d in zip(logreg, [0.008, -0.005, 0.010, 0.002, -0.004], strict=True)]
    comparisons = []
    for seeds in (2, 8):
        folder = protocol_folder(
            tmp_path / f"seeds_{seeds}", {"svm_linear": 0.95, "logreg": 0.95}, seeds=seeds,
            by_split={"svm_linear": svm, "logreg": logreg}, rope=0.01,
            val_means={"svm_linear": 0.96, "logreg": 0.95},
        )  # fmt: skip
        rows, _ = protocol_board(read_protocol(folder))
        assert [row.model for row in rows] == ["svm_linear", "logreg"]
        assert rows[1].splits == 5 and rows[1].seeds == (seeds,) * 5
        comparisons.append(rows[1].vs_best)
    assert comparisons[0] == comparisons[1]
    assert comparisons[0].n == 5 and comparisons[0].method == "corrected t-test over 5 splits"
    differences = np.array(logreg) - np.array(svm)  # logreg against svm_linear, per split
    assert comparisons[0] == compare_resampled(differences, 360 / 1077, rope=0.01)
    assert comparisons[0].p_equivalent == pytest.approx(0.869, abs=1e-3)
    assert comparisons[0].verdict == "inconclusive"


def test_the_best_model_is_chosen_on_validation_not_on_test(tmp_path: Path) -> None:
    # lucky_mlp has the best test mean, but cnn is best on validation: cnn is the reference
    # of every comparison and the deep net of the answer; sk_svc the best baseline on
    # validation although logreg scores higher on test.
    folder = protocol_folder(
        tmp_path, {"cnn": 0.97, "lucky_mlp": 0.99, "sk_svc": 0.95, "logreg": 0.96},
        val_means={"cnn": 0.99, "lucky_mlp": 0.97, "sk_svc": 0.975, "logreg": 0.95},
        families={"cnn": "deep", "lucky_mlp": "deep", "sk_svc": "baseline", "logreg": "baseline"},
        noise=0.001,
    )  # fmt: skip
    protocol = read_protocol(folder)
    rows, rope = protocol_board(protocol)
    assert [row.model for row in rows] == ["cnn", "sk_svc", "lucky_mlp", "logreg"]
    assert rows[0].vs_best is None and rows[2].vs_best.verdict == "better"
    answer = answer_sentence(protocol, rows, rope)
    assert answer.startswith(
        "On digits, the best deep net (cnn) beats the best baseline (sk_svc): cnn's test/acc is "
    )
    assert "points higher (better) than sk_svc's" in answer
    # Holm over the three comparisons with cnn, as statsmodels adjusts them.
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p_values = [row.vs_best.p_value for row in rows[1:]]
    expected = multitest.multipletests(p_values, method="holm")[1]
    assert [row.p_holm for row in rows[1:]] == pytest.approx(list(expected))
    assert math.isnan(rows[0].p_holm)


def test_default_and_tuned_scores_come_from_the_same_splits(tmp_path: Path) -> None:
    folder = protocol_folder(tmp_path, {"cnn": 0.98, "mlp": 0.96}, noise=0.0, split_spread=0.0)
    protocol = read_protocol(folder)
    rows, _ = protocol_board(protocol)
    for row in rows:
        runs = protocol.models[row.model]
        assert sorted(runs.default_split_scores("test/acc")) == list(range(5))
        assert row.default == pytest.approx(row.tuned - 0.02)  # the defaults' own test jobs


def test_one_split_without_test_rows_is_never_confident(tmp_path: Path) -> None:
    # Same split, 5 seeds; the gap (2 points) is consistent over seeds, but nothing says how
    # it would move on other test rows.
    folder = protocol_folder(tmp_path, {"cnn": 0.985, "mlp": 0.965}, splits=1, seeds=5, noise=0.001)
    rows, _ = protocol_board(read_protocol(folder))
    assert rows[1].vs_best.verdict == "inconclusive"
    assert "uncertainty is unknown" in rows[1].vs_best.method
    assert math.isnan(rows[0].tuned_low)


def test_one_split_with_test_predictions_uses_the_rows(tmp_path: Path) -> None:
    folder = protocol_folder(tmp_path, {"cnn": 0.985, "mlp": 0.80}, splits=1, seeds=2)
    rng = np.random.default_rng(0)
    target = rng.integers(0, 10, 360)
    for model, errors in (("cnn", 5), ("mlp", 72)):
        for seed in range(2):
            predicted = target.copy()
            wrong = rng.choice(360, errors, replace=False)
            predicted[wrong] = (predicted[wrong] + 1) % 10
            run = folder / "final" / model / f"split_0,seed_{seed}"
            np.savez(run / "test_predictions.npz", predicted=predicted, target=target)
    rows, _ = protocol_board(read_protocol(folder))
    assert rows[1].vs_best.method.startswith("bootstrap over 360 test rows")
    assert rows[1].vs_best.verdict == "worse"
    assert rows[1].vs_best.mean == pytest.approx(-(72 - 5) / 360)
    assert 0.95 < rows[0].tuned_low < rows[0].tuned_high <= 1


def test_budget_curve_selects_on_validation_and_starts_at_the_defaults() -> None:
    val = np.array([0.90, 0.95, 0.80, 0.99])
    test = np.array([0.91, 0.93, 0.99, 0.97])  # trial 2 is best on test, never selected
    curve = budget_curve(val, test, "max")
    assert curve[0] == 0.91 and curve[-1] == pytest.approx(0.97)
    assert np.all(curve <= 0.97 + 1e-12)
    # k = 2: trial 0 then one of trials 1-3 at random: selected test 0.93, 0.91 or 0.97.
    assert 0.91 < curve[1] < 0.97
    assert budget_curve(-val, test, "min")[-1] == pytest.approx(0.97)
    assert common_budget({"a": curve, "b": curve[:2]}) == 2


def test_sweep_end_writes_the_report(tmp_path: Path, capsys) -> None:
    folder = protocol_folder(
        tmp_path,
        {"cnn": 0.99, "sk_svc": 0.96, "mlp": 0.975, "logreg": 0.95},
        families={"cnn": "deep", "mlp": "deep", "sk_svc": "baseline", "logreg": "baseline"},
        noise=0.002, splits=5, seeds=2,
    )  # fmt: skip
    # What the protocol sweep's end runs: the results table, then the report.
    config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(folder)}}, "monitor": "val/acc", "monitor_mode": "max"}
    )
    CollectResults().on_multirun_end(config)
    assert (folder / "results.csv").is_file()
    text = (folder / "report.md").read_text()
    assert text.startswith("# Does a deep net beat the classic baselines on digits")
    answer = text.splitlines()[2]
    assert answer == (
        "On digits, the best deep net (cnn) beats the best baseline (sk_svc): cnn's test/acc "
        "is 3.0 ± 0.5 points higher (better) than sk_svc's, P(better) > 0.99 (val/acc chose "
        "both; corrected t-test over 5 splits)."
    )
    assert "rest on the paired splits: every model 5 splits x 2 seeds" in text
    assert "nested in each of the 5 splits" in text and "test rows were withheld" in text
    assert "ROPE: ±0.01" in text and "test/train rows 0.334" in text
    assert "(the rows the re-runs trained on and were scored on)" in text
    assert "| logreg |" in text and "points lower (worse) | 0.000 |" in text
    assert "- mlp: splits 0, 1, 2, 3, 4: trial 5: `optimizer.lr=1e-05`" in text
    for name in ("budget_curve", "tuned_by_split", "frontier"):
        assert (folder / "plots" / f"{name}.png").read_bytes()[:8] == PNG
        assert f"![{name}](plots/{name}.png)" in text
    assert list((folder / "tb" / "report").glob("events.out.tfevents.*"))
    board = pd.read_csv(folder / "protocol.csv")
    assert board["model"].tolist()[0] == "cnn" and board["verdict"].tolist()[0] == "best"
    printed = capsys.readouterr().out
    assert answer in " ".join(printed.split()) and f"Report: {folder / 'report.md'}" in printed
    assert "Leaderboard (" not in printed  # the table of every trial is written, not printed


def test_every_shipped_model_says_its_family() -> None:
    folder = Path(__file__).parents[2] / "src" / "experiments" / "conf" / "model"
    configs = {
        name: yaml.safe_load((folder / f"{name}.yaml").read_text())
        for name in config_options("model")
    }
    # every model the protocol compares: all but style transfer, which paints an image
    families = {name: c.get("family") for name, c in configs.items() if c.get("kind") != "style"}
    assert set(families.values()) == {BASELINE, DEEP}, families
    assert families["cnn"] == DEEP and families["svm_rbf"] == BASELINE
    for name in ("cnn", "sk_svc"):  # the kind check takes the key, networks and estimators
        model_kind(compose_config([f"model={name}"]).model)


def test_tuning_once_states_its_bias(tmp_path: Path) -> None:
    folder = protocol_folder(tmp_path, {"cnn": 0.98, "mlp": 0.96})
    protocol = read_protocol(folder)
    assert protocol.tuning == "nested"
    protocol.settings["tuning"] = "once"
    once = " ".join(tuning_lines(protocol, "cnn 30, mlp 30"))
    assert "once (protocol.tuning=once)" in once
    assert "up to 80% of each other split's test rows were training or validation rows" in once


@pytest.mark.parametrize(
    ("metric", "mean", "higher_is_better", "words"),
    [
        ("test/acc", 0.009, True, "0.9 ± 0.4 points higher (better)"),
        ("test/acc", -0.009, True, "0.9 ± 0.4 points lower (worse)"),
        # mlp's RMSE is 792 higher than linear_regression's: worse (A - B = +792, signed -792)
        ("test/rmse", -792.2, False, "792.2 ± 0.004 higher (worse)"),
        ("test/rmse", 50.0, False, "50 ± 0.004 lower (better)"),
        ("test/acc", 0.0, True, "the same (± 0.4 points)"),
    ],
)
def test_every_difference_says_which_side_is_better(metric, mean, higher_is_better, words) -> None:
    c = Comparison(5, mean, mean - 0.004, mean + 0.004, 0.01, 0.9, 0.1, 0.0, 0.01, "t", "better")
    assert difference_words(metric, c, higher_is_better) == words


def test_load_results_tells_the_phases_apart(tmp_path: Path) -> None:
    import experiments

    folder = protocol_folder(tmp_path, {"cnn": 0.98, "mlp": 0.96}, splits=2, seeds=2, trials=3)
    frame = experiments.load_results(folder)
    assert frame.groupby("phase").size().to_dict() == {"default": 4, "final": 8, "search": 12}
    final = frame[(frame["phase"] == "final") & (frame["job"] == "final/mlp/split_1,seed_0")]
    assert final[["split_seed", "trial"]].values.tolist() == [[1, 2]]
    search = frame[frame["phase"] == "search"]
    assert sorted(set(zip(search["split_seed"], search["trial"], strict=True))) == [
        (r, k) for r in range(2) for k in range(3)
    ]
