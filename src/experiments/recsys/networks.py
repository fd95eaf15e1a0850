"""Recommenders of user/item pairs: plain `torch.nn.Module` networks.

Every network maps a batch of ``(user, item)`` index pairs, a long tensor of shape
``(batch, 2)``, to one score per pair, shape ``(batch,)``: a predicted rating (explicit
feedback, trained with a squared error) or a logit of "the user interacts with the item"
(implicit feedback, trained with a binary cross-entropy on sampled negatives). The score is
offset by ``global_mean`` (the mean training rating; 0 for implicit feedback), so that the
learned parts model deviations from it.

Each network also has:

- ``penalty(pairs)``: its L2 regularization term for the batch, added to the batch's mean
  loss in training (each model says how it regularizes, see its docstring);
- ``item_vectors()``: one vector per item, whose cosine similarity answers "people who liked
  this also liked" (and feeds TensorBoard's embedding projector).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _embedding(count: int, size: int, std: float) -> nn.Embedding:
    table = nn.Embedding(count, size)
    nn.init.normal_(table.weight, std=std)
    return table


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


class BiasBaseline(nn.Module):
    """``global_mean + b_u + b_i``: the baseline predictor of Koren (2010) and of
    scikit-surprise's ``BaselineOnly``.

    Regularized as surprise's ALS baseline is: ``(reg_user * sum(b_u^2) + reg_item *
    sum(b_i^2)) / num_train`` per batch, so that the full-data objective is surprise's
    ``sum(errors^2) + reg_user * ||b_u||^2 + reg_item * ||b_i||^2`` divided by the number of
    training ratings.

    Args:
        num_users: users in the training data (from the data).
        num_items: items in the training data (from the data).
        global_mean: mean training rating (from the data).
        num_train: training ratings (from the data): the scale of the penalty.
        reg_user: L2 strength on user biases (surprise's default 15).
        reg_item: L2 strength on item biases (surprise's default 10).
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        global_mean: float,
        num_train: int,
        reg_user: float = 15.0,
        reg_item: float = 10.0,
    ) -> None:
        super().__init__()
        _check_sizes(num_users=num_users, num_items=num_items, num_train=num_train)
        self.user_bias = _embedding(num_users, 1, 0.0)
        self.item_bias = _embedding(num_items, 1, 0.0)
        self.global_mean = float(global_mean)
        self.scale = 1.0 / num_train
        self.reg_user = reg_user
        self.reg_item = reg_item

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        users, items = pairs[:, 0], pairs[:, 1]
        return self.global_mean + (self.user_bias(users) + self.item_bias(items)).squeeze(1)

    def penalty(self, pairs: torch.Tensor) -> torch.Tensor:
        user = self.user_bias.weight.square().sum()
        item = self.item_bias.weight.square().sum()
        return self.scale * (self.reg_user * user + self.reg_item * item)

    def item_vectors(self) -> torch.Tensor:
        return self.item_bias.weight


class MatrixFactorization(nn.Module):
    """Biased matrix factorization (Funk's SVD, Koren 2009): ``global_mean + b_u + b_i +
    p_u . q_i``.

    L2 as in surprise's ``SVD``: each rating of the batch adds ``weight_decay *
    (|p_u|^2 + |q_i|^2) + bias_decay * (b_u^2 + b_i^2)``, so frequent users and items are
    regularized more, in proportion to how often they are seen.

    Args:
        num_users: users in the training data (from the data).
        num_items: items in the training data (from the data).
        global_mean: mean training rating (from the data; 0 for implicit feedback).
        factors: size of the user and item embeddings.
        weight_decay: L2 strength on embeddings, per rating.
        bias_decay: L2 strength on biases, per rating.
        init_std: standard deviation of the initial embeddings (surprise's 0.1).
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        global_mean: float,
        factors: int = 64,
        weight_decay: float = 0.05,
        bias_decay: float = 0.005,
        init_std: float = 0.1,
    ) -> None:
        super().__init__()
        _check_sizes(num_users=num_users, num_items=num_items, factors=factors)
        self.user_factors = _embedding(num_users, factors, init_std)
        self.item_factors = _embedding(num_items, factors, init_std)
        self.user_bias = _embedding(num_users, 1, 0.0)
        self.item_bias = _embedding(num_items, 1, 0.0)
        self.global_mean = float(global_mean)
        self.weight_decay = weight_decay
        self.bias_decay = bias_decay

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        users, items = pairs[:, 0], pairs[:, 1]
        dot = (self.user_factors(users) * self.item_factors(items)).sum(1)
        biases = (self.user_bias(users) + self.item_bias(items)).squeeze(1)
        return self.global_mean + biases + dot

    def penalty(self, pairs: torch.Tensor) -> torch.Tensor:
        users, items = pairs[:, 0], pairs[:, 1]
        factors = self.user_factors(users).square().sum(1) + self.item_factors(items).square().sum(
            1
        )
        biases = (self.user_bias(users).square() + self.item_bias(items).square()).squeeze(1)
        return (self.weight_decay * factors + self.bias_decay * biases).mean()

    def item_vectors(self) -> torch.Tensor:
        return self.item_factors.weight


def _batch_l2(weight_decay: float, *vectors: torch.Tensor) -> torch.Tensor:
    """``weight_decay`` x the mean over the batch of the summed squares of ``vectors``."""
    return weight_decay * sum(v.square().sum(1) for v in vectors).mean()


class GMF(nn.Module):
    """Generalized matrix factorization (He et al., WWW 2017): ``h . (p_u * q_i) + b``, an
    element-wise product of embeddings weighed by a learned output layer.

    Args:
        num_users: users in the training data (from the data).
        num_items: items in the training data (from the data).
        global_mean: mean training rating (from the data; 0 for implicit feedback).
        factors: size of the user and item embeddings.
        weight_decay: L2 strength on the embeddings of each pair in the batch.
        init_std: standard deviation of the initial embeddings (NCF's 0.01).
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        global_mean: float,
        factors: int = 32,
        weight_decay: float = 0.0,
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        _check_sizes(num_users=num_users, num_items=num_items, factors=factors)
        self.user_factors = _embedding(num_users, factors, init_std)
        self.item_factors = _embedding(num_items, factors, init_std)
        self.output = nn.Linear(factors, 1)
        self.global_mean = float(global_mean)
        self.weight_decay = weight_decay

    def features(self, pairs: torch.Tensor) -> torch.Tensor:
        """The element-wise products, shape (batch, factors): NeuMF concatenates them."""
        return self.user_factors(pairs[:, 0]) * self.item_factors(pairs[:, 1])

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.global_mean + self.output(self.features(pairs)).squeeze(1)

    def penalty(self, pairs: torch.Tensor) -> torch.Tensor:
        return _batch_l2(
            self.weight_decay, self.user_factors(pairs[:, 0]), self.item_factors(pairs[:, 1])
        )

    def item_vectors(self) -> torch.Tensor:
        return self.item_factors.weight


class NCFMLP(nn.Module):
    """NCF's MLP (He et al., WWW 2017): user and item embeddings concatenated, then a tower of
    ReLU layers, then one output.

    Args:
        num_users: users in the training data (from the data).
        num_items: items in the training data (from the data).
        global_mean: mean training rating (from the data; 0 for implicit feedback).
        factors: size of the user and of the item embedding.
        hidden_sizes: width of each hidden layer (NCF's tower halves: 64, 32, 16).
        dropout: dropout probability after each hidden layer.
        weight_decay: L2 strength on the embeddings of each pair in the batch.
        init_std: standard deviation of the initial embeddings.
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        global_mean: float,
        factors: int = 32,
        hidden_sizes: Sequence[int] = (64, 32, 16),
        dropout: float = 0.0,
        weight_decay: float = 0.0,
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        _check_sizes(num_users=num_users, num_items=num_items, factors=factors)
        if not hidden_sizes:
            raise ValueError("hidden_sizes must name at least one layer")
        self.user_factors = _embedding(num_users, factors, init_std)
        self.item_factors = _embedding(num_items, factors, init_std)
        layers: list[nn.Module] = []
        width = 2 * factors
        for size in hidden_sizes:
            _check_sizes(hidden_size=size)
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        self.tower = nn.Sequential(*layers)
        self.output = nn.Linear(width, 1)
        self.global_mean = float(global_mean)
        self.weight_decay = weight_decay

    def features(self, pairs: torch.Tensor) -> torch.Tensor:
        """The last hidden layer, shape (batch, hidden_sizes[-1]): NeuMF concatenates it."""
        users = self.user_factors(pairs[:, 0])
        items = self.item_factors(pairs[:, 1])
        return self.tower(torch.cat([users, items], dim=1))

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.global_mean + self.output(self.features(pairs)).squeeze(1)

    def penalty(self, pairs: torch.Tensor) -> torch.Tensor:
        return _batch_l2(
            self.weight_decay, self.user_factors(pairs[:, 0]), self.item_factors(pairs[:, 1])
        )

    def item_vectors(self) -> torch.Tensor:
        return self.item_factors.weight


class NeuMF(nn.Module):
    """NeuMF (He et al., WWW 2017): a `GMF` and an `NCFMLP` with their own embeddings, their
    last layers concatenated into one output.

    Args:
        num_users: users in the training data (from the data).
        num_items: items in the training data (from the data).
        global_mean: mean training rating (from the data; 0 for implicit feedback).
        factors: size of the GMF embeddings.
        mlp_factors: size of the MLP's user and item embeddings.
        hidden_sizes: widths of the MLP tower.
        dropout: dropout probability in the MLP tower.
        weight_decay: L2 strength on all embeddings of each pair in the batch.
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        global_mean: float,
        factors: int = 32,
        mlp_factors: int = 32,
        hidden_sizes: Sequence[int] = (64, 32, 16),
        dropout: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__()
        self.gmf = GMF(num_users, num_items, 0.0, factors, weight_decay)
        self.mlp = NCFMLP(
            num_users, num_items, 0.0, mlp_factors, hidden_sizes, dropout, weight_decay
        )
        self.output = nn.Linear(factors + hidden_sizes[-1], 1)
        self.global_mean = float(global_mean)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        joint = torch.cat([self.gmf.features(pairs), self.mlp.features(pairs)], dim=1)
        return self.global_mean + self.output(joint).squeeze(1)

    def penalty(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.gmf.penalty(pairs) + self.mlp.penalty(pairs)

    def item_vectors(self) -> torch.Tensor:
        return torch.cat([self.gmf.item_vectors(), self.mlp.item_vectors()], dim=1)
