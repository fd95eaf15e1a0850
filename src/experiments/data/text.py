"""Text to tensors, fitted on the train split: bag-of-words vectors or token-id sequences.

Pick one per dataset with ``dataset/features=tfidf`` (linear, MLP and `text_bow` models:
``in_features``) or ``dataset/features=tokens`` (sequence models such as `text_cnn`:
``vocab_size`` and ``max_length``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from datasets import Dataset
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from experiments.config.errors import ConfigError

WEIGHTINGS = ("tfidf", "counts")
# Words, numbers and single punctuation marks ("!", "£" matter for spam); unlike
# scikit-learn's default pattern, one-character tokens are kept.
TOKEN_PATTERN = r"(?u)\w+|[^\w\s]"
PAD_ID, UNKNOWN_ID = 0, 1


@dataclass
class BagOfWords:
    """TF-IDF or count vectors from scikit-learn's vectorizers, as dense float32 rows.

    Args:
        text_column: the column holding the text.
        weighting: ``tfidf`` (`TfidfVectorizer`, rows L2-normalized) or ``counts``
            (`CountVectorizer`, e.g. for multinomial naive Bayes).
        ngram_range: ``[min_n, max_n]`` word n-grams.
        min_df: ignore terms in fewer train documents than this.
        max_features: keep the most frequent terms; bounds memory, which is
            rows x max_features x 4 bytes.
        sublinear_tf: ``1 + log(tf)`` instead of tf (tfidf only).
        lowercase: lowercase before tokenizing.
    """

    text_column: str = "text"
    weighting: str = "tfidf"
    ngram_range: list[int] = field(default_factory=lambda: [1, 2])
    min_df: int = 1
    max_features: int | None = 5000
    sublinear_tf: bool = True
    lowercase: bool = True
    kind: ClassVar[str] = "text"
    handles_missing: ClassVar[bool] = False
    vectorizer: CountVectorizer | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.ngram_range = [int(n) for n in self.ngram_range]
        problems = []
        if self.weighting not in WEIGHTINGS:
            problems.append(
                f"dataset.features.weighting: '{self.weighting}' is not one of {', '.join(WEIGHTINGS)}"
            )
        if len(self.ngram_range) != 2 or not 1 <= self.ngram_range[0] <= self.ngram_range[1]:
            problems.append(
                f"dataset.features.ngram_range: expected [min_n, max_n] with 1 <= min_n <= "
                f"max_n, got {self.ngram_range}"
            )
        if problems:
            raise ConfigError(problems)

    def columns(self, available: list[str], target: str) -> list[str]:
        return [self.text_column]

    def fit_transform(self, train: Dataset) -> torch.Tensor:
        """Fit the vocabulary (and idf weights) on the train split; its features."""
        self.vectorizer = self._vectorizer()
        _fit_vocabulary(self.vectorizer, train[self.text_column])
        return self.transform(train, "train")

    def _vectorizer(self) -> CountVectorizer:
        settings = {
            "ngram_range": tuple(self.ngram_range),
            "min_df": self.min_df,
            "max_features": self.max_features,
            "lowercase": self.lowercase,
            "token_pattern": TOKEN_PATTERN,
            "dtype": np.float32,
        }
        if self.weighting == "tfidf":
            return TfidfVectorizer(sublinear_tf=self.sublinear_tf, **settings)
        return CountVectorizer(**settings)

    def fitted_state(self) -> dict[str, Any]:
        """What `fit_transform` learned (see `experiments.data.fitted`): the vocabulary as
        an array of terms by index (one array loads in milliseconds; a dict of 5000 numpy
        ints in seconds), and the idf weights."""
        vocabulary = self.vectorizer.vocabulary_
        state = {"terms": np.array(sorted(vocabulary, key=vocabulary.get))}
        return state | ({"idf": self.vectorizer.idf_} if self.weighting == "tfidf" else {})

    def restore(self, state: dict[str, Any]) -> None:
        self.vectorizer = self._vectorizer()
        self.vectorizer.vocabulary_ = {str(term): i for i, term in enumerate(state["terms"])}
        if self.weighting == "tfidf":
            self.vectorizer.idf_ = np.asarray(state["idf"])

    def transform(self, rows: Dataset, name: str) -> torch.Tensor:
        """Vectors of any rows (a split, or new texts) over the train vocabulary."""
        return torch.from_numpy(self.vectorizer.transform(rows[self.text_column]).toarray())

    def shape_info(self) -> dict[str, int]:
        return {}


def _fit_vocabulary(vectorizer: CountVectorizer, texts: list[str]) -> None:
    try:
        vectorizer.fit(texts)
    except ValueError as error:  # e.g. min_df leaves no terms
        raise ConfigError(
            f"dataset.features: no vocabulary from the train split ({error})"
        ) from error


@dataclass
class TokenIds:
    """Token-id sequences with a vocabulary of the train split, for sequence models.

    Tokens come from scikit-learn's analyzer (`CountVectorizer` with `TOKEN_PATTERN`), the
    vocabulary is the ``max_vocab`` most frequent train tokens that occur in at least
    ``min_df`` train texts. Id 0 pads, id 1 stands for a token outside the vocabulary;
    texts are cut or padded to ``max_length`` ids (int64).

    Args:
        text_column: the column holding the text.
        max_length: ids per text.
        max_vocab: most frequent train tokens kept.
        min_df: ignore tokens in fewer train texts than this.
        lowercase: lowercase before tokenizing.
    """

    text_column: str = "text"
    max_length: int = 64
    max_vocab: int = 20000
    min_df: int = 1
    lowercase: bool = True
    kind: ClassVar[str] = "text"
    handles_missing: ClassVar[bool] = False
    vocab_size: int = field(default=0, init=False)
    # Fitted on the train split by `fit_transform`: token -> id, and the tokenizer.
    ids: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)
    analyze: Callable[[str], list[str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        problems = [
            f"dataset.features.{key}: expected a positive integer, got {value!r}"
            for key, value in (("max_length", self.max_length), ("max_vocab", self.max_vocab))
            if not isinstance(value, int) or value < 1
        ]
        if problems:
            raise ConfigError(problems)

    def columns(self, available: list[str], target: str) -> list[str]:
        return [self.text_column]

    def fit_transform(self, train: Dataset) -> torch.Tensor:
        """Fit the vocabulary on the train split; its id sequences."""
        vectorizer = CountVectorizer(
            token_pattern=TOKEN_PATTERN,
            lowercase=self.lowercase,
            max_features=self.max_vocab,
            min_df=self.min_df,
        )
        _fit_vocabulary(vectorizer, train[self.text_column])
        vocabulary = vectorizer.vocabulary_
        self.restore({"tokens": np.array(sorted(vocabulary, key=vocabulary.get))})
        return self.transform(train, "train")

    def fitted_state(self) -> dict[str, Any]:
        """What `fit_transform` learned (see `experiments.data.fitted`): the vocabulary as
        an array of tokens in id order."""
        return {"tokens": np.array(sorted(self.ids, key=self.ids.get))}

    def restore(self, state: dict[str, Any]) -> None:
        first_id = UNKNOWN_ID + 1
        self.ids = {str(token): first_id + i for i, token in enumerate(state["tokens"])}
        self.vocab_size = first_id + len(self.ids)
        # The tokenizer depends on the settings only, not on the fit.
        self.analyze = CountVectorizer(
            token_pattern=TOKEN_PATTERN, lowercase=self.lowercase
        ).build_analyzer()

    def transform(self, rows: Dataset, name: str) -> torch.Tensor:
        """Id sequences of any rows (a split, or new texts) over the train vocabulary."""
        texts = rows[self.text_column]
        encoded = np.full((len(texts), self.max_length), PAD_ID, dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = [self.ids.get(t, UNKNOWN_ID) for t in self.analyze(text)[: self.max_length]]
            encoded[row, : len(tokens)] = tokens
        return torch.from_numpy(encoded)

    def shape_info(self) -> dict[str, int]:
        return {"vocab_size": self.vocab_size, "max_length": self.max_length}
