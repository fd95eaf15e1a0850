"""A trained run, loaded back from its folder to be evaluated again or to predict.

A run folder holds the composed config Hydra saved (``.hydra/config.yaml``) and the trained
model its kind saved (`experiments.kinds`: ``checkpoints/last.ckpt`` for networks, loaded
with ``weights_only=True``; ``estimator.skops`` for fitted estimators, loaded with skops'
type checks). A folder from elsewhere is data: its config is instantiated only when every
``_target_`` in it is trusted (`experiments.config.trusted`), and an old run's pickled
``estimator.joblib`` only when the user says so (`Trust`).

A protocol folder stands for its ``winner/`` run (`experiments.protocol.winner`), a sweep
folder for the best run of its leaderboard (`best_run`); the choice is said in
`SavedRun.note`.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from omegaconf import DictConfig, OmegaConf

from experiments.config import ConfigError, instantiate_checked
from experiments.config.trusted import Trust, check_trusted
from experiments.data import DataShapes, Featurizer, load_fitted
from experiments.kinds import ModelKind, Outputs, model_kind
from experiments.kinds.estimator_file import ESTIMATOR_FILE, PICKLED_FILE
from experiments.protocol.winner import WINNER_DIR
from experiments.runs.process import prepare_torch

if TYPE_CHECKING:  # Lightning's: a run loaded to predict without its data imports none of it
    from experiments.data import DataModule

CONFIG_FILE = Path(".hydra") / "config.yaml"
TRUST_FLAG = "--trust {package}"  # how `experiments-predict` and `-eval` trust a package


def run_folder(path: Path) -> tuple[Path, str | None]:
    """The run that ``path`` stands for, and a note saying which when it is not ``path``
    itself: a protocol folder's ``winner/`` (its winning configuration trained on all
    training rows), or a sweep folder's best run (`best_run`).

    Raises:
        ConfigError: a protocol folder without a finished ``winner/`` run.
    """
    if not path.is_dir() or (path / CONFIG_FILE).is_file():
        return path, None
    # Imported here: the report package (tables, statistics: seconds of a process start) is
    # for protocol and sweep folders; a run folder predicts without it.
    from experiments.report.protocol.runs import is_protocol_folder

    if is_protocol_folder(path):
        winner = path / WINNER_DIR
        if not (winner / CONFIG_FILE).is_file():
            raise ConfigError(
                f"ckpt: protocol folder '{path}' has no {WINNER_DIR}/ run (a protocol made "
                "before the winner phase, or one stopped before it); re-run the protocol "
                "into the same folder to train it, or give one of its final/ job folders"
            )
        return winner, (
            f"protocol folder: using its winner, {_described(winner)}, trained on all "
            "training rows (its test split is its validation rows: the protocol's report.md "
            "has the estimate)"
        )
    best = best_run(path)
    if best is None:
        return path, None  # `locate` says what is wrong with the folder
    return best, f"sweep folder: using its leaderboard's best run, {_described(best)}"


def best_run(sweep_dir: Path) -> Path | None:
    """The run the sweep's leaderboard puts first: the finished runs grouped by what they
    ran (the config less the seed), the group best on the monitored metric (mean over its
    seeds), and in it the run best on that metric; None when no run below recorded one."""
    from experiments.report.run_identity import config_id  # see `run_folder`
    from experiments.report.table import find_results

    scored = []
    for run_dir, result in find_results([sweep_dir]):
        monitor = result.get("monitor")
        value = (result.get("metrics") or {}).get(monitor)
        if result.get("status") == "done" and isinstance(value, int | float):
            sign = -1.0 if result.get("monitor_mode") == "min" else 1.0
            scored.append((config_id(run_dir), sign * float(value), run_dir))
    if not scored:
        return None
    groups: dict[str | None, list[float]] = {}
    for group, score, _ in scored:
        groups.setdefault(group, []).append(score)
    best_group = max(groups, key=lambda group: sum(groups[group]) / len(groups[group]))
    return max((s for s in scored if s[0] == best_group), key=lambda s: s[1])[2]


def _described(run_dir: Path) -> str:
    """``run_dir`` and its model and overrides, for the note that names a chosen run."""
    config = OmegaConf.load(run_dir / CONFIG_FILE)
    return f"model {config.model.name} ({run_dir})"


def locate(ckpt: str | Path) -> tuple[Path, Path]:
    """The run folder and model file that ``ckpt`` names.

    Args:
        ckpt: a run folder (its kind's model file: ``checkpoints/last.ckpt``, or
            ``estimator.skops`` for fitted estimators; an older run's ``estimator.joblib``),
            or a model file inside one (e.g. ``<run>/checkpoints/best.ckpt``).

    Raises:
        ConfigError: no such path, no run folder, or the run saved no model.
    """
    path = Path(ckpt)
    if not path.exists():
        raise ConfigError(f"ckpt: '{path}' does not exist; expected a run folder or a .ckpt file")
    candidates = [path] if path.is_dir() else list(path.parents)[:2]
    run_dir = next((p for p in candidates if (p / CONFIG_FILE).is_file()), None)
    if run_dir is None:
        where = "is not a run folder" if path.is_dir() else "is not inside a run folder"
        raise ConfigError(
            f"ckpt: '{path}' {where} (no {CONFIG_FILE}); expected the folder of one run, "
            "e.g. outputs/default/<date>_<time>_<uid>, or one job folder of a sweep"
        )
    if path.is_file():
        return run_dir, path
    kind = model_kind(OmegaConf.load(run_dir / CONFIG_FILE).model)
    model_file = run_dir / kind.model_file
    if kind.model_file == ESTIMATOR_FILE and not model_file.is_file():
        model_file = run_dir / PICKLED_FILE  # loaded only when trusted (`Trust.pickle`)
    if not model_file.is_file():
        raise ConfigError(
            f"ckpt: run '{run_dir}' has no {kind.model_file}: {kind.missing_model_hint}"
        )
    return run_dir, model_file


@dataclass
class SavedRun:
    """A run's config, data (its splits, as in training) and trained model.

    Use `load_run` to make one.
    """

    run_dir: Path
    model_file: Path
    cfg: DictConfig
    kind: ModelKind
    datamodule: DataModule | None  # None when loaded to predict only (`load_run`)
    features: Featurizer  # fitted on the run's train split
    shapes: DataShapes
    model: Any
    note: str | None = None  # which run a protocol or sweep folder stood for (`run_folder`)

    @property
    def is_default_model(self) -> bool:
        """Whether this is the model the run's own ``result.json`` was tested with."""
        default = self.run_dir / self.kind.model_file
        return self.model_file in (default, self.run_dir / PICKLED_FILE)

    def test_metrics(self) -> tuple[dict[str, float], float]:
        """The test-split metrics, computed as the run computed them, and the seconds taken.

        Raises:
            ConfigError: the run's settings do not work here (e.g. a GPU run on a machine
                without one).
        """
        start = time.perf_counter()
        metrics = self.kind.score(self.model, self.cfg, self.datamodule, self.shapes)
        return dict(sorted(metrics.items())), time.perf_counter() - start

    def predict(self, inputs: torch.Tensor) -> Outputs:
        """The model's outputs for featurized ``inputs`` (from the run's fitted featurizer)."""
        return self.kind.predict(self.model, self.cfg, self.shapes, inputs)


def load_run(ckpt: str | Path, with_data: bool = True, trust: Trust | None = None) -> SavedRun:
    """Rebuild a run from its folder: its data module (same split seed, so the same test
    rows) and its trained model. Sets torch's thread count to the run's, and with the data
    its seeds too, so that metrics come out as in the run.

    Args:
        ckpt: a run folder or a model file inside one (see `locate`); a protocol folder
            (its ``winner/``) or a sweep folder (its best run): see `run_folder`.
        with_data: load the run's data (to score its test split); False: only the fitted
            featurizer and shapes the run saved (``featurizer.npz`` or ``.skops``), to predict without
            the training data. Networks built from training rows (Nystroem landmarks,
            ``gamma: scale``), and datasets without a featurizer (ratings, the images of a
            style transfer), load the data either way.
        trust: what the user trusts in the folder beyond the allow-list (`Trust`); None:
            nothing.

    Raises:
        ConfigError: no such run or model file; a config that names an untrusted
            ``_target_``; a file that is no model of the run's kind, names untrusted types,
            or does not fit the run's model; the run's data (or saved featurizer) cannot be
            loaded.
    """
    chosen, note = run_folder(Path(ckpt))
    run_dir, model_file = locate(chosen)
    cfg = OmegaConf.load(run_dir / CONFIG_FILE)
    trust = trust or Trust()
    check_trusted(cfg, trust, str(run_dir / CONFIG_FILE), TRUST_FLAG)
    kind = model_kind(cfg.model)
    if with_data:
        prepare_torch(cfg.threads, cfg.seed)
    else:  # answers need no seed (a network's random buffers are the checkpoint's)
        torch.set_num_threads(cfg.threads)
    datamodule = None
    if with_data or "features" not in cfg.dataset or _built_from_rows(cfg.model):
        datamodule = instantiate_checked(cfg.dataset, "dataset", shuffle_seed=cfg.seed)
        shapes = datamodule.load()
        features = datamodule.fitted_features()
    else:
        features = instantiate_checked(cfg.dataset.features, "dataset.features")
        shapes = load_fitted(run_dir, features)
    model = kind.load(cfg, datamodule, shapes, model_file, trust)
    return SavedRun(run_dir, model_file, cfg, kind, datamodule, features, shapes, model, note)


def _built_from_rows(model: DictConfig) -> bool:
    """Whether the model's network takes ``train_inputs`` when it is built."""
    if "net" not in model:
        return False
    factory = instantiate_checked(model.net, "model.net")
    return "train_inputs" in inspect.signature(factory).parameters
