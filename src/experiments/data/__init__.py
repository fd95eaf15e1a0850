"""Data: sources -> splits -> featurizers -> tensors -> batches."""

from experiments.data.batches import TensorBatches
from experiments.data.datamodule import DataModule, DataShapes

__all__ = ["DataModule", "DataShapes", "TensorBatches"]
