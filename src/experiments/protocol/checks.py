"""Checks of a protocol's input before any job runs: each model's search space against its
composed config, and the data splits the final phase needs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf, open_dict

from experiments.config import ConfigError, instantiate_checked
from experiments.config.checks import check_config
from experiments.kinds import model_kind
from experiments.protocol.run import ModelSearch
from experiments.protocol.space import parse_space
from experiments.stats.verdict import MIN_EVALUATIONS

SPACE_KEY = "search_space"  # under model: override key -> sweep text
# The sections a search space may reach; values are checked against their `_target_`s.
SEARCHED_SECTIONS = ("dataset", "model", "optimizer", "scheduler", "trainer")
_ABSENT = object()


def model_search(cfg: DictConfig, pinned: Iterable[str] = ()) -> ModelSearch:
    """The search of the model composed in ``cfg``, its space read from ``model.search_space``.

    A key of the space must be one of the settings that define a run of the model's kind
    (`ModelKind.describe`: no optimizer for a scikit-learn estimator), and a key of the
    composed config or a parameter of the ``_target_`` of the node it would go into (a
    scikit-learn parameter the YAML leaves at its default). Keys the command line pins
    (``pinned``, e.g. ``trainer.max_epochs=2``) leave the space.

    Raises:
        ConfigError: every bad entry, each naming ``model.search_space.<key>``.
    """
    name = cfg.model.name
    where = f"model.{SPACE_KEY}"
    kind = model_kind(cfg.model)
    cfg = OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])
    if SPACE_KEY not in cfg.model:
        raise ConfigError(
            f"{where}: model '{name}' has none, so the protocol cannot tune it; the protocol "
            "compares models whose config brings a search space (conf/model/*.yaml)"
        )
    space = cfg.model.get(SPACE_KEY) or {}
    if not isinstance(space, DictConfig):
        raise ConfigError(f"{where}: expected a map of override key to sweep (model {name})")
    pinned = set(pinned)
    space = {str(key): text for key, text in space.items() if key not in pinned}
    distributions = parse_space(space, where)
    problems = []
    added = set()
    used = kind.describe(cfg)
    for key in space:
        if not _reaches(used, key):
            problems.append(
                f"{where}.{key}: {kind.name} models do not use {key}; a run of model {name} "
                f"is defined by {', '.join(sorted(used))}"
            )
        elif OmegaConf.select(cfg, key, default=_ABSENT) is _ABSENT:
            parent = OmegaConf.select(cfg, key.rpartition(".")[0], default=None)
            if isinstance(parent, DictConfig) and "_target_" in parent:
                added.add(key)  # its signature is checked below
            else:
                problems.append(f"{where}.{key}: unknown key: model {name}'s config has no {key}")
    if problems:
        raise ConfigError(problems)
    _check_values(cfg, space)
    return ModelSearch(
        name=name,
        space=distributions,
        added=frozenset(added),
        split_seed=cfg.dataset.split_seed,
        seed=cfg.seed,
        in_epochs="max_epochs" in used.get("trainer", {}),
    )


def _reaches(settings: dict[str, Any], key: str) -> bool:
    """Whether a dotted ``key`` is in the nested ``settings``, or would be added to a node
    of them below the top level (its parent is there)."""
    node: Any = settings
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not (isinstance(node, dict) and part in node):
            return 0 < depth == len(parts) - 1 and isinstance(node, dict)
        node = node[part]
    return True


def _check_values(cfg: DictConfig, space: dict[str, Any]) -> None:
    """Put one value of each range into a copy of ``cfg`` (the first choice or the low
    end) and check the copy against the `_target_` signatures: a parameter the target does
    not take, or a value of the wrong type, is named as the search space's."""
    parser = OverridesParser.create()
    trial = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
    with open_dict(trial):
        for key, text in space.items():
            (override,) = parser.parse_overrides([f"{key}={text}"])
            sweep = override.value()
            first = sweep.list[0] if hasattr(sweep, "list") else sweep.start
            if "int" in sweep.tags:
                first = int(first)
            OmegaConf.update(trial, key, first, force_add=True)
    try:
        check_config(trial, SEARCHED_SECTIONS)
    except ConfigError as error:
        keys = [key for key in space if any(p.startswith(f"{key}:") for p in error.problems)]
        raise ConfigError(
            [
                f"model.{SPACE_KEY}.{problem}" if problem.split(":")[0] in keys else problem
                for problem in error.problems
            ]
        ) from None


def verdict_warning(splits: int) -> str | None:
    """Why a protocol over ``splits`` outer splits can reach no verdict, to say before its
    jobs run; None when it can. Between one split (whose test rows decide: a bootstrap over
    them) and `MIN_EVALUATIONS` paired splits, every verdict is ``inconclusive`` whatever the
    scores. Not an error: the tuned scores, their intervals and the budget curves are still
    worth the runs (a smoke test, a first look)."""
    if not 1 < splits < MIN_EVALUATIONS:
        return None
    return (
        f"protocol.splits={splits}: no verdict can come of these runs: a verdict needs at least "
        f"{MIN_EVALUATIONS} paired splits (or a single split, judged on its test rows), so "
        f"every comparison will say inconclusive; the tuned scores and their intervals are "
        f"still reported. For a verdict: protocol.splits={MIN_EVALUATIONS} or more"
    )


def check_splits(dataset: DictConfig, split_seeds: Iterable[int]) -> None:
    """Make (and cache) each split the protocol will use, as its search jobs see it (the
    test rows withheld), so that a split that cannot be made (a class too small to
    stratify, a fraction that leaves a side empty, no validation rows), or a dataset that
    cannot withhold its test rows, stops the protocol before any job runs.

    Raises:
        ConfigError: naming the dataset key, with the split seed.
    """
    for split_seed in split_seeds:
        node = OmegaConf.create(OmegaConf.to_container(dataset, resolve=True))
        node.split_seed = split_seed
        with open_dict(node):
            node.withhold_test = True
        try:
            instantiate_checked(node, "dataset", shuffle_seed=0).load()
        except ConfigError as error:
            raise ConfigError(
                [f"{problem} (dataset.split_seed={split_seed})" for problem in error.problems]
            ) from None


def check_sizes(
    dataset: DictConfig, split_seeds: Iterable[int], sizes: Iterable[int | float]
) -> list[int]:
    """A learning curve's sizes as counts of training rows (`experiments.protocol.curve.
    resolve_sizes`), checked on the train split of each split the curve will use, so that a
    size no job could train on stops the curve before any job runs.

    Raises:
        ConfigError: every bad size, named ``curve.sizes[<i>]``; or a split that cannot be
            made, naming the dataset key.
    """
    from experiments.protocol.curve import resolve_sizes

    counts: list[int] = []
    for split_seed in split_seeds:
        node = OmegaConf.create(OmegaConf.to_container(dataset, resolve=True))
        node.split_seed, node.train_size = split_seed, None
        try:
            data = instantiate_checked(node, "dataset", shuffle_seed=0)
            data.load()
        except ConfigError as error:
            raise ConfigError(
                [f"{problem} (dataset.split_seed={split_seed})" for problem in error.problems]
            ) from None
        targets = data.tensors["train"][1].numpy()
        counts = resolve_sizes(sizes, targets, data.task == "classification", split_seed)
    return counts
