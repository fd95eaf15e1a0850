"""The data module: source -> split -> featurize (fit on train) -> tensors -> batches."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np
import pytorch_lightning as pl
import torch
from datasets import ClassLabel, Dataset, DatasetDict

from experiments.data.batches import TensorBatches
from experiments.data.featurize import ChannelStandardizer, image_array
from experiments.data.sources import load_source
from experiments.data.splits import split_rows
from experiments.errors import ConfigError

KINDS = ("image",)
TASKS = ("classification", "regression")


@dataclass(frozen=True)
class DataShapes:
    """What a network needs to know about the data to size itself."""

    kind: str
    task: str
    in_shape: tuple[int, ...]
    num_outputs: int
    class_names: tuple[str, ...] | None

    @property
    def in_features(self) -> int:
        return prod(self.in_shape)


class DataModule(pl.LightningDataModule):
    """Loads a source once, splits it, featurizes it and serves tensor batches.

    Args:
        name: short name used in logs and results.
        source: ``builtin:<name>`` (see `experiments.data.sources`).
        kind: how inputs are featurized; one of `KINDS`.
        task: ``classification`` or ``regression``.
        input_column: column with the inputs.
        target_column: column with the targets.
        val_size: fraction of rows held out for validation: of all rows, or of the
            source's own train split when it has one.
        test_size: fraction of all rows held out for test, when the source has no test split.
        split_seed: seed of the split, independent of the run seed so that every run is
            scored on the same rows.
        batch_size: training batch size per process.
        eval_batch_size: validation and test batch size.
        shuffle_seed: seed of the per-epoch order of training batches (the run seed).
    """

    def __init__(
        self,
        name: str,
        source: str,
        kind: str,
        task: str,
        input_column: str,
        target_column: str,
        val_size: float = 0.2,
        test_size: float = 0.2,
        split_seed: int = 0,
        batch_size: int = 64,
        eval_batch_size: int = 1024,
        shuffle_seed: int = 0,
    ) -> None:
        super().__init__()
        problems = []
        if kind not in KINDS:
            problems.append(f"dataset.kind: '{kind}' is not one of {', '.join(KINDS)}")
        if task not in TASKS:
            problems.append(f"dataset.task: '{task}' is not one of {', '.join(TASKS)}")
        for key, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
            if not isinstance(value, int) or value < 1:
                problems.append(f"dataset.{key}: expected a positive integer, got {value!r}")
        for key, value in (("val_size", val_size), ("test_size", test_size)):
            if not isinstance(value, int | float) or not 0.0 < value < 1.0:
                problems.append(f"dataset.{key}: {value!r} is not a fraction in (0, 1)")
        if not problems and val_size + test_size >= 1.0:
            problems.append(
                f"dataset.val_size + dataset.test_size: {val_size} + {test_size} leaves no "
                "training rows; expected a sum below 1"
            )
        if problems:
            raise ConfigError(problems)
        self.name = name
        self.source = source
        self.kind = kind
        self.task = task
        self.input_column = input_column
        self.target_column = target_column
        self.val_size = val_size
        self.test_size = test_size
        self.split_seed = split_seed
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.shuffle_seed = shuffle_seed
        self.tensors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def load(self) -> DataShapes:
        """Load, split and featurize, once; later calls return the same shapes.

        Raises:
            ConfigError: the source, a column or the split sizes do not fit the data.
        """
        if not self.tensors:
            splits = self._split(load_source(self.source))
            self._check_columns(splits["train"])
            self.class_names = self._class_names(splits["train"])
            self.tensors = self._featurize(splits)
        inputs, _ = self.tensors["train"]
        return DataShapes(
            kind=self.kind,
            task=self.task,
            in_shape=tuple(inputs.shape[1:]),
            num_outputs=len(self.class_names) if self.class_names else 1,
            class_names=self.class_names,
        )

    @property
    def num_train(self) -> int:
        return len(self.tensors["train"][0])

    def _split(self, source: DatasetDict) -> dict[str, Dataset]:
        stratify = self.task == "classification"
        val_fraction = self.val_size
        if "train" in source and "test" in source:
            train, test = source["train"], source["test"]
        else:
            first = next(iter(source.values()))
            targets = np.asarray(first[self.target_column])
            keep, held = split_rows(targets, self.test_size, self.split_seed, stratify, "test_size")
            train, test = first.select(keep), first.select(held)
            # val_size is a fraction of all rows; here it is taken from what test left
            val_fraction = self.val_size / (1.0 - self.test_size)
        if "validation" in source:
            return {"train": train, "val": source["validation"], "test": test}
        targets = np.asarray(train[self.target_column])
        keep, held = split_rows(targets, val_fraction, self.split_seed, stratify, "val_size")
        return {"train": train.select(keep), "val": train.select(held), "test": test}

    def _check_columns(self, train: Dataset) -> None:
        missing = [
            f"dataset.{key}: no column '{column}'; the data has {', '.join(train.column_names)}"
            for key, column in (
                ("input_column", self.input_column),
                ("target_column", self.target_column),
            )
            if column not in train.column_names
        ]
        if missing:
            raise ConfigError(missing)

    def _class_names(self, train: Dataset) -> tuple[str, ...] | None:
        if self.task != "classification":
            return None
        feature = train.features[self.target_column]
        if isinstance(feature, ClassLabel):
            return tuple(feature.names)
        return tuple(str(v) for v in sorted(set(train[self.target_column])))

    def _targets(self, split: Dataset) -> torch.Tensor:
        values = np.asarray(split[self.target_column])
        if self.task == "regression":
            return torch.from_numpy(values.astype(np.float32))
        return torch.from_numpy(values.astype(np.int64))

    def _featurize(
        self, splits: dict[str, Dataset]
    ) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        images = {name: image_array(split, self.input_column) for name, split in splits.items()}
        scaler = ChannelStandardizer().fit(images["train"])
        return {
            name: (scaler.transform(images[name]), self._targets(split))
            for name, split in splits.items()
        }

    def _batches(self, split: str, train: bool) -> TensorBatches:
        inputs, targets = self.tensors[split]
        rank, world = (
            (self.trainer.global_rank, self.trainer.world_size) if self.trainer else (0, 1)
        )
        return TensorBatches(
            inputs,
            targets,
            batch_size=self.batch_size if train else self.eval_batch_size,
            shuffle=train,
            seed=self.shuffle_seed,
            rank=rank,
            world_size=world,
        )

    def setup(self, stage: str | None = None) -> None:
        self.load()

    def train_dataloader(self) -> TensorBatches:
        return self._batches("train", train=True)

    def val_dataloader(self) -> TensorBatches:
        return self._batches("val", train=False)

    def test_dataloader(self) -> TensorBatches:
        return self._batches("test", train=False)
