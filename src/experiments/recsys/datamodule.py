"""`RatingsDataModule`: a ratings table -> checked -> split -> indexed -> tensor batches."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch

from experiments.config.errors import ConfigError
from experiments.data.batches import TensorBatches
from experiments.data.fingerprint import files_digest
from experiments.recsys.ratings import (
    DUPLICATES,
    ITEM,
    RATING,
    SPLITS,
    USER,
    IdIndex,
    check_ratings,
    read_table,
    select_columns,
    split_ratings,
)

log = logging.getLogger(__name__)
OBJECTIVES = ("rating", "ranking")


@dataclass(frozen=True)
class RatingsShapes:
    """What a recommender network and its task need to know about the data.

    ``num_users`` and ``num_items`` count index 0, which stands for ids that training never
    saw (see `IdIndex`).
    """

    objective: str  # rating: predict the rating; ranking: rank the items a user will pick
    num_users: int
    num_items: int
    num_train: int
    global_mean: float  # mean training rating; 0 for ranking (scores are logits)
    rating_scale: tuple[float, float] | None  # predictions are clipped to it (rating only)

    kind = "recommender"

    @property
    def task(self) -> str:
        return self.objective


class RatingsDataModule(pl.LightningDataModule):
    """Serves a ratings table as batches of ``(user, item)`` index pairs.

    Training batches are ``(pairs (batch, 2), ratings (batch,))``; for ``ranking`` the
    targets are 1 (observed interactions) and the task samples negatives. Validation and
    test batches are, for ``rating``, pairs and ratings like training; for ``ranking``,
    rows ``[user, held-out item, eval_negatives items]`` (shape ``(batch, 2 +
    eval_negatives)``): the negatives are drawn once, seeded by ``split_seed``, among the
    items the user never interacted with in any split (He et al. 2017's protocol).

    Args:
        name: short name in logs and results.
        path: the ratings file (``.csv``, ``.tsv``, ``.parquet``), or a folder holding
            ``ratings_file``.
        user_column: the column of user ids.
        item_column: the column of item ids.
        rating_column: the column of ratings; None: implicit feedback (``ranking`` only).
        timestamp_column: the column of times (any sortable values); needed by the splits
            ``by_time`` and ``leave_last_out`` and by ``duplicates=last``.
        ratings_file: the ratings file inside a ``path`` folder.
        items_file: a table of items inside the ``path`` folder (or a path) with titles;
            None: items are shown by id.
        item_title_column: the title column of ``items_file`` (its id column is
            ``item_column``).
        rating_scale: ``[lowest, highest]`` rating: ratings outside are refused, and
            predictions are clipped to it.
        duplicates: repeated (user, item) rows: ``last`` keeps the latest, ``mean`` averages,
            ``error`` refuses (see `check_ratings`).
        objective: ``rating`` (squared error; RMSE, MAE) or ``ranking`` (sampled negatives;
            HR@10, NDCG@10); None: ``rating`` when there is a rating column, else ``ranking``.
        split: ``random``, ``by_time`` or ``leave_last_out`` (see `split_ratings`).
        test_size: fraction of rows held out for test (``random`` and ``by_time``).
        val_size: fraction of the remaining rows held out for validation; 0: none.
        split_seed: seed of the split and of the evaluation negatives.
        withhold_test: score the validation rows in the test phase, so that no test row is
            trained on, validated on or scored (the fair protocol's search jobs).
        train_on_all: train on the train and test rows; the test phase scores the
            validation rows (the fair protocol's winner).
        eval_negatives: items ranked against each held-out item (``ranking``).
        batch_size: training pairs per batch.
        eval_batch_size: validation and test rows per batch.
        shuffle_seed: seed of the per-epoch order of training batches (the run seed).

    Raises:
        ConfigError: every bad setting at once.
    """

    rows = "ratings"  # user-item ratings (what `ModelKind.check_data` reads)

    def __init__(
        self,
        name: str,
        path: str | None,
        user_column: str | None,
        item_column: str | None,
        rating_column: str | None = None,
        timestamp_column: str | None = None,
        ratings_file: str | None = None,
        items_file: str | None = None,
        item_title_column: str | None = None,
        rating_scale: list[float] | None = None,
        duplicates: str = "last",
        objective: str | None = None,
        split: str = "random",
        test_size: float = 0.2,
        val_size: float = 0.1,
        split_seed: int = 0,
        withhold_test: bool = False,
        train_on_all: bool = False,
        eval_negatives: int = 100,
        batch_size: int = 1024,
        eval_batch_size: int = 4096,
        shuffle_seed: int = 0,
    ) -> None:
        super().__init__()
        problems = []
        choices = (("split", split, SPLITS), ("duplicates", duplicates, DUPLICATES))
        choices += (("objective", objective, (*OBJECTIVES, None)),)
        problems += [
            f"dataset.{key}: '{value}' is not one of {', '.join(str(c) for c in allowed)}"
            for key, value, allowed in choices
            if value not in allowed
        ]
        if objective == "rating" and rating_column is None:
            problems.append(
                "dataset.objective=rating needs dataset.rating_column; without ratings "
                "(implicit feedback) use dataset.objective=ranking"
            )
        for key, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
            if not isinstance(value, int) or value < 1:
                problems.append(f"dataset.{key}: expected a positive integer, got {value!r}")
        if not isinstance(eval_negatives, int) or eval_negatives < 1:
            problems.append(
                f"dataset.eval_negatives: expected a positive integer, got {eval_negatives!r}"
            )
        if not isinstance(test_size, int | float) or not 0.0 < test_size < 1.0:
            problems.append(f"dataset.test_size: {test_size!r} is not a fraction in (0, 1)")
        if not isinstance(val_size, int | float) or not 0.0 <= val_size < 1.0:
            problems.append(f"dataset.val_size: {val_size!r} is not a fraction in [0, 1)")
        if rating_scale is not None and (
            len(rating_scale) != 2 or not rating_scale[0] < rating_scale[1]
        ):
            problems.append(
                f"dataset.rating_scale: expected [lowest, highest], got {list(rating_scale)}"
            )
        if problems:
            raise ConfigError(problems)
        self.name = name
        self.path = path
        self.columns = (user_column, item_column, rating_column, timestamp_column)
        self.ratings_file = ratings_file
        self.items_file = items_file
        self.item_title_column = item_title_column
        self.rating_scale = tuple(rating_scale) if rating_scale is not None else None
        self.duplicates = duplicates
        self.objective = objective or ("rating" if rating_column else "ranking")
        self.split = split
        self.test_size = test_size
        self.val_size = val_size
        self.split_seed = split_seed
        self.withhold_test = withhold_test
        self.train_on_all = train_on_all
        self.eval_negatives = eval_negatives
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.shuffle_seed = shuffle_seed
        self.tensors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.users: IdIndex | None = None
        self.items: IdIndex | None = None
        self.titles: dict[object, str] = {}
        self.shapes: RatingsShapes | None = None

    def _ratings_path(self) -> Path:
        if self.path is None:
            raise ConfigError("dataset.path: not set; expected a ratings file or folder")
        path = Path(self.path).expanduser()
        if path.is_dir():
            if self.ratings_file is None:
                raise ConfigError(
                    f"dataset.path: {path} is a folder; set dataset.ratings_file to the file in it"
                )
            return path / self.ratings_file
        return path

    def fingerprint(self) -> dict[str, str]:
        """What the ratings are: the bytes of the ratings file and of ``items_file``
        (`experiments.data.fingerprint`); part of the run's identity.

        Raises:
            ConfigError: a file is missing.
        """
        path = self._ratings_path()
        files = [path, *([path.parent / self.items_file] if self.items_file else [])]
        if missing := [str(file) for file in files if not file.is_file()]:
            raise ConfigError(f"dataset.path: no file {', '.join(missing)}")
        return {"source": f"ratings:{path}", "rows": f"sha256-{files_digest(path, files)[:32]}"}

    def load(self) -> RatingsShapes:
        """Read, check, split and index the table once; later calls return the same shapes.

        Raises:
            ConfigError: a missing column, a bad cell, a rating outside the scale, a duplicate
                with ``duplicates=error``, or a split that leaves a user nothing to train on.
        """
        if self.shapes is not None:
            return self.shapes
        user_column, item_column, rating_column, timestamp_column = self.columns
        missing = [
            f"dataset.{key}: not set; expected the name of the column of {what}"
            for key, value, what in (
                ("user_column", user_column, "user ids"),
                ("item_column", item_column, "item ids"),
            )
            if value is None
        ]
        if missing:
            raise ConfigError(missing)
        path = self._ratings_path()
        table = select_columns(
            read_table(path), path.name, user_column, item_column, rating_column, timestamp_column
        )
        table = check_ratings(table, self.rating_scale, self.duplicates)
        splits = split_ratings(table, self.split, self.test_size, self.val_size, self.split_seed)
        if self.train_on_all:
            splits["train"] = pd.concat([splits["train"], splits["test"]], ignore_index=True)
        self.users, self.items = (
            IdIndex.of(splits["train"][USER]),
            IdIndex.of(splits["train"][ITEM]),
        )
        train = splits["train"]
        ranking = self.objective == "ranking"
        global_mean = 0.0 if ranking else float(train[RATING].mean())
        self.tensors = {"train": self._pairs(train, ranking)}
        for name in ("val", "test"):
            self.tensors[name] = (
                self._candidates(splits[name], table)
                if ranking
                else self._pairs(splits[name], False)
            )
        if self.withhold_test or self.train_on_all:
            self.tensors["test"] = self._withheld(splits["val"])
        self.popularity = np.bincount(self.items.indices(train[ITEM]), minlength=len(self.items))
        self.rated = self._rated(table)
        self.titles = self._titles()
        self.shapes = RatingsShapes(
            objective=self.objective,
            num_users=len(self.users),
            num_items=len(self.items),
            num_train=len(train),
            global_mean=global_mean,
            rating_scale=self.rating_scale if not ranking else None,
        )
        log.info(
            "data %s: %d users, %d items; %s split: train %d, val %d, test %d rows (%s)",
            self.name, len(self.users) - 1, len(self.items) - 1, self.split,
            len(train), len(splits["val"]), len(splits["test"]), self.objective,
        )  # fmt: skip
        return self.shapes

    def _withheld(self, val: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        """What the test phase scores when the test rows are withheld: the validation rows.

        Raises:
            ConfigError: there are none (``val_size=0``).
        """
        if len(val) == 0:
            raise ConfigError(
                "dataset.withhold_test: the test rows are withheld, but there are no "
                f"validation rows to score instead (dataset.val_size={self.val_size}); "
                "expected val_size > 0"
            )
        return self.tensors["val"]

    def save_fitted(self, run_dir: Path, shapes: RatingsShapes) -> None:
        """Nothing to save: a recommender's predictions read the run's ratings again (the
        id maps, what each user rated, the titles), as `DataModule.save_fitted` is for
        featurizers of inputs."""

    def fitted_features(self) -> None:
        """None: ratings are user and item ids, with no featurizer of inputs."""

    def _pairs(self, rows: pd.DataFrame, implicit: bool) -> tuple[torch.Tensor, torch.Tensor]:
        pairs = np.stack([self.users.indices(rows[USER]), self.items.indices(rows[ITEM])], axis=1)
        targets = np.ones(len(rows)) if implicit else rows[RATING].to_numpy()
        return torch.from_numpy(pairs), torch.tensor(targets, dtype=torch.float32)

    def _candidates(
        self, rows: pd.DataFrame, table: pd.DataFrame
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``[user, held-out item, negatives...]`` rows (see the class docstring)."""
        seen = table.assign(u=self.users.indices(table[USER]), i=self.items.indices(table[ITEM]))
        seen_by_user = seen.groupby("u")["i"].agg(lambda items: set(items.tolist()))
        rng = np.random.default_rng(self.split_seed)
        known = len(self.items) - 1
        users = self.users.indices(rows[USER])
        negatives = np.empty((len(rows), self.eval_negatives), dtype=np.int64)
        for row, user in enumerate(users):
            exclude = seen_by_user.get(user, set())
            if known - len(exclude) < self.eval_negatives:
                raise ConfigError(
                    f"dataset.eval_negatives={self.eval_negatives}: user "
                    f"{rows[USER].iloc[row]} has only {known - len(exclude)} items left "
                    "to rank against; lower it"
                )
            picked: list[int] = []
            while len(picked) < self.eval_negatives:
                draw = rng.integers(1, known + 1, size=2 * self.eval_negatives)
                picked += [
                    i for i in dict.fromkeys(draw.tolist()) if i not in exclude and i not in picked
                ]
            negatives[row] = picked[: self.eval_negatives]
        candidates = np.column_stack([users, self.items.indices(rows[ITEM]), negatives])
        return torch.from_numpy(candidates), torch.zeros(len(rows))

    def _rated(self, table: pd.DataFrame) -> dict[int, np.ndarray]:
        """The known item indices each known user index rated, in any split."""
        users, items = self.users.indices(table[USER]), self.items.indices(table[ITEM])
        keep = (users > 0) & (items > 0)
        users, items = users[keep], items[keep]
        order = np.argsort(users, kind="stable")
        bounds = np.flatnonzero(np.diff(users[order])) + 1
        return {
            int(users[order][group[0]]): items[order][group]
            for group in np.split(np.arange(len(order)), bounds)
        }

    def _titles(self) -> dict[object, str]:
        """Item id -> title from ``items_file``; empty without one."""
        if self.items_file is None:
            return {}
        base = Path(self.path).expanduser()
        path = (base if base.is_dir() else base.parent) / self.items_file
        table = read_table(path)
        item_column = self.columns[1]
        wanted = [item_column, self.item_title_column]
        missing = [c for c in wanted if c not in table.columns]
        if missing:
            raise ConfigError(
                f"dataset.items_file: {path.name} has no column {', '.join(map(repr, missing))}; "
                f"its columns are {', '.join(map(str, table.columns))}"
            )
        return dict(
            zip(table[item_column].tolist(), table[self.item_title_column].tolist(), strict=True)
        )

    def item_label(self, index: int) -> str:
        """The title of an item index (its id when there is no title), for people to read."""
        if index == 0:
            return "(unknown item)"
        item = self.items.id_of(index)
        return str(self.titles.get(item, item))

    def _batches(self, split: str, train: bool) -> TensorBatches:
        inputs, targets = self.tensors[split]
        return TensorBatches(
            inputs,
            targets,
            batch_size=self.batch_size if train else self.eval_batch_size,
            shuffle=train,
            seed=self.shuffle_seed,
        )

    def setup(self, stage: str | None = None) -> None:
        self.load()

    def train_dataloader(self) -> TensorBatches:
        return self._batches("train", train=True)

    def val_dataloader(self) -> TensorBatches | list:
        # val_size=0: no validation split; Lightning skips validation for an empty list.
        return self._batches("val", train=False) if len(self.tensors["val"][0]) else []

    def test_dataloader(self) -> TensorBatches:
        return self._batches("test", train=False)
