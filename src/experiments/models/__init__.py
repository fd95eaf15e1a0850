"""Plain `torch.nn.Module` networks; no Lightning, no config objects. Imports nothing else
of the package."""

from experiments.models.cnn import CNN, ResNet
from experiments.models.item_knn import ItemKNN
from experiments.models.kernel_features import (
    FixedFeatureMemo,
    NystroemFeatures,
    NystroemSVM,
    RandomFeaturesSVM,
    RandomFourierFeatures,
)
from experiments.models.linear import Linear
from experiments.models.mlp import MLP
from experiments.models.recommenders import (
    GMF,
    NCFMLP,
    BiasBaseline,
    MatrixFactorization,
    NeuMF,
)
from experiments.models.text import TextCNN

__all__ = [
    "CNN",
    "GMF",
    "MLP",
    "NCFMLP",
    "BiasBaseline",
    "FixedFeatureMemo",
    "ItemKNN",
    "Linear",
    "MatrixFactorization",
    "NeuMF",
    "NystroemFeatures",
    "NystroemSVM",
    "RandomFeaturesSVM",
    "RandomFourierFeatures",
    "ResNet",
    "TextCNN",
]
