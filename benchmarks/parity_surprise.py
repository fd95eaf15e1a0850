"""The recommenders against scikit-surprise on MovieLens, same split, same run.

The split is scikit-surprise's reference for ml-latest-small: rows in the order of
``numpy.random.default_rng(0).permutation(n)``, the first 20% test (20,167 rows), the rest
train (the framework's ``dataset.split=random`` with ``dataset.val_size=0``). Every model
fits on the same 80,669 training rows and predicts the same test rows, clipped to 0.5-5:

- surprise ``BaselineOnly`` (ALS) vs the framework's ``bias`` (gradient, same L2),
- surprise ``SVD`` (biased MF, 100 factors, 20 SGD epochs, its defaults) vs ``mf``,
- surprise ``KNNBaseline`` (item-based, pearson_baseline) vs ``item_knn``.

The framework's networks train with the settings of ``experiment=movielens`` (the same YAMLs
as the CLI; 10 epochs, no validation split, the model of the last epoch).
scikit-surprise is an optional benchmark dependency (``pip install scikit-surprise``);
without it the table shows the README's published numbers for this split instead.

    .venv/bin/python benchmarks/parity_surprise.py --data ../shared/data/movielens_small
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch

from experiments.config import compose_config, instantiate_checked
from experiments.recsys import kind as recommender

# Published in the data's README (scikit-surprise 1.1.5 on this split): test RMSE.
PUBLISHED = {"BaselineOnly": 0.872, "SVD": 0.875, "KNNBaseline": 0.854}
PAIRS = (("bias", "BaselineOnly"), ("mf", "SVD"), ("item_knn", "KNNBaseline"))


def ours(name: str, data: Path, seed: int) -> tuple[float, float, float]:
    """Test RMSE, MAE and fit seconds of the framework's model ``name``."""
    cfg = compose_config(
        [
            "experiment=movielens",
            f"model={name}",
            f"dataset.path={data}",
            "dataset.val_size=0",
            f"seed={seed}",
        ]
    )
    torch.set_num_threads(cfg.threads)
    pl.seed_everything(seed, verbose=False)
    datamodule = instantiate_checked(cfg.dataset, "dataset", shuffle_seed=seed)
    shapes = datamodule.load()
    if "estimator" in cfg.model:
        estimator = recommender.build_estimator(cfg.model, shapes)
        outcome = recommender.fit_estimator(estimator, datamodule, shapes)
        metrics, fit_seconds = outcome.metrics, outcome.fit_seconds
    else:
        task = recommender.build_task(cfg.model, cfg.optimizer, cfg.scheduler, shapes)
        trainer = pl.Trainer(
            max_epochs=cfg.trainer.max_epochs, logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
        )  # fmt: skip
        start = time.perf_counter()
        trainer.fit(task, datamodule=datamodule)
        fit_seconds = time.perf_counter() - start
        metrics = recommender.score(task, shapes, "test", *datamodule.tensors["test"])
    return metrics["test/rmse"], metrics["test/mae"], fit_seconds


def theirs(name: str, data: Path) -> tuple[float, float, float]:
    """Test RMSE, MAE and fit seconds of surprise's algorithm ``name`` on the same split."""
    import pandas as pd
    from surprise import SVD, BaselineOnly, Dataset, KNNBaseline, Reader, accuracy

    ratings = pd.read_csv(data / "ratings.csv")
    order = np.random.default_rng(0).permutation(len(ratings))
    n_test = int(0.2 * len(ratings))
    test, train = ratings.iloc[order[:n_test]], ratings.iloc[order[n_test:]]
    reader = Reader(rating_scale=(0.5, 5.0))
    trainset = Dataset.load_from_df(
        train[["userId", "movieId", "rating"]], reader
    ).build_full_trainset()
    algorithm = {
        "BaselineOnly": lambda: BaselineOnly(verbose=False),
        "SVD": lambda: SVD(random_state=0),
        "KNNBaseline": lambda: KNNBaseline(
            sim_options={"name": "pearson_baseline", "user_based": False}, verbose=False
        ),
    }[name]()
    start = time.perf_counter()
    algorithm.fit(trainset)
    fit_seconds = time.perf_counter() - start
    predictions = algorithm.test(
        list(test[["userId", "movieId", "rating"]].itertuples(index=False))
    )
    return (
        accuracy.rmse(predictions, verbose=False),
        accuracy.mae(predictions, verbose=False),
        fit_seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the movielens_small folder")
    parser.add_argument("--seed", type=int, default=0, help="training seed of the networks")
    args = parser.parse_args()
    try:
        import surprise  # noqa: F401

        have_surprise = True
    except ImportError:
        have_surprise = False
        print("scikit-surprise is not installed: its column shows the README's published RMSE")
    print(
        f"{'ours':<9} {'RMSE':>7} {'MAE':>7} {'fit s':>7} | {'surprise':<13} {'RMSE':>7} {'MAE':>7} {'fit s':>7} | {'RMSE diff':>9}"
    )
    for mine, reference in PAIRS:
        rmse, mae, seconds = ours(mine, args.data, args.seed)
        if have_surprise:
            their_rmse, their_mae, their_seconds = theirs(reference, args.data)
            right = f"{their_rmse:7.4f} {their_mae:7.4f} {their_seconds:7.1f}"
        else:
            their_rmse = PUBLISHED[reference]
            right = f"{their_rmse:7.3f} {'-':>7} {'-':>7}"
        print(
            f"{mine:<9} {rmse:7.4f} {mae:7.4f} {seconds:7.1f} | {reference:<13} {right} | "
            f"{rmse - their_rmse:+9.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
