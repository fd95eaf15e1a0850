"""Recommenders on a ratings dataset: networks of user/item embeddings trained by Lightning
(``kind: recommender``, `RecommenderKind`: the network kind with a `RecommendationTask`),
and item-item k-NN fitted in closed form (``kind: recommender_estimator``,
`RecommenderEstimatorKind`: fitted and saved like a scikit-learn estimator, scored with the
same metrics). Also what ``experiments-predict user=/item=`` asks of them.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import scipy.sparse as sp
import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.utilities import rank_zero_only
from torch import nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from experiments.config import instantiate_checked
from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust
from experiments.kinds.base import FitOutcome, Outputs, RunInputs
from experiments.kinds.estimator_file import ESTIMATOR_FILE, load_fitted, save_fitted
from experiments.kinds.network import NetworkKind
from experiments.kinds.network_build import build_optimizer, build_scheduler
from experiments.recsys.datamodule import RatingsDataModule, RatingsShapes
from experiments.recsys.item_knn import ItemKNN
from experiments.recsys.ranking_metrics import ranking_metrics
from experiments.recsys.ratings import IdIndex
from experiments.recsys.task import RecommendationTask
from experiments.tasks.loggers import image_writers

# What a fitted ItemKNN's skops file holds besides the types skops trusts by default.
ITEM_KNN_TYPES = tuple(f"{t.__module__}.{t.__qualname__}" for t in (ItemKNN, sp.csr_matrix))


def require_ratings(model: DictConfig, datamodule: Any) -> None:
    """The check of both recommender kinds: they need a ratings dataset.

    Raises:
        ConfigError: ``datamodule`` is not a `RatingsDataModule`.
    """
    if not isinstance(datamodule, RatingsDataModule):
        raise ConfigError(
            f"model '{model.name}' is a recommender: it needs a ratings dataset "
            "(dataset=movielens, or dataset=ratings with dataset.path=...)"
        )


class RecommenderKind(NetworkKind):
    """Recommender networks (``model.net``: a `_partial_` nn.Module of user/item pairs, sized
    from the data; ``model.negatives`` for ranking) in a `RecommendationTask`, trained,
    checkpointed, resumed and tested exactly as the network kind trains its networks."""

    name = "recommender"
    recommends = True
    keys = frozenset({"name", "net", "negatives", "search_space"})

    def check_data(self, model: DictConfig, datamodule: Any) -> None:
        require_ratings(model, datamodule)

    def recommend(
        self, model: RecommendationTask, datamodule: RatingsDataModule, user: str, top: int
    ) -> dict[str, Any]:
        return recommend(model, datamodule, user, top)

    def similar_items(
        self, model: RecommendationTask, datamodule: RatingsDataModule, item: str, top: int
    ) -> dict[str, Any]:
        return similar_items(model, datamodule, item, top)

    def build_task(
        self, cfg: DictConfig, datamodule: RatingsDataModule, shapes: RatingsShapes
    ) -> RecommendationTask:
        return build_task(cfg.model, cfg.optimizer, cfg.scheduler, shapes)

    def logged_metrics(self, cfg: DictConfig, shapes: RatingsShapes) -> list[str] | None:
        return None  # rmse/mae or hr@10/ndcg@10 by the data's objective: not checked ahead

    def group_steps(
        self,
        cfg: DictConfig,
        datamodule: RatingsDataModule,
        task: RecommendationTask,
        callbacks: list[pl.Callback],
    ) -> None:
        """One optimizer step per ``training_step``: ratings batches are not grouped."""

    def fit(self, run: RunInputs) -> FitOutcome:
        """The network kind's fit; then the saved model's item embeddings into TensorBoard's
        projector."""
        outcome = super().fit(run)
        # The tested model is the saved one (none with trainer.enable_checkpointing=false).
        saved = run.run_dir / self.model_file
        if saved.is_file() and rank_zero_only.rank == 0:
            task = self.load(run.cfg, run.datamodule, run.shapes, saved, Trust())
            for writer in image_writers(run.loggers):
                log_item_embeddings(writer, task, run.datamodule)
        return outcome

    def predict(
        self,
        model: RecommendationTask,
        cfg: DictConfig,
        shapes: RatingsShapes,
        inputs: torch.Tensor,
    ) -> Outputs:
        """Predicted ratings or ranking scores of ``(n, 2)`` user/item index pairs."""
        return Outputs("values", scores(model, inputs))

    def _test_predictions(
        self, task: RecommendationTask, datamodule: RatingsDataModule, shapes: RatingsShapes
    ) -> dict[str, np.ndarray]:
        return test_predictions(task, datamodule, shapes)


class RecommenderEstimatorKind:
    """Recommenders fitted in closed form (``model.estimator``: `ItemKNN`), saved with skops
    as scikit-learn estimators are (`ItemKNN` trusted by its exact name), scored with the metrics of `RecommendationTask`."""

    name = "recommender_estimator"
    recommends = True
    model_file = ESTIMATOR_FILE
    missing_model_hint = "it did not finish fitting, or ran with keep_model=false"
    keys = frozenset({"name", "estimator", "search_space"})

    def check_data(self, model: DictConfig, datamodule: Any) -> None:
        require_ratings(model, datamodule)

    def recommend(
        self, model: ItemKNN, datamodule: RatingsDataModule, user: str, top: int
    ) -> dict[str, Any]:
        return recommend(model, datamodule, user, top)

    def similar_items(
        self, model: ItemKNN, datamodule: RatingsDataModule, item: str, top: int
    ) -> dict[str, Any]:
        return similar_items(model, datamodule, item, top)

    def describe(self, cfg: DictConfig) -> dict[str, Any]:
        return {"model": OmegaConf.to_container(cfg.model, resolve=True)}

    def logged_metrics(self, cfg: DictConfig, shapes: RatingsShapes) -> list[str] | None:
        return None  # rmse/mae or hr@10/ndcg@10 by the data's objective: not checked ahead

    def fit(self, run: RunInputs) -> FitOutcome:
        """Fit on the train split, score val (when there is one) and test, log the metrics as
        scalars and save the estimator."""
        shapes, datamodule = run.shapes, run.datamodule
        estimator = build_estimator(run.cfg.model, shapes)
        outcome = fit_estimator(estimator, datamodule, shapes)
        save_fitted(run, estimator, outcome.metrics)
        return outcome

    def load(
        self,
        cfg: DictConfig,
        datamodule: RatingsDataModule,
        shapes: RatingsShapes,
        path: Path,
        trust: Trust,
    ) -> ItemKNN:
        estimator = load_fitted(
            path, f"model '{cfg.model.name}' is fitted in closed form", trust, ITEM_KNN_TYPES
        )
        similarity = getattr(estimator, "similarity_", None)
        if similarity is None or similarity.shape[0] != shapes.num_items:
            raise ConfigError(
                f"ckpt: '{path}' does not fit model '{cfg.model.name}' of this run: expected a "
                f"fitted ItemKNN of {shapes.num_items} items"
            )
        return estimator

    def score(
        self, model: ItemKNN, cfg: DictConfig, datamodule: RatingsDataModule, shapes: RatingsShapes
    ) -> dict[str, float]:
        return score(model, shapes, "test", *datamodule.tensors["test"])

    def predict(
        self, model: ItemKNN, cfg: DictConfig, shapes: RatingsShapes, inputs: torch.Tensor
    ) -> Outputs:
        """Predicted ratings or ranking scores of ``(n, 2)`` user/item index pairs."""
        return Outputs("values", scores(model, inputs))


def build_net(model: DictConfig, shapes: RatingsShapes) -> nn.Module:
    """Call the model's network partial with the data-derived arguments its signature names
    (``num_users``, ``num_items``, ``global_mean``, ``num_train``).

    Raises:
        ConfigError: the network refuses its settings.
    """
    factory = instantiate_checked(model.net, "model.net")
    offered = {
        "num_users": shapes.num_users,
        "num_items": shapes.num_items,
        "global_mean": shapes.global_mean,
        "num_train": shapes.num_train,
    }
    parameters = inspect.signature(factory).parameters
    try:
        return factory(**{name: value for name, value in offered.items() if name in parameters})
    except (ValueError, TypeError) as error:
        raise ConfigError(f"model '{model.name}' (model.net): {error}") from error


def build_task(
    model: DictConfig,
    optimizer: DictConfig,
    scheduler: DictConfig | None,
    shapes: RatingsShapes,
) -> RecommendationTask:
    """The `RecommendationTask` of the model's network for the data's objective.

    Raises:
        ConfigError: the network, the optimizer or ``model.negatives`` refuse their settings.
    """
    net = build_net(model, shapes)
    try:
        return RecommendationTask(
            net=net,
            optimizer=build_optimizer(optimizer, net),
            scheduler=build_scheduler(scheduler),
            objective=shapes.objective,
            num_items=shapes.num_items,
            negatives=model.get("negatives", 4),
            rating_scale=shapes.rating_scale,
        )
    except ValueError as error:
        raise ConfigError(f"model '{model.name}': {error}") from error


def build_estimator(model: DictConfig, shapes: RatingsShapes) -> ItemKNN:
    """The model's item-kNN, set to the data's objective and rating scale."""
    estimator = instantiate_checked(model.estimator, "model.estimator")
    return estimator.set_params(objective=shapes.objective, rating_scale=shapes.rating_scale)


def fit_estimator(
    estimator: ItemKNN, datamodule: RatingsDataModule, shapes: RatingsShapes
) -> FitOutcome:
    """Fit on the train split; score the validation (when there is one) and test splits.

    Raises:
        ConfigError: the estimator refuses its settings.
    """
    pairs, ratings = (t.numpy() for t in datamodule.tensors["train"])
    start = time.perf_counter()
    try:
        estimator.fit(pairs, ratings, shapes.num_users, shapes.num_items)
    except ValueError as error:
        raise ConfigError(f"model.estimator: {error}") from error
    fit_seconds = time.perf_counter() - start
    metrics = {}
    if len(datamodule.tensors["val"][0]):
        metrics |= score(estimator, shapes, "val", *datamodule.tensors["val"])
    start = time.perf_counter()
    metrics |= score(estimator, shapes, "test", *datamodule.tensors["test"])
    return FitOutcome(
        metrics=dict(sorted(metrics.items())),
        fit_seconds=round(fit_seconds, 4),
        test_seconds=round(time.perf_counter() - start, 4),
        n_params=estimator.n_params,
        device=f"cpu ({type(estimator).__module__}.{type(estimator).__name__})",
        test_predictions=test_predictions(estimator, datamodule, shapes),
    )


def _candidate_scores(model: RecommendationTask | ItemKNN, rows: torch.Tensor) -> torch.Tensor:
    """Scores of ``[user, item, item, ...]`` rows, shape (rows, items per row)."""
    users, items = rows[:, :1], rows[:, 1:]
    pairs = torch.stack([users.expand_as(items), items], dim=2).reshape(-1, 2)
    return scores(model, pairs).reshape(items.shape)


def test_predictions(
    model: RecommendationTask | ItemKNN, datamodule: RatingsDataModule, shapes: RatingsShapes
) -> dict[str, np.ndarray]:
    """Per test row: the predicted and true rating (``rating``), or the held-out item's
    0-based rank among its candidates and 0, its ideal rank (``ranking``)."""
    inputs, targets = datamodule.tensors["test"]
    if shapes.objective == "rating":
        return {"predicted": scores(model, inputs).numpy(), "target": targets.numpy()}
    candidate_scores = _candidate_scores(model, inputs)
    rank = (candidate_scores[:, 1:] >= candidate_scores[:, :1]).sum(1)
    return {"predicted": rank.numpy(), "target": np.zeros(len(rank), dtype=np.int64)}


def scores(model: RecommendationTask | ItemKNN, pairs: torch.Tensor) -> torch.Tensor:
    """Predicted ratings (clipped to the scale) or ranking scores of ``(n, 2)`` index pairs."""
    if isinstance(model, ItemKNN):
        return torch.as_tensor(model.predict(pairs.numpy())).float()
    model.eval()
    with torch.no_grad():
        return model(pairs)


def score(
    model: RecommendationTask | ItemKNN,
    shapes: RatingsShapes,
    split: str,
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> dict[str, float]:
    """``{split}/<metric>`` with the metrics `RecommendationTask` logs (``loss`` aside)."""
    if shapes.objective == "rating":
        metrics = MetricCollection(
            {"rmse": MeanSquaredError(squared=False), "mae": MeanAbsoluteError()}
        )
        metrics.update(scores(model, inputs), targets)
    else:
        metrics = ranking_metrics()
        metrics.update(_candidate_scores(model, inputs), targets)
    return {f"{split}/{name}": float(value) for name, value in metrics.compute().items()}


def item_vectors(model: RecommendationTask | ItemKNN) -> np.ndarray | None:
    """One vector per item index for similarity and the embedding projector; None for k-NN
    (its similarities are stored directly)."""
    if isinstance(model, ItemKNN):
        return None
    return model.net.item_vectors().detach().float().numpy()


def log_item_embeddings(
    writer: Any, model: RecommendationTask, datamodule: RatingsDataModule, limit: int = 10_000
) -> None:
    """Item vectors into TensorBoard's embedding projector (PROJECTOR tab), labelled with
    titles (ids without an items file), the ``limit`` most popular items first."""
    vectors = item_vectors(model)
    order = np.argsort(-datamodule.popularity[1:], kind="stable")[:limit] + 1
    labels = [datamodule.item_label(int(i)).replace("\t", " ") for i in order]
    writer.add_embedding(torch.from_numpy(vectors[order]), metadata=labels, tag="items")


def _index_of(ids: IdIndex, text: str, what: str) -> int:
    """The index of an id given on the command line (0: unseen in training).

    Raises:
        ConfigError: the data's ids are integers and ``text`` is not one.
    """
    value: object = text
    if np.issubdtype(ids.ids.dtype, np.integer):
        try:
            value = int(text)
        except ValueError:
            raise ConfigError(
                f"{what}: '{text}' is not an id of this data (its ids are integers)"
            ) from None
    return int(ids.indices(np.array([value]))[0])


def _entries(
    datamodule: RatingsDataModule, items: np.ndarray, values: np.ndarray, key: str
) -> list[dict[str, Any]]:
    return [
        {
            "item": datamodule.items.id_of(int(i)),
            "title": datamodule.item_label(int(i)),
            key: float(v),
        }
        for i, v in zip(items, values, strict=True)
    ]


def _popular(datamodule: RatingsDataModule, top: int, exclude: set[int]) -> list[dict[str, Any]]:
    """The ``top`` items rated most often in training (ratings counted), ``exclude`` left out."""
    counts = datamodule.popularity.astype(float)
    counts[[0, *exclude]] = -1
    best = np.argsort(-counts, kind="stable")[:top]
    return _entries(datamodule, best, counts[best], "ratings")


def recommend(
    model: RecommendationTask | ItemKNN, datamodule: RatingsDataModule, user: str, top: int
) -> dict[str, Any]:
    """The ``top`` items the user has not rated (in any split), best score first.

    A user that training never saw (cold start) gets the most popular items, with a ``note``.
    """
    index = _index_of(datamodule.users, user, "user")
    if index == 0:
        return {
            "note": f"user {user} is not in the training data (cold start): the most rated items instead",
            "recommendations": _popular(datamodule, top, set()),
        }
    candidates = np.setdiff1d(np.arange(1, len(datamodule.items)), datamodule.rated[index])
    pairs = torch.from_numpy(np.column_stack([np.full(len(candidates), index), candidates]))
    values = scores(model, pairs).numpy()
    best = np.argsort(-values, kind="stable")[:top]
    return {"recommendations": _entries(datamodule, candidates[best], values[best], "score")}


def similar_items(
    model: RecommendationTask | ItemKNN, datamodule: RatingsDataModule, item: str, top: int
) -> dict[str, Any]:
    """ "People who liked this also liked": the ``top`` items nearest to ``item`` by cosine
    similarity of the item embeddings, or by the k-NN similarity.

    An item that training never saw (cold start), or a model without item embeddings of
    more than one dimension (the bias baseline), gets the most popular items, with a ``note``.
    """
    index = _index_of(datamodule.items, item, "item")
    if index == 0:
        return {
            "note": f"item {item} is not in the training data (cold start): the most rated items instead",
            "similar": _popular(datamodule, top, set()),
        }
    found = {"title": datamodule.item_label(index)}
    if isinstance(model, ItemKNN):
        best, values = model.similar_items(index, top)
        return found | {"similar": _entries(datamodule, best, values, "similarity")}
    vectors = item_vectors(model)
    if vectors.shape[1] < 2:
        return found | {
            "note": f"model '{type(model.net).__name__}' has no item embeddings: the most rated items instead",
            "similar": _popular(datamodule, top, {index}),
        }
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    cosine = unit @ unit[index]
    cosine[[0, index]] = -np.inf
    best = np.argsort(-cosine, kind="stable")[:top]
    return found | {"similar": _entries(datamodule, best, cosine[best], "similarity")}
