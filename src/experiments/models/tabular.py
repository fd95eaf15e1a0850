"""The deep nets for tables of Gorishniy et al. 2021, "Revisiting Deep Learning Models for
Tabular Data" (NeurIPS): an MLP, a ResNet and the FT-Transformer, with the paper's
architectures and defaults (those of its authors' package ``rtdl_revisiting_models``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from experiments.models.mlp import MLP


def _check(sizes: dict[str, int], dropouts: dict[str, float]) -> None:
    """Raise one `ValueError` naming every size below 1 and dropout outside [0, 1)."""
    problems = [
        f"{name} must be at least 1, got {value}" for name, value in sizes.items() if value < 1
    ]
    problems += [
        f"{name} must be in [0, 1), got {value}"
        for name, value in dropouts.items()
        if not 0.0 <= value < 1.0
    ]
    if problems:
        raise ValueError("; ".join(problems))


class TabularMLP(MLP):
    """The paper's MLP: ``n_blocks`` blocks of Linear -> ReLU -> Dropout, each ``d_block``
    wide, then a linear head. `MLP` with equal hidden sizes, sized by two numbers as the
    paper's search space draws them.

    Args:
        in_features: size of one flattened input (from the data).
        num_outputs: classes or regression targets (from the data).
        n_blocks: hidden layers.
        d_block: width of every hidden layer.
        dropout: dropout probability after each hidden layer.

    Raises:
        ValueError: a size below 1 or a dropout outside [0, 1).
    """

    def __init__(
        self,
        in_features: int,
        num_outputs: int,
        n_blocks: int = 2,
        d_block: int = 384,
        dropout: float = 0.1,
    ) -> None:
        _check({"n_blocks": n_blocks, "d_block": d_block}, {"dropout": dropout})
        super().__init__(in_features, num_outputs, [d_block] * n_blocks, "relu", dropout)


class TabularResNet(nn.Module):
    """The paper's ResNet: ``Linear(in, d_block)``, then ``n_blocks`` residual blocks
    ``x + Dropout(Linear(Dropout(ReLU(Linear(BatchNorm(x))))))`` with a hidden width of
    ``d_block * d_hidden_multiplier``, then the head ``Linear(ReLU(BatchNorm(x)))``.

    Args:
        in_features: size of one flattened input (from the data).
        num_outputs: classes or regression targets (from the data).
        n_blocks: residual blocks.
        d_block: width of the residual stream.
        d_hidden_multiplier: a block's hidden width over ``d_block``.
        hidden_dropout: dropout after a block's ReLU (the paper's "hidden dropout").
        residual_dropout: dropout of a block's output before it joins the stream.

    Raises:
        ValueError: a size below 1 or a dropout outside [0, 1).
    """

    def __init__(
        self,
        in_features: int,
        num_outputs: int,
        n_blocks: int = 2,
        d_block: int = 192,
        d_hidden_multiplier: float = 2.0,
        hidden_dropout: float = 0.15,
        residual_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        d_hidden = int(d_block * d_hidden_multiplier)
        _check(
            {"n_blocks": n_blocks, "d_block": d_block, "d_block * d_hidden_multiplier": d_hidden},
            {"hidden_dropout": hidden_dropout, "residual_dropout": residual_dropout},
        )
        self.first = nn.Linear(in_features, d_block)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.BatchNorm1d(d_block),
                nn.Linear(d_block, d_hidden),
                nn.ReLU(),
                nn.Dropout(hidden_dropout),
                nn.Linear(d_hidden, d_block),
                nn.Dropout(residual_dropout),
            )
            for _ in range(n_blocks)
        )
        self.head = nn.Sequential(
            nn.BatchNorm1d(d_block), nn.ReLU(), nn.Linear(d_block, num_outputs)
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.first(inputs.flatten(1))
        for block in self.blocks:
            x = x + block(x)
        return self.head(x)


class FTTransformer(nn.Module):
    """The paper's FT-Transformer: every input column becomes a token, a [CLS] token is
    appended, ``n_blocks`` Transformer blocks mix them, and the head reads the [CLS] token.

    Tokens: a numeric feature ``x_j`` gives ``x_j * W_j + b_j`` (``d_block`` wide); the
    features of a categorical column's one-hot block share one token, the sum of theirs,
    which is the embedding of the column's category plus a bias, as in the paper (without
    ``one_hot_groups`` every one-hot feature is a token of its own: more tokens, the same
    model class). Blocks are pre-norm (the first without its attention norm), their
    feed-forward part ``Linear -> ReGLU -> Dropout -> Linear``; the head is
    ``Linear(ReLU(LayerNorm(cls)))``. Attention costs grow with the square of the tokens.

    Args:
        in_features: size of one flattened input (from the data).
        num_outputs: classes or regression targets (from the data).
        one_hot_groups: (column, first, end feature) of each one-hot block (from table data,
            `experiments.data.DataShapes.one_hot_groups`).
        n_blocks: Transformer blocks.
        d_block: token width; a multiple of ``attention_n_heads``.
        attention_n_heads: attention heads.
        attention_dropout: dropout of the attention weights.
        ffn_d_hidden_multiplier: the feed-forward hidden width over ``d_block``.
        ffn_dropout: dropout in the feed-forward part.
        residual_dropout: dropout of each part's output before it joins the stream.

    Raises:
        ValueError: a size below 1, a dropout outside [0, 1), or a width that the heads
            do not divide.
    """

    def __init__(
        self,
        in_features: int,
        num_outputs: int,
        one_hot_groups: Sequence[tuple[str, int, int]] = (),
        n_blocks: int = 3,
        d_block: int = 192,
        attention_n_heads: int = 8,
        attention_dropout: float = 0.2,
        ffn_d_hidden_multiplier: float = 4 / 3,
        ffn_dropout: float = 0.1,
        residual_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        d_hidden = int(d_block * ffn_d_hidden_multiplier)
        _check(
            {"n_blocks": n_blocks, "d_block": d_block, "attention_n_heads": attention_n_heads,
             "d_block * ffn_d_hidden_multiplier": d_hidden},
            {"attention_dropout": attention_dropout, "ffn_dropout": ffn_dropout,
             "residual_dropout": residual_dropout},
        )  # fmt: skip
        if d_block % attention_n_heads:
            raise ValueError(
                f"d_block ({d_block}) must be a multiple of attention_n_heads ({attention_n_heads})"
            )
        token_of = torch.arange(in_features)  # the token each input feature adds to
        for _, start, stop in sorted(one_hot_groups, key=lambda group: group[1], reverse=True):
            token_of[start:stop] = start  # the block's features share one token ...
            token_of[stop:] -= stop - start - 1  # ... and the tokens after it move up
        self.register_buffer("token_of", token_of, persistent=False)
        self.n_tokens = int(token_of.max()) + 1
        bound = 1 / math.sqrt(d_block)  # the paper's initialization of the tokenizer
        self.weight = nn.Parameter(torch.empty(in_features, d_block).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(in_features, d_block).uniform_(-bound, bound))
        self.cls = nn.Parameter(torch.empty(1, 1, d_block).uniform_(-bound, bound))
        self.blocks = nn.ModuleList(
            _TransformerBlock(
                d_block,
                attention_n_heads,
                attention_dropout,
                d_hidden,
                ffn_dropout,
                residual_dropout,
                attention_norm=index > 0,
            )
            for index in range(n_blocks)
        )
        self.head = nn.Sequential(nn.LayerNorm(d_block), nn.ReLU(), nn.Linear(d_block, num_outputs))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.flatten(1)
        parts = x.unsqueeze(-1) * self.weight + self.bias  # (rows, features, d_block)
        tokens = parts.new_zeros(len(x), self.n_tokens, parts.shape[-1])
        tokens = tokens.index_add(1, self.token_of, parts)
        tokens = torch.cat([tokens, self.cls.expand(len(x), -1, -1)], dim=1)
        for block in self.blocks:
            tokens = block(tokens)
        return self.head(tokens[:, -1])


class _ReGLU(nn.Module):
    """``a * relu(b)`` of the two halves of the last dimension."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=-1)
        return a * torch.relu(b)


class _TransformerBlock(nn.Module):
    """Pre-norm multi-head self-attention, then a ReGLU feed-forward part, each added to the
    token stream after ``residual_dropout``."""

    def __init__(
        self,
        d_block: int,
        n_heads: int,
        attention_dropout: float,
        d_hidden: int,
        ffn_dropout: float,
        residual_dropout: float,
        attention_norm: bool,
    ) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(d_block) if attention_norm else nn.Identity()
        self.attention = nn.MultiheadAttention(
            d_block, n_heads, dropout=attention_dropout, batch_first=True
        )
        self.ffn = nn.Sequential(
            nn.LayerNorm(d_block),
            nn.Linear(d_block, 2 * d_hidden),
            _ReGLU(),
            nn.Dropout(ffn_dropout),
            nn.Linear(d_hidden, d_block),
        )
        self.residual_dropout = nn.Dropout(residual_dropout)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        normed = self.attention_norm(tokens)
        attended, _ = self.attention(normed, normed, normed, need_weights=False)
        tokens = tokens + self.residual_dropout(attended)
        return tokens + self.residual_dropout(self.ffn(tokens))
