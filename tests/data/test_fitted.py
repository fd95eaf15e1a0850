"""A fitted featurizer saved with the run and the cache: restored, it transforms new rows as
the fitted one does, with no data and no refit; a file naming other types is refused."""

from __future__ import annotations

import dataclasses
import io
import pickle
from pathlib import Path

import numpy as np
import pytest
import skops.io
import torch
from datasets import Dataset, Image

from experiments.config.errors import ConfigError
from experiments.data import BagOfWords, ImageFeatures, TableFeatures, TokenIds, load_fitted
from experiments.data.fitted import dump_state, load_state

from .conftest import table_csv
from .test_images import image_folder
from .test_text import messages


@pytest.mark.parametrize(
    ("features", "data", "rows"),
    [
        (BagOfWords(text_column="sms", min_df=1), messages, {"sms": ["free zebra cash"]}),
        (TokenIds(text_column="sms"), messages, {"sms": ["free zebra cash"]}),
        (TableFeatures(), lambda root: table_csv(root / "t.csv"),
         {"size": [3, 30], "colour": ["red", "green"]}),
        (ImageFeatures(), lambda root: image_folder(root / "img"), None),
    ],
    ids=["tfidf", "tokens", "table", "image"],
)  # fmt: skip
def test_saved_featurizer_predicts_without_the_data(
    make_data, tmp_path: Path, features, data, rows
) -> None:
    source = "imagefolder" if isinstance(features, ImageFeatures) else "csv"
    target = "label"
    module = make_data(source=source, path=str(data(tmp_path)), features=features,
                       target_column=target)  # fmt: skip
    shapes = module.load()
    saved = module.save_fitted(tmp_path, shapes)
    # Only the table's state holds scikit-learn objects; the others need no skops to load.
    assert saved.name == (
        "featurizer.skops" if isinstance(features, TableFeatures) else "featurizer.npz"
    )
    new = Dataset.from_dict(rows) if rows else module_rows(module)
    expected = module.fitted_features().transform(new, "input")

    fresh = dataclasses.replace(features)  # the same settings, unfitted
    assert load_fitted(tmp_path, fresh) == shapes
    assert torch.equal(fresh.transform(new, "input"), expected)

    again = make_data(source=source, path=str(data(tmp_path)), features=fresh, target_column=target)
    again.load()  # a cache hit: nothing fitted, the fitted state comes with the tensors
    assert torch.equal(again.fitted_features().transform(new, "input"), expected)


def module_rows(module) -> Dataset:
    """Two image rows of the train folder, as new inputs."""
    paths = sorted(Path(module.path).rglob("*.png"))[:2]
    return Dataset.from_dict({"image": [str(p) for p in paths]}).cast_column("image", Image())


def test_a_file_with_other_types_is_refused(tmp_path: Path) -> None:
    data = skops.io.dumps({"features": {"x": Path("/etc")}})
    with pytest.raises(ConfigError, match="refusing to load types"):
        load_state(data, "featurizer.skops")
    with pytest.raises(ConfigError, match="not a saved featurizer"):
        load_state(pickle.dumps({"a": 1}), "featurizer.skops")


def test_a_plain_state_round_trips_as_an_npz_without_pickles() -> None:
    state = {
        "terms": np.array(["free", "cash"]), "idf": np.array([1.5, float("nan")]),
        "shape": (1, 8, 8), "scale": np.float64(2.5), "names": None, "nested": {"k": [True, 3]},
    }  # fmt: skip
    data = dump_state(state)
    with np.load(io.BytesIO(data), allow_pickle=False) as entries:
        assert sorted(entries.files) == ["a0", "a1", "state"]
    loaded = load_state(data, "featurizer.npz")
    assert loaded["terms"].tolist() == ["free", "cash"]
    np.testing.assert_array_equal(loaded["idf"], state["idf"])
    assert loaded["shape"] == [1, 8, 8] and loaded["scale"] == 2.5 and loaded["names"] is None
    assert loaded["nested"] == {"k": [True, 3]}


def test_an_npz_with_object_arrays_or_damage_is_refused() -> None:
    buffer = io.BytesIO()
    np.savez(buffer, a0=np.array([Path("/etc")], dtype=object), state=np.array('{"x": 1}'))
    with pytest.raises(ConfigError, match=r"not a saved featurizer .*allow_pickle"):
        load_state(buffer.getvalue(), "featurizer.npz")
    damaged = dump_state({"x": np.zeros(3)})[:-40]
    with pytest.raises(ConfigError, match="not a saved featurizer"):
        load_state(damaged, "featurizer.npz")
