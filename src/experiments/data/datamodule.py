"""The data module: source -> split -> featurize (fit on train) -> tensors -> batches."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from datasets import Dataset, DatasetDict

from experiments.config.errors import ConfigError
from experiments.config.suggest import did_you_mean
from experiments.data.batches import Augment, Splits, TensorBatches, batch_sizes, on_device
from experiments.data.cache import TensorCache, cache_key, default_cache_dir
from experiments.data.checks import check_no_empty_cells
from experiments.data.class_names import named_classes
from experiments.data.columns import column_values
from experiments.data.fitted import dump_state, file_name, load_state
from experiments.data.rows import TableRows
from experiments.data.shapes import DataShapes, Featurizer
from experiments.data.sources import Source, hub_fingerprint, resolve_source
from experiments.data.splits import split_source, training_subset
from experiments.data.targets import class_indices, class_names, numeric_targets, scale_targets
from experiments.io.atomic import atomic_file

log = logging.getLogger(__name__)
TASKS = ("classification", "regression")
SPLITS = ("train", "val", "test")


class DataModule(pl.LightningDataModule):
    """Loads a source once, splits it, featurizes it and serves tensor batches.

    Processed tensors are cached on disk under a key of (source fingerprint, featurizer
    settings, target settings, split settings): a second run with the same data skips
    loading and featurizing.

    Args:
        name: short name used in logs, results and cache file names.
        source: ``builtin:<name>``, a Hugging Face hub id, a local format (``csv``,
            ``tsv``, ``parquet``, ``json``, ``imagefolder``), or a callable returning rows
            (your own loader); see `resolve_source`.
        features: the featurizer of the input columns (``dataset/features=...``).
        task: ``classification`` or ``regression``; never guessed from the data.
        target_column: column with the class or value to predict.
        path: local file or folder; with a hub id it replaces the hub (same schema).
        data_files: files of the hub repo or of ``path`` to read; None reads all.
        delimiter: the cell delimiter of CSV files; None detects it (`resolve_source`).
        class_names: classification: the names to show for the classes, a list, a mapping
            value -> name, or a file of either (`named_classes`); None: the target's values.
        target_log: regression only: train on ``log(1 + y)``.
        target_standardize: regression only: train on targets standardized with train mean
            and std. Metrics are always reported in the original units.
        val_size: fraction of rows held out for validation: of all rows, or of the
            source's own train split when it has one (and no validation split).
        test_size: fraction of all rows held out for test, when the source has no test split.
        split_seed: seed of the split, independent of the run seed so that every run is
            scored on the same rows.
        train_size: train on a subset of the train split: a count of rows or a fraction;
            seeded by ``split_seed``, stratified for classification, and nested (the rows
            of a smaller size are among those of a larger one), for learning curves.
            Validation and test rows stay the same. None: the whole train split.
        withhold_test: set the test split aside once loaded: the run's test phase scores the
            validation rows again, so that no test row is trained on, validated on or
            scored (the fair protocol's search jobs, whose configuration is not chosen yet).
        train_on_all: train on the train and test rows, all rows but the validation ones
            (which still select the epoch and stop training); the test phase scores the
            validation rows again. The protocol's winner: its estimate is the protocol's.
        batch_size: training batch size per process.
        eval_batch_size: validation and test batch size.
        shuffle_seed: seed of the per-epoch order of training batches (the run seed).
        cache: read and write the processed-data cache.
        cache_dir: folder of the cache; None: ``$EXPERIMENTS_DATA_CACHE`` or
            ``~/.cache/experiments/data``.
        on_device: keep every split on the training device when it fits in half of the
            device's free memory (`on_device`), so that batches are gathers on the GPU;
            false: batches are cut in host memory and copied one at a time.
        augment: batch augmentation of training inputs on the device, e.g.
            `experiments.data.RandomCropFlip` (``+dataset/augment=crop``); None: none.

    Attributes:
        steps_per_call: training batches per item of the train loader (see
            `TensorBatches`); set by the run to what its task steps per ``training_step``.
        shuffle: training batches in a new seeded order each epoch (true by default);
            `experiments.tasks.FullBatch` turns it off: one batch of every row is the same
            whatever its order, and served in order it is the same tensor every epoch.

    Raises:
        ConfigError: every bad setting at once.
    """

    rows = "examples"  # examples: features and a target per row (what `ModelKind.check_data` reads)

    def __init__(
        self,
        name: str,
        source: str | Callable[[], Any],
        features: Featurizer,
        task: str | None,
        target_column: str | None,
        path: str | None = None,
        data_files: str | list[str] | None = None,
        delimiter: str | None = None,
        class_names: Any = None,
        target_log: bool = False,
        target_standardize: bool = False,
        val_size: float = 0.2,
        test_size: float = 0.2,
        split_seed: int = 0,
        train_size: int | float | None = None,
        withhold_test: bool = False,
        train_on_all: bool = False,
        batch_size: int = 64,
        eval_batch_size: int = 1024,
        shuffle_seed: int = 0,
        cache: bool = True,
        cache_dir: str | None = None,
        on_device: bool = True,
        augment: Augment | None = None,
    ) -> None:
        super().__init__()
        _check_settings(features, task, batch_size, eval_batch_size, val_size, test_size)
        self.name = name
        self.source = source
        self.features = features
        self.task = task
        self.target_column = target_column
        self.path = path
        self.data_files = list(data_files) if isinstance(data_files, list | tuple) else data_files
        self.delimiter = delimiter
        self.class_names = class_names
        self.target_log = target_log
        self.target_standardize = target_standardize
        self.val_size = val_size
        self.test_size = test_size
        self.split_seed = split_seed
        self.train_size = train_size
        self.withhold_test = withhold_test
        self.train_on_all = train_on_all
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.shuffle_seed = shuffle_seed
        self.cache = (
            TensorCache(Path(cache_dir) if cache_dir else default_cache_dir()) if cache else None
        )
        self.on_device = on_device
        self.augment = augment
        self.steps_per_call = 1
        self.shuffle = True
        self.tensors: Splits = {}
        self._resident: Splits | None = None  # the splits where batches are cut from
        self.info: dict[str, Any] = {}
        self._fitted = False  # whether `features` was fitted here (a cache hit skips fitting)
        self._fitted_state = b""  # `features`' fitted state as stored in the cache entry
        self._resolved: Source | None = None  # `source`, resolved once (`_source`)

    def load(self) -> DataShapes:
        """Load, split and featurize, once (or read the result from the cache); later calls
        return the same shapes.

        Raises:
            ConfigError: the source, a column, a cell or the split sizes do not fit the data.
        """
        if not self.tensors:
            start = time.perf_counter()
            hit = self._load_or_featurize()
            log.info(
                "data %s: %s in %.2f s", self.name, "cache hit" if hit else "featurized",
                time.perf_counter() - start,
            )  # fmt: skip
            if self.train_on_all:  # after the cache too, whose entry the protocol's runs share
                (inputs, targets), (more, more_targets) = (
                    self.tensors["train"],
                    self.tensors["test"],
                )
                self.tensors["train"] = (
                    torch.cat([inputs, more]),
                    torch.cat([targets, more_targets]),
                )
            if self.withhold_test or self.train_on_all:  # after the cache: the final runs' entry
                self.tensors["test"] = self.tensors["val"]
        inputs, _ = self.tensors["train"]
        return DataShapes(
            kind=self.features.kind,
            task=self.task,
            in_shape=tuple(inputs.shape[1:]),
            num_outputs=len(self.info["class_names"]) if self.task == "classification" else 1,
            class_names=self.info["class_names"]
            and named_classes(tuple(self.info["class_names"]), self.class_names),
            class_values=tuple(self.info["class_names"])
            if self.info["class_names"] and self.class_names is not None
            else None,
            target_mean=self.info["target_mean"],
            target_std=self.info["target_std"],
            target_log=self.info["target_log"],
            vocab_size=self.info.get("vocab_size"),
            max_length=self.info.get("max_length"),
            one_hot_groups=tuple(tuple(group) for group in self.info.get("one_hot_groups", ())),
        )

    def fingerprint(self) -> dict[str, str]:
        """What the rows are, known before loading them: the ``source`` they come from and
        ``rows``, a fingerprint that changes when they can have changed (the bytes of local
        files, a loader's code and arguments; `experiments.data.fingerprint`). Part of the
        run's identity.

        Raises:
            ConfigError: the source cannot be resolved (a missing path, an unknown built-in).
        """
        source = self._source()
        return {"source": source.description, "rows": source.identity}

    def _source(self) -> Source:
        if self._resolved is None:
            self._resolved = resolve_source(self.source, self.path, self.data_files, self.delimiter)
        return self._resolved

    def fitted_features(self) -> Featurizer:
        """The featurizer fitted on the train split, to `transform` new rows (predictions).

        After a cache hit it is restored from the fitted state stored with the tensors.
        """
        if not self._fitted:
            self.features.restore(load_state(self._fitted_state, f"data cache entry {self.name}"))
            self._fitted = True
        return self.features

    def save_fitted(self, run_dir: Path, shapes: DataShapes) -> Path:
        """Write the fitted featurizer and the data's shapes to ``<run_dir>/featurizer.npz``
        or ``featurizer.skops`` (atomically; `experiments.data.fitted`): what predicting
        needs from the data (`load_fitted`)."""
        state = {"features": self.fitted_features().fitted_state(), "shapes": asdict(shapes)}
        data = dump_state(state)
        final = run_dir / file_name(data)
        with atomic_file(final, "wb") as file:
            file.write(data)
        return final

    @property
    def num_train(self) -> int:
        return len(self.tensors["train"][0])

    @property
    def batches_per_epoch(self) -> int:
        """Training batches per epoch in one process (the last one may be smaller)."""
        return len(batch_sizes(self.num_train, self.batch_size, training=True))

    def _settings(self) -> dict[str, Any]:
        """Everything besides the source that the processed tensors depend on."""
        featurizer = self.features
        return {
            "features": type(featurizer).__name__,
            **{f.name: getattr(featurizer, f.name) for f in fields(featurizer) if f.init},
            "task": self.task,
            "target_column": self.target_column,
            "target_log": self.target_log,
            "target_standardize": self.target_standardize,
            "split": [self.split_seed, self.val_size, self.test_size, self.train_size],
        }

    def _load_or_featurize(self) -> bool:
        """Fill ``tensors`` and ``info``; True when they came from the cache."""
        problems = [
            f"dataset.{key}: not set; expected {expected}"
            for key, value, expected in (
                ("task", self.task, " or ".join(TASKS)),
                ("target_column", self.target_column, "the name of the column to predict"),
            )
            if value is None
        ]
        try:
            source = self._source()
        except ConfigError as error:
            problems += error.problems
        if problems:
            raise ConfigError(problems)
        loaded = None
        fingerprint = source.fingerprint
        if fingerprint is None:
            loaded = source.load()
            fingerprint = hub_fingerprint(loaded)
        key = cache_key({"source": fingerprint, **self._settings()})
        entry = self.cache.read(self.name, key) if self.cache else None
        hit = entry is not None
        if not hit:
            entry = self._featurize(loaded if loaded is not None else source.load())
            if self.cache:
                self.cache.write(self.name, key, entry)
        self.tensors = {name: (entry["inputs"][name], entry["targets"][name]) for name in SPLITS}
        self.info = entry["info"]
        self._fitted_state = entry["featurizer"].numpy().tobytes()
        return hit

    def _featurize(self, source: DatasetDict) -> dict[str, Any]:
        """The cache entry: inputs and targets per split, and what the shapes need."""
        if getattr(self.features, "columnar", False):
            source = {name: TableRows.of(split) for name, split in source.items()}
        columns = self._check_columns(next(iter(source.values())).column_names)
        checked = [("dataset.target_column", self.target_column)]
        if not self.features.handles_missing:
            checked += [("dataset.features", column) for column in columns]
        check_no_empty_cells(dict(source), checked)
        if self.task == "regression":  # checked before splitting: rows in the source's numbering
            numeric_targets(dict(source), self.target_column)
        splits = self._split(source)
        info: dict[str, Any] = {"class_names": None}
        if self.task == "classification":
            info["class_names"] = class_names(splits["train"], self.target_column)
            targets = class_indices(splits, self.target_column, info["class_names"])
            info |= {"target_mean": 0.0, "target_std": 1.0, "target_log": False}
        else:
            values = numeric_targets(splits, self.target_column)
            targets, scale = scale_targets(values, self.target_log, self.target_standardize)
            info |= scale
        inputs = {"train": self.features.fit_transform(splits["train"].select_columns(columns))}
        inputs |= {
            name: self.features.transform(split.select_columns(columns), name)
            for name, split in splits.items()
            if name != "train"
        }
        self._fitted = True
        info |= self.features.shape_info()
        fitted = dump_state(self.features.fitted_state())
        # bytes as a tensor: the cache is read with weights_only=True (tensors and plain values)
        featurizer = torch.frombuffer(bytearray(fitted), dtype=torch.uint8)
        return {"inputs": inputs, "targets": targets, "info": info, "featurizer": featurizer}

    def _check_columns(self, available: list[str]) -> list[str]:
        """The featurizer's input columns, after checking that they and the target exist."""
        wanted = {"dataset.target_column": [self.target_column]}
        wanted["dataset.features"] = self.features.columns(available, self.target_column)
        present = set(available)  # a set: tables may have 100,000 columns
        missing = [
            f"{key}: no column '{column}'{did_you_mean(column, available)}; the data has "
            f"{', '.join(available)}"
            for key, columns in wanted.items()
            for column in columns
            if column not in present
        ]
        if missing:
            raise ConfigError(missing)
        return wanted["dataset.features"]

    def _split(self, source: DatasetDict) -> dict[str, Dataset]:
        stratify = self.task == "classification"
        splits = split_source(
            source, self.target_column, stratify, self.val_size, self.test_size, self.split_seed
        )
        if self.train_size is not None:
            targets = np.asarray(column_values(splits["train"], self.target_column))
            rows = training_subset(targets, self.train_size, self.split_seed, stratify)
            splits["train"] = splits["train"].select(rows)
        return splits

    def _batches(self, split: str, train: bool) -> TensorBatches:
        if self._resident is None:
            device = self.trainer.strategy.root_device if self.trainer else torch.device("cpu")
            self._resident = on_device(self.tensors, device) if self.on_device else self.tensors
        inputs, targets = self._resident[split]
        rank, world = (
            (self.trainer.global_rank, self.trainer.world_size) if self.trainer else (0, 1)
        )
        return TensorBatches(
            inputs,
            targets,
            batch_size=self.batch_size if train else self.eval_batch_size,
            shuffle=train and self.shuffle,
            seed=self.shuffle_seed,
            rank=rank,
            world_size=world,
            augment=self.augment if train else None,
            steps_per_call=self.steps_per_call if train else 1,
        )

    def setup(self, stage: str | None = None) -> None:
        self.load()

    def train_dataloader(self) -> TensorBatches:
        return self._batches("train", train=True)

    def val_dataloader(self) -> TensorBatches:
        return self._batches("val", train=False)

    def test_dataloader(self) -> TensorBatches:
        return self._batches("test", train=False)


def _check_settings(
    features: Featurizer,
    task: str | None,
    batch_size: int,
    eval_batch_size: int,
    val_size: float,
    test_size: float,
) -> None:
    """Raise a `ConfigError` listing every bad data-module setting at once."""
    problems = []
    # task and target_column may be left unset in a config (local-file configs): that is
    # reported when data is loaded, so that such a config still composes and instantiates.
    if task is not None and task not in TASKS:
        problems.append(f"dataset.task: '{task}' is not one of {', '.join(TASKS)}")
    for key, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
        if not isinstance(value, int) or value < 1:
            problems.append(f"dataset.{key}: expected a positive integer, got {value!r}")
    for key, value in (("val_size", val_size), ("test_size", test_size)):
        if not isinstance(value, int | float) or not 0.0 < value < 1.0:
            problems.append(f"dataset.{key}: {value!r} is not a fraction in (0, 1)")
    if not is_dataclass(features):
        problems.append(
            f"dataset.features: {type(features).__name__} is not a dataclass; a "
            "featurizer's settings are its dataclass fields (the cache key; see "
            "experiments.data.Featurizer)"
        )
    if not problems and val_size + test_size >= 1.0:
        problems.append(
            f"dataset.val_size + dataset.test_size: {val_size} + {test_size} leaves no "
            "training rows; expected a sum below 1"
        )
    if problems:
        raise ConfigError(problems)
