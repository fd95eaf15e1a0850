"""Data: sources -> splits -> featurizers -> tensors -> batches. May import `config` and
`io` (the atomic writer of cache entries)."""

from experiments.data.augment import RandomCropFlip
from experiments.data.batches import TensorBatches
from experiments.data.datamodule import DataModule, DataShapes, Featurizer, load_fitted
from experiments.data.images import ImageFeatures
from experiments.data.tables import TableFeatures
from experiments.data.text import BagOfWords, TokenIds

__all__ = [
    "BagOfWords",
    "DataModule",
    "DataShapes",
    "Featurizer",
    "ImageFeatures",
    "RandomCropFlip",
    "TableFeatures",
    "TensorBatches",
    "TokenIds",
    "load_fitted",
]
