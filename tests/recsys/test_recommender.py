"""Recommenders end to end on a generated low-rank ratings table: matrix factorization
recovers it far better than the bias baseline, item-kNN and ranking runs score, and
experiments-predict recommends unrated items, similar items, and popular ones on cold start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from omegaconf import OmegaConf
from torchmetrics.retrieval import RetrievalHitRate, RetrievalNormalizedDCG

from experiments.cli.predict import main, recommendations
from experiments.config import instantiate_checked
from experiments.config.errors import ConfigError
from experiments.kinds import model_kind
from experiments.recsys import NDCG, HitRate
from experiments.recsys import kind as recommender
from experiments.runs.result import read_result

from ..conftest import CONF_DIR, compose_config, train_run
from .test_ratings import write_ratings

FAST = ["optimizer.weight_decay=0", "dataset.batch_size=256"]


def ratings_run(root: Path, name: str, *overrides: str, table: pd.DataFrame | None = None) -> Path:
    data = [
        "dataset=ratings", f"dataset.path={write_ratings(root / 'data', table)}",
        "dataset.user_column=uid", "dataset.item_column=iid", "dataset.rating_column=stars",
        "dataset.timestamp_column=ts",
    ]  # fmt: skip
    return train_run(root / name, *data, *FAST, *overrides)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("recommenders")
    rating = ["monitor=val/rmse", "monitor_mode=min", "optimizer.lr=0.05", "trainer.max_epochs=20"]
    no_files = "trainer.enable_checkpointing=false"
    return {
        "bias": ratings_run(root, "bias", "model=bias", *rating, no_files),
        "mf": ratings_run(root, "mf", "model=mf", "model.net.factors=8", "model.net.weight_decay=0.01", *rating),
        "item_knn": ratings_run(root, "knn", "model=item_knn", "model.estimator.shrinkage=1", *rating),
    }  # fmt: skip


def test_mf_recovers_low_rank_ratings_far_better_than_the_bias_baseline(runs) -> None:
    bias, mf = (read_result(runs[m])["metrics"]["test/rmse"] for m in ("bias", "mf"))
    assert bias > 0.8  # the factors carry most of the signal: biases alone miss it
    assert mf < 0.5 * bias


def test_item_knn_uses_the_neighbours(runs) -> None:
    result = read_result(runs["item_knn"])
    bias = read_result(runs["bias"])["metrics"]["test/rmse"]
    assert result["status"] == "done" and result["metrics"]["test/rmse"] < 0.8 * bias
    assert (runs["item_knn"] / "estimator.skops").is_file()


def test_recommendations_are_unrated_items_best_first(runs) -> None:
    report = recommendations(str(runs["mf"]), "100", None, top=5)
    items = [entry["item"] for entry in report["recommendations"]]
    scores = [entry["score"] for entry in report["recommendations"]]
    table = pd.read_csv(runs["mf"].parent / "data" / "r.csv")
    rated = set(table[table.uid == 100].iid)
    assert len(items) == 5 and not set(items) & rated and scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("model", ["mf", "item_knn"])
def test_similar_items_exclude_the_item(runs, model: str) -> None:
    report = recommendations(str(runs[model]), None, "1000", top=3)
    assert 1000 not in [entry["item"] for entry in report["similar"]] and report["similar"]


def test_cold_start_gets_popular_items_and_says_so(runs, capsys) -> None:
    assert main([f"ckpt={runs['mf']}", "user=424242", "top=3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "cold start" in report["note"] and len(report["recommendations"]) == 3
    counts = [entry["ratings"] for entry in report["recommendations"]]
    assert counts == sorted(counts, reverse=True)


def test_bad_user_id_is_one_message(runs, capsys) -> None:
    assert main([f"ckpt={runs['mf']}", "user=abc"]) == 2
    assert "user: 'abc' is not an id of this data (its ids are integers)" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="give user=<id>"):
        recommendations(str(runs["mf"]), "1", "2", top=3)


def test_ranking_run_beats_chance(tmp_path: Path) -> None:
    run = ratings_run(
        tmp_path, "rank", "model=mf", "model.net.factors=8", "model.net.weight_decay=0.001",
        "dataset.objective=ranking", "dataset.split=leave_last_out", "dataset.eval_negatives=50",
        "monitor=val/ndcg@10", "optimizer.lr=0.05", "trainer.max_epochs=10",
        "trainer.enable_checkpointing=false", table=clustered_interactions(),
    )  # fmt: skip
    metrics = read_result(run)["metrics"]
    # Chance: 10 of 51 candidates (0.2); each user's items come from one of 5 clusters.
    assert metrics["test/hr@10"] > 0.6 and 0 < metrics["test/ndcg@10"] <= metrics["test/hr@10"]


def clustered_interactions(users: int = 100, items: int = 200, per_user: int = 15) -> pd.DataFrame:
    """Implicit feedback: each user picks items of one of 5 clusters of 40 items."""
    rng = np.random.default_rng(0)
    rows = [
        (user, 1000 + (user % 5) * 40 + item, step)
        for user in range(users)
        for step, item in enumerate(rng.choice(40, per_user, replace=False))
    ]
    return pd.DataFrame(rows, columns=["uid", "iid", "ts"]).assign(stars=1.0)


def test_ranking_metrics_equal_torchmetrics_retrieval() -> None:
    scores = torch.randn(50, 21, generator=torch.Generator().manual_seed(0))
    target = torch.zeros_like(scores, dtype=torch.bool)
    target[:, 0] = True
    indexes = torch.arange(50).unsqueeze(1).expand_as(scores)
    for ours, theirs in (
        (HitRate(10), RetrievalHitRate(top_k=10)),
        (NDCG(10), RetrievalNormalizedDCG(top_k=10)),
    ):
        ours.update(scores)
        theirs.update(scores.flatten(), target.flatten(), indexes=indexes.flatten())
        assert float(ours.compute()) == pytest.approx(float(theirs.compute()), abs=1e-6)


@pytest.mark.slow
def test_cli_bad_ratings_exit_2_and_mark_the_run_failed(tmp_path: Path) -> None:
    table = pd.DataFrame({"user": [1, 1, 2], "movie": [5, 6, 5], "stars": [4.0, 7.0, 3.0]})
    path = write_ratings(tmp_path, table)
    done = subprocess.run(
        [
            sys.executable, "-m", "experiments.cli.train", "model=mf", "dataset=ratings",
            f"dataset.path={path}", "dataset.user_column=user", "dataset.item_column=movie",
            "dataset.rating_column=stars", "dataset.rating_scale=[0.5,5]",
            f"output_root={tmp_path / 'out'}", "monitor=val/rmse", "monitor_mode=min",
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    message = "1 ratings outside the declared scale dataset.rating_scale=[0.5, 5], rows 1 (0-based)"
    assert message in done.stdout + done.stderr  # Hydra's console log
    (result,) = (tmp_path / "out").rglob("result.json")
    assert json.loads(result.read_text())["status"] == "failed"


RECOMMENDERS = sorted(
    path.stem
    for path in (CONF_DIR / "model").glob("*.yaml")
    if OmegaConf.load(path).get("kind", "").startswith("recommender")
)


@pytest.mark.parametrize("model", RECOMMENDERS)
@pytest.mark.parametrize("objective", ["rating", "ranking"])
def test_every_recommender_trains_a_step(model: str, objective: str, tmp_path: Path) -> None:
    cfg = compose_config(
        [f"model={model}", "dataset=ratings", f"dataset.path={write_ratings(tmp_path)}",
         "dataset.user_column=uid", "dataset.item_column=iid", "dataset.rating_column=stars",
         f"dataset.objective={objective}", "dataset.eval_negatives=5"]
    )  # fmt: skip
    datamodule = instantiate_checked(cfg.dataset, "dataset")
    shapes = datamodule.load()
    kind = model_kind(cfg.model)
    if kind.name == "recommender_estimator":
        metrics = recommender.fit_estimator(
            recommender.build_estimator(cfg.model, shapes), datamodule, shapes
        ).metrics
    else:
        task = kind.build_task(cfg, datamodule, shapes)
        loss = task.training_step(next(iter(datamodule.train_dataloader())), 0)
        loss.backward()
        metrics = recommender.score(task, shapes, "test", *datamodule.tensors["test"])
    expected = {"rating": "test/rmse", "ranking": "test/hr@10"}[objective]
    assert metrics[expected] == metrics[expected]  # computed, not NaN
