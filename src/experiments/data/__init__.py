"""Data: sources -> splits -> featurizers -> tensors -> batches. May import `config` and
`io` (the atomic writer of cache entries).

Each name below is imported from its module on first use: loading a saved run's featurizer
to predict (`DataShapes`, `load_fitted`, a featurizer class) imports neither the data module
nor Lightning, which it subclasses.
"""

import importlib
from typing import Any

# name -> the module that defines it
_MODULES = {
    "BagOfWords": "text",
    "DataModule": "datamodule",
    "DataShapes": "shapes",
    "Featurizer": "shapes",
    "ImageFeatures": "images",
    "RandomCropFlip": "augment",
    "TableFeatures": "tables",
    "TensorBatches": "batches",
    "TokenIds": "text",
    "load_fitted": "fitted",
}
__all__ = list(_MODULES)


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'experiments.data' has no attribute '{name}'")
    return getattr(importlib.import_module(f"experiments.data.{_MODULES[name]}"), name)
