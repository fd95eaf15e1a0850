"""Item-item k-nearest neighbours: "customers who bought this item also bought".

Not a network and not trained by gradient: fitted in closed form on the sparse user-item
matrix (numpy and scipy.sparse), like a scikit-learn estimator (``fit`` / ``predict``),
and saved the same way (skops).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

OBJECTIVES = ("rating", "ranking")


def baseline_als(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    shape: tuple[int, int],
    reg_user: float,
    reg_item: float,
    epochs: int,
) -> tuple[float, np.ndarray, np.ndarray]:
    """``(global mean, user biases, item biases)`` by alternating least squares, as
    scikit-surprise's ``BaselineOnly`` (Koren 2010, eq. 2): items, then users, each epoch."""
    mean = float(ratings.mean())
    user_bias, item_bias = np.zeros(shape[0]), np.zeros(shape[1])
    user_count = np.bincount(users, minlength=shape[0])
    item_count = np.bincount(items, minlength=shape[1])
    for _ in range(epochs):
        residual = ratings - mean - user_bias[users]
        item_bias = np.bincount(items, residual, shape[1]) / (reg_item + item_count)
        residual = ratings - mean - item_bias[items]
        user_bias = np.bincount(users, residual, shape[0]) / (reg_user + user_count)
    return mean, user_bias, item_bias


class ItemKNN(BaseEstimator):
    """Item-based k-NN with baselines: scikit-surprise's ``KNNBaseline`` (item-based,
    ``pearson_baseline`` similarity) for ratings, summed similarities for ranking.

    ``rating``: ``b_ui + sum_j sim(i, j) (r_uj - b_uj) / sum_j sim(i, j)`` over the ``k``
    items ``j`` rated by ``u`` most similar to ``i`` (positive similarities only), where
    ``b_ui`` is the ALS baseline; the baseline alone with fewer than ``min_k`` such items.
    The similarity is the Pearson correlation of the baseline residuals over the users who
    rated both items, shrunk by ``(n - 1) / (n - 1 + shrinkage)`` for ``n`` such users
    (Koren 2010).

    ``ranking``: ``sum_j sim(i, j)`` over the ``k`` most similar items the user interacted
    with, with the cosine similarity of the items' user sets, shrunk the same way.

    Index 0 of users and items stands for ids unseen in training: their predictions are the
    baseline (``rating``) or 0 (``ranking``).

    Args:
        objective: ``rating`` or ``ranking``.
        k: neighbours per prediction (surprise's 40).
        min_k: fewest neighbours that make a prediction differ from the baseline.
        shrinkage: similarity shrinkage (surprise's 100).
        reg_user: L2 strength on user biases of the baseline (surprise's 15).
        reg_item: L2 strength on item biases of the baseline (surprise's 10).
        baseline_epochs: ALS epochs of the baseline (surprise's 10).
        rating_scale: ``(lowest, highest)`` predictions are clipped to; None: no clipping.
    """

    def __init__(
        self,
        objective: str = "rating",
        k: int = 40,
        min_k: int = 1,
        shrinkage: float = 100.0,
        reg_user: float = 15.0,
        reg_item: float = 10.0,
        baseline_epochs: int = 10,
        rating_scale: tuple[float, float] | None = None,
    ) -> None:
        self.objective = objective
        self.k = k
        self.min_k = min_k
        self.shrinkage = shrinkage
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.baseline_epochs = baseline_epochs
        self.rating_scale = rating_scale

    def fit(
        self, pairs: np.ndarray, ratings: np.ndarray, num_users: int, num_items: int
    ) -> ItemKNN:
        """Fit on ``(n, 2)`` user/item index pairs and their ``ratings`` (ignored for ranking).

        Raises:
            ValueError: an unknown objective or a non-positive ``k``.
        """
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}"
            )
        if not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"k must be a positive integer, got {self.k!r}")
        users, items = pairs[:, 0], pairs[:, 1]
        shape = (num_users, num_items)
        if self.objective == "rating":
            self.mean_, self.user_bias_, self.item_bias_ = baseline_als(
                users, items, ratings.astype(np.float64), shape,
                self.reg_user, self.reg_item, self.baseline_epochs,
            )  # fmt: skip
            residuals = ratings - self.mean_ - self.user_bias_[users] - self.item_bias_[items]
        else:
            self.mean_, self.user_bias_, self.item_bias_ = (
                0.0,
                np.zeros(num_users),
                np.zeros(num_items),
            )
            residuals = np.ones(len(pairs))
        matrix = sp.csr_matrix((residuals, (users, items)), shape=shape)
        rated = sp.csr_matrix((np.ones(len(pairs)), (users, items)), shape=shape)
        self.similarity_ = self._similarity(matrix, rated)
        self.user_items_ = matrix  # residuals (rating) or 1s (ranking) of each user's items
        return self

    def _similarity(self, matrix: sp.csr_matrix, rated: sp.csr_matrix) -> sp.csr_matrix:
        """Shrunk Pearson-baseline (``rating``) or cosine (``ranking``) similarity of items,
        over the users who rated both; sparse: pairs of items nobody rated both of are 0."""
        products = (matrix.T @ matrix).tocsr()
        # Squared residuals of item i summed over the users who rated both i and j.
        squares = (matrix.multiply(matrix).T @ rated).tocsr()
        norms = squares.multiply(squares.T).tocsr()  # element-wise: aligned without lookups
        norms.data = 1.0 / np.sqrt(norms.data)
        shrink = (rated.T @ rated).tocsr()
        shrink.data = (shrink.data - 1) / (shrink.data - 1 + self.shrinkage)
        similarity = products.multiply(norms).multiply(shrink).tocsr()
        similarity.setdiag(np.where(np.asarray(rated.sum(0)).ravel() > 0, 1.0, 0.0))
        similarity.eliminate_zeros()
        return similarity

    def baseline(self, pairs: np.ndarray) -> np.ndarray:
        return self.mean_ + self.user_bias_[pairs[:, 0]] + self.item_bias_[pairs[:, 1]]

    def predict(self, pairs: np.ndarray) -> np.ndarray:
        """One score per ``(user, item)`` index pair: a rating (clipped to ``rating_scale``)
        or a ranking score."""
        scores = self.baseline(pairs)
        order = np.argsort(pairs[:, 1], kind="stable")
        bounds = np.flatnonzero(np.diff(pairs[order, 1])) + 1
        for group in np.split(order, bounds):
            item = pairs[group[0], 1]
            if item == 0:
                continue
            similarities = self.similarity_[item].toarray().ravel()
            for row in group:
                scores[row] += self._neighbour_term(pairs[row, 0], similarities)
        if self.objective == "rating" and self.rating_scale is not None:
            scores = np.clip(scores, *self.rating_scale)
        return scores

    def _neighbour_term(self, user: int, similarities: np.ndarray) -> float:
        start, end = self.user_items_.indptr[user], self.user_items_.indptr[user + 1]
        neighbours = self.user_items_.indices[start:end]
        values = self.user_items_.data[start:end]
        sims = similarities[neighbours]
        if len(sims) > self.k:
            top = np.argpartition(-sims, self.k - 1)[: self.k]
            sims, values = sims[top], values[top]
        positive = sims > 0
        if positive.sum() < self.min_k:
            return 0.0
        if self.objective == "ranking":
            return float(sims[positive].sum())
        return float((sims[positive] * values[positive]).sum() / sims[positive].sum())

    def similar_items(self, item: int, top: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``top`` items most similar to ``item`` (itself excluded) and their similarities."""
        row = self.similarity_[item].toarray().ravel()
        row[[0, item]] = -np.inf
        best = np.argsort(-row, kind="stable")[:top]
        best = best[np.isfinite(row[best]) & (row[best] > 0)]
        return best, row[best]

    @property
    def n_params(self) -> int:
        """Stored numbers: the nonzero similarities and the biases."""
        return int(self.similarity_.nnz + len(self.user_bias_) + len(self.item_bias_) + 1)
