"""The Python API beside the command line, for notebooks and a lab's own scripts.

    import experiments
    result = experiments.run(["model=mlp", "seed=1"])        # one run, as experiments-train
    frame = experiments.load_results("outputs/svm_vs_deep")  # every run below a folder
    model = experiments.load("outputs/fair/<date>_<uid>")    # a run, protocol or sweep
    model.predict(table), model.predict_proba(table)           # classes name the columns

A run made here has the same folder as one made by ``experiments-train`` (``.hydra/`` with
the composed config and overrides, ``result.json``, ``tb/``, checkpoints), so
``experiments-eval``, ``experiments-predict`` and ``experiments-compare`` take it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from omegaconf import OmegaConf

from experiments.config import compose_config
from experiments.config.trusted import Trust
from experiments.report.table import find_results, results_frame

if TYPE_CHECKING:
    from experiments.core.predictor import Predictor


def run(
    overrides: list[str] | tuple[str, ...] = (), run_dir: str | Path | None = None
) -> dict[str, Any]:
    """Train, validate and test one configuration, as ``experiments-train`` with the same
    overrides (no sweep: a sweep is ``experiments-train -m``).

    Args:
        overrides: Hydra overrides, e.g. ``["model=svm_rbf", "model.C=10", "seed=2"]``.
        run_dir: the run's folder; by default a new dated folder under
            ``<output_root>/<experiment_name>/``, as the command line makes.

    Returns:
        The run's ``result.json`` content (``status``, ``metrics``, timings, ...), plus
        ``run_dir``. The torch settings the run changes (threads, deterministic
        algorithms) are the caller's again afterwards.

    Raises:
        hydra.errors.ConfigCompositionException: an unknown option or key in ``overrides``.
        ConfigError: bad config or data, found before training (``result.json`` says
            ``failed``).
    """
    from experiments.core import train  # imports Lightning: only when a run is asked
    from experiments.runs.process import torch_settings_kept

    overrides = list(overrides)
    cfg = compose_config(overrides)
    if run_dir is None:
        stamp = f"{datetime.now():%Y-%m-%d_%H-%M-%S}_{secrets.token_hex(3)}"
        run_dir = Path(cfg.output_root) / cfg.experiment_name / stamp
    run_dir = Path(run_dir)
    (run_dir / ".hydra").mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    OmegaConf.save(OmegaConf.create(overrides), run_dir / ".hydra" / "overrides.yaml")
    with torch_settings_kept():  # the caller's threads and determinism, back after the run
        result = train(cfg, run_dir, overrides)
    return result | {"run_dir": str(run_dir)}


def load_results(*folders: str | Path) -> pd.DataFrame:
    """Every run below ``folders`` as one table, as ``results.csv``: one row per run with
    ``job``, ``status``, one column per override key, the metrics under their logged names
    (``test/acc``), ``fit_seconds``, ``test_seconds`` and ``n_params``."""
    paths = [Path(folder) for folder in folders]
    return results_frame(find_results(paths), root=paths[0] if len(paths) == 1 else None)


def load(folder: str | Path, trust: Sequence[str] = (), trust_pickle: bool = False) -> Predictor:
    """A trained model to predict with, as ``experiments-predict ckpt=<folder>``: a run
    folder (or a checkpoint in one), a protocol folder (its ``winner/``: the winning
    configuration trained on all training rows) or a sweep folder (its leaderboard's best
    run); `Predictor.note` says which run a protocol or sweep folder stood for.

    Args:
        folder: the run, protocol or sweep folder.
        trust: packages whose classes the run's config may build beyond the allow-list, as
            ``--trust`` (a folder from elsewhere is data: `experiments.config.trusted`).
        trust_pickle: load an old run's pickled ``estimator.joblib`` (``--trust-pickle``).

    Returns:
        A `Predictor`: ``predict(x)``, ``predict_proba(x)`` (class names as columns) and
        ``decision_function(x)`` (hinge-loss models' margins), where ``x`` is a DataFrame
        with the input columns, a list of texts (text models) or of file paths, or a 2-D
        array of rows in the input columns' order.

    Raises:
        ConfigError: the messages of ``experiments-predict``: no such run, an untrusted
            config or model file, a protocol folder without its winner.
    """
    from experiments.core.predictor import load as load_predictor  # torch: only when asked

    return load_predictor(folder, Trust(packages=tuple(trust), pickle=trust_pickle))
