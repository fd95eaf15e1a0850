"""Featurizers fitted on train apply to any rows: re-fitted after a cache hit, they give the
cached tensors again, so new inputs are featurized exactly as the run's splits were."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from experiments.data import BagOfWords, ImageFeatures, TableFeatures, TokenIds
from experiments.data.sources import resolve_source

from .conftest import table_csv
from .test_images import image_folder
from .test_text import messages


@pytest.mark.parametrize(
    ("features", "source", "write"),
    [
        (lambda: TableFeatures(), "csv", lambda tmp: table_csv(tmp / "t.csv")),
        (lambda: BagOfWords(text_column="sms", min_df=1), "csv", messages),
        (lambda: TokenIds(text_column="sms"), "csv", messages),
        (lambda: ImageFeatures(), "imagefolder", lambda tmp: image_folder(tmp / "img")),
    ],
    ids=["table", "tfidf", "tokens", "image"],
)
def test_refit_after_cache_hit_reproduces_the_splits(
    make_data, tmp_path: Path, features, source: str, write
) -> None:
    path = str(write(tmp_path))
    make_data(source=source, path=path, features=features()).load()  # fills the cache
    data = make_data(source=source, path=path, features=features())
    data.load()  # a cache hit: nothing fitted
    fitted = data.fitted_features()
    test_rows = data._split(resolve_source(data.source, data.path).load())["test"]
    assert torch.equal(fitted.transform(test_rows, "test"), data.tensors["test"][0])
