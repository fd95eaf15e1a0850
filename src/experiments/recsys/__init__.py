"""Recommendation: ratings tables (`ratings`, `RatingsDataModule`), recommender networks
(`networks`) and item-item k-NN (`item_knn`), their Lightning task and ranking metrics, and
the two model kinds that train them (`kind`). Builds on `kinds`, `data`, `tasks` and
`config`; the model-kind registry names its kinds by import path, so nothing below imports
this package."""

from experiments.recsys.datamodule import RatingsDataModule, RatingsShapes
from experiments.recsys.item_knn import ItemKNN
from experiments.recsys.networks import GMF, NCFMLP, BiasBaseline, MatrixFactorization, NeuMF
from experiments.recsys.ranking_metrics import NDCG, HitRate
from experiments.recsys.task import RecommendationTask

__all__ = [
    "GMF",
    "NCFMLP",
    "NDCG",
    "BiasBaseline",
    "HitRate",
    "ItemKNN",
    "MatrixFactorization",
    "NeuMF",
    "RatingsDataModule",
    "RatingsShapes",
    "RecommendationTask",
]
