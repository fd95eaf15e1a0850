"""Plain `torch.nn.Module` networks; no Lightning, no config objects. Imports nothing else
of the package."""

from experiments.models.cnn import CNN, ResNet
from experiments.models.kernel_features import (
    FixedFeatureMemo,
    NystroemFeatures,
    NystroemSVM,
    RandomFeaturesSVM,
    RandomFourierFeatures,
)
from experiments.models.linear import Linear
from experiments.models.mlp import MLP
from experiments.models.tabular import FTTransformer, TabularMLP, TabularResNet
from experiments.models.text import TextCNN

__all__ = [
    "CNN",
    "MLP",
    "FTTransformer",
    "FixedFeatureMemo",
    "Linear",
    "NystroemFeatures",
    "NystroemSVM",
    "RandomFeaturesSVM",
    "RandomFourierFeatures",
    "ResNet",
    "TabularMLP",
    "TabularResNet",
    "TextCNN",
]
