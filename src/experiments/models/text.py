"""Sequence models for token ids (int64, shape (batch, length), padding id 0)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class TextCNN(nn.Module):
    """Kim (2014)-style text CNN: embeddings, parallel 1-D convolutions of several widths,
    max over time, dropout, a linear output.

    Args:
        vocab_size: size of the vocabulary, padding id 0 included (from the data).
        num_outputs: classes or regression targets (from the data).
        embedding_dim: size of a token embedding.
        kernel_sizes: widths, in tokens, of the convolutions.
        channels: filters per width.
        dropout: dropout before the output layer.
    """

    def __init__(
        self,
        vocab_size: int,
        num_outputs: int,
        embedding_dim: int = 64,
        kernel_sizes: Sequence[int] = (3, 4, 5),
        channels: int = 64,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.convs = nn.ModuleList(
            nn.Conv1d(embedding_dim, channels, size, padding=size - 1) for size in kernel_sizes
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels * len(kernel_sizes), num_outputs)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        embedded = self.embedding(tokens).transpose(1, 2)  # (batch, embedding, length)
        pooled = [torch.relu(conv(embedded)).amax(dim=2) for conv in self.convs]
        return self.head(self.dropout(torch.cat(pooled, dim=1)))
