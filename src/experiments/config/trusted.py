"""What a run folder from elsewhere may instantiate: an allow-list of classes by exact name.

A run folder is data. ``experiments-predict``, ``experiments-eval`` and ``resume=`` rebuild a
run from the config in its ``.hydra/`` folder, and Hydra's ``instantiate`` calls whatever a
``_target_`` names: ``builtins.open`` with ``mode: w`` empties a file, ``numpy.savetxt``
writes any text anywhere. So before anything of a loaded config is instantiated, every
``_target_`` in it, nested ones and ``_args_`` included, after interpolation, must be one of
`TRUSTED_TARGETS` (the classes the shipped configs use and their close relatives in torch,
torchmetrics, scikit-learn, Lightning and Optuna) or lie in a package the user named
(`Trust.packages`: ``--trust mylab``, ``trust=[mylab]``).

Interpolations cannot run code either: the resolvers a loaded config can call are
OmegaConf's (``oc.env`` reads a variable, ``oc.decode`` parses YAML safely, ``oc.create``
and ``oc.select`` build and select nodes), Hydra's ``now`` and ``hydra``, and this
package's ``run_uid``, ``job_name`` and ``unless_done``; an interpolation is resolved before
its value is checked, so one that yields a ``_target_`` is checked like a written one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from omegaconf import Container, DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from experiments.config.errors import ConfigError

TARGET_KEY = "_target_"

# The project's own classes, as the shipped configs name them (their public import paths).
PROJECT = (
    "experiments.data.DataModule", "experiments.data.TableFeatures",
    "experiments.data.ImageFeatures", "experiments.data.BagOfWords", "experiments.data.TokenIds",
    "experiments.data.RandomCropFlip",
    "experiments.models.CNN", "experiments.models.Linear", "experiments.models.MLP",
    "experiments.models.NystroemSVM", "experiments.models.RandomFeaturesSVM",
    "experiments.models.ResNet", "experiments.models.TextCNN", "experiments.models.TabularMLP",
    "experiments.models.TabularResNet", "experiments.models.FTTransformer",
    "experiments.style.StyleImages", "experiments.style.ContactSheet",
    "experiments.tasks.ClassificationTask", "experiments.tasks.RegressionTask",
    "experiments.tasks.MulticlassHingeLoss", "experiments.tasks.EpsilonInsensitiveLoss",
    "experiments.tasks.EarlyStopping", "experiments.tasks.FullBatch",
    "experiments.tasks.StopOnConvergence", "experiments.tasks.Schedule",
    "experiments.tasks.callbacks.ThrottledModelCheckpoint",
    "experiments.tasks.callbacks.RandomStateCheckpoint",
    "experiments.tasks.callbacks.FailOnNonFiniteLoss", "experiments.tasks.callbacks.EpochLog",
    "experiments.recsys.RatingsDataModule", "experiments.recsys.BiasBaseline",
    "experiments.recsys.MatrixFactorization", "experiments.recsys.GMF",
    "experiments.recsys.NCFMLP", "experiments.recsys.NeuMF", "experiments.recsys.ItemKNN",
    "experiments.search.OptunaPruning",
)  # fmt: skip

TORCH = (
    *(f"torch.optim.{name}" for name in (
        "SGD", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "NAdam", "RAdam", "RMSprop",
        "LBFGS",
    )),
    *(f"torch.optim.lr_scheduler.{name}" for name in (
        "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR",
        "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR",
        "ReduceLROnPlateau",
    )),
    *(f"torch.nn.{name}" for name in (
        "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
        "BCEWithLogitsLoss", "MultiMarginLoss", "ReLU", "GELU", "SiLU", "Tanh", "Sigmoid",
        "LeakyReLU", "ELU", "Identity", "Dropout",
    )),
)  # fmt: skip

_METRICS = (
    "Accuracy",
    "F1Score",
    "Precision",
    "Recall",
    "AUROC",
    "AveragePrecision",
    "CohenKappa",
    "MatthewsCorrCoef",
    "Specificity",
    "CalibrationError",
)
TORCHMETRICS = (
    *(f"torchmetrics.classification.Multiclass{name}" for name in _METRICS),
    *(f"torchmetrics.classification.Binary{name}" for name in _METRICS),
    *(f"torchmetrics.regression.{name}" for name in (
        "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "R2Score",
        "ExplainedVariance", "PearsonCorrCoef", "SpearmanCorrCoef",
    )),
)  # fmt: skip

SKLEARN = (
    *(f"sklearn.linear_model.{name}" for name in (
        "LogisticRegression", "LinearRegression", "Ridge", "RidgeClassifier", "Lasso",
        "ElasticNet", "SGDClassifier", "SGDRegressor",
    )),
    *(f"sklearn.svm.{name}" for name in ("SVC", "SVR", "LinearSVC", "LinearSVR", "NuSVC", "NuSVR")),
    *(f"sklearn.tree.{name}" for name in ("DecisionTreeClassifier", "DecisionTreeRegressor")),
    *(f"sklearn.ensemble.{name}" for name in (
        "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier",
        "ExtraTreesRegressor", "GradientBoostingClassifier", "GradientBoostingRegressor",
        "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
    )),
    *(f"sklearn.naive_bayes.{name}" for name in (
        "GaussianNB", "MultinomialNB", "BernoulliNB", "ComplementNB",
    )),
    *(f"sklearn.neighbors.{name}" for name in ("KNeighborsClassifier", "KNeighborsRegressor")),
)  # fmt: skip

LIGHTNING = (
    "pytorch_lightning.Trainer",
    "pytorch_lightning.loggers.TensorBoardLogger", "pytorch_lightning.loggers.CSVLogger",
    "pytorch_lightning.loggers.MLFlowLogger",
    "pytorch_lightning.callbacks.EarlyStopping", "pytorch_lightning.callbacks.ModelCheckpoint",
    "pytorch_lightning.callbacks.LearningRateMonitor",
)  # fmt: skip

OPTUNA = tuple(
    f"optuna.pruners.{name}"
    for name in ("MedianPruner", "PercentilePruner", "SuccessiveHalvingPruner", "HyperbandPruner")
)

TRUSTED_TARGETS = frozenset((*PROJECT, *TORCH, *TORCHMETRICS, *SKLEARN, *LIGHTNING, *OPTUNA))


@dataclass(frozen=True)
class Trust:
    """What the user trusts in a run folder beyond `TRUSTED_TARGETS`.

    Attributes:
        packages: import paths whose classes and functions may be instantiated, each a
            package, a module or one exact name (``mylab``, ``mylab.models.Net``).
        pickle: load an old run's pickled estimator (``estimator.joblib``), which runs any
            code it names.
    """

    packages: tuple[str, ...] = ()
    pickle: bool = False

    def allows(self, name: str) -> bool:
        """Whether ``name`` (a dotted import path) may be built from a run folder."""
        return name in TRUSTED_TARGETS or any(
            name == package or name.startswith(package + ".") for package in self.packages
        )


def check_trusted(cfg: DictConfig, trust: Trust, where: str, how: str) -> None:
    """Refuse a config from a run folder that would instantiate anything not trusted.

    Args:
        cfg: the loaded config.
        trust: what the user trusts beyond the allow-list.
        where: the file it came from, for the message.
        how: how the user trusts a package, with ``{package}`` in it
            (``--trust {package}``).

    Raises:
        ConfigError: one problem per untrusted ``_target_``, naming its key and value.
    """
    problems = [
        f"{key}: '{target}' is not a class experiments trusts in a run folder ({where}); "
        "building it could run any code. If you trust the folder's author, allow it with "
        + how.format(package=str(target).partition(".")[0])
        for key, target in _targets(cfg, "")
        if not (isinstance(target, str) and trust.allows(target))
    ]
    if problems:
        raise ConfigError(problems)


def _targets(node: Container, path: str) -> Iterator[tuple[str, object]]:
    """Every ``_target_`` below ``node`` as (key, resolved value); one whose interpolation
    does not resolve comes as its text, so that it is refused."""
    written = OmegaConf.to_container(node, resolve=False)
    keys = written if isinstance(written, dict) else range(len(written))
    for key in keys:
        where = f"{path}[{key}]" if isinstance(node, ListConfig) else f"{path}.{key}".lstrip(".")
        try:
            value = node[key]
        except OmegaConfBaseException:
            if key == TARGET_KEY:
                yield where, written[key]
            continue  # a value that cannot resolve cannot build anything either
        if key == TARGET_KEY:
            yield where, value
        elif isinstance(value, Container):
            yield from _targets(value, where)
