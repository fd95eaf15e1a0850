"""Text featurizers: TF-IDF vectors and token ids, both fitted on the train split only."""

from __future__ import annotations

from pathlib import Path

import torch

from experiments.data import BagOfWords, TokenIds
from experiments.data.text import PAD_ID, UNKNOWN_ID

from .conftest import write

SPAM = ["win cash now", "free prize win", "claim free cash", "win win win"]
HAM = ["see you at lunch", "call me later", "lunch at noon", "see you soon"]


def messages(tmp_path: Path) -> Path:
    """Train and test files; 'zebra' occurs only in test."""
    train = [f'"{t}",spam' for t in SPAM * 3] + [f'"{t}",ham' for t in HAM * 3]
    write(tmp_path / "sms" / "train.csv", "sms,label\n" + "\n".join(train))
    test = ['"free zebra cash",spam', '"zebra lunch",ham']
    write(tmp_path / "sms" / "test.csv", "sms,label\n" + "\n".join(test))
    return tmp_path / "sms"


def test_tfidf_vocabulary_comes_from_train(make_data, tmp_path: Path) -> None:
    features = BagOfWords(text_column="sms", ngram_range=[1, 1], min_df=1)
    data = make_data(path=str(messages(tmp_path)), features=features)
    shapes = data.load()
    train_words = {w for text in SPAM + HAM for w in text.split()}
    assert shapes.kind == "text" and shapes.in_features == len(train_words)
    test_inputs = data.tensors["test"][0]
    assert torch.allclose(test_inputs.norm(dim=1), torch.ones(2))  # tf-idf rows: unit length
    assert data.tensors["test"][1].tolist() == [1, 0]  # classes sorted: ham, spam


def test_counts_weighting_gives_term_counts(make_data, tmp_path: Path) -> None:
    features = BagOfWords(text_column="sms", weighting="counts", ngram_range=[1, 1], min_df=1)
    data = make_data(path=str(messages(tmp_path)), features=features)
    data.load()
    inputs = data.tensors["train"][0]
    assert inputs.max() == 3 and torch.equal(inputs, inputs.round())  # "win win win"


def test_token_ids_pad_cut_and_mark_unknown(make_data, tmp_path: Path) -> None:
    features = TokenIds(text_column="sms", max_length=4)
    data = make_data(path=str(messages(tmp_path)), features=features)
    shapes = data.load()
    train_words = {w for text in SPAM + HAM for w in text.split()}
    assert shapes.vocab_size == 2 + len(train_words) and shapes.max_length == 4
    test_ids = data.tensors["test"][0]
    assert test_ids.dtype == torch.int64 and test_ids.shape == (2, 4)
    # "free zebra cash": zebra never occurs in train; rows are padded with id 0
    assert test_ids[0, 1] == UNKNOWN_ID and test_ids[0, 3] == PAD_ID
    assert test_ids[0, 0] != test_ids[0, 2] and test_ids[0, 0] > UNKNOWN_ID
    assert int(data.tensors["train"][0].max()) < shapes.vocab_size
