"""Optuna searches: configs, pruning inside a run, an interrupted study that resumes, and a
study name that is never reused for another search."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.plugins.launcher import Launcher
from hydra.utils import get_class
from omegaconf import OmegaConf
from optuna.trial import TrialState
from sklearn.datasets import load_wine

from experiments.config import ConfigError, config_options
from experiments.core import train
from experiments.search.study import check_study, search_identity
from hydra_plugins.experiments_optuna_sweeper.optuna_sweeper import distribution

from .conftest import FAST, compose_config

SEARCHES = config_options("hparams_search")
LAUNCHERS = config_options("launcher")


@pytest.mark.parametrize("search", SEARCHES)
def test_search_composes_with_study_and_space(search: str, tmp_path: Path) -> None:
    cfg = compose_config(
        [f"hparams_search={search}", f"output_root={tmp_path}"], return_hydra_config=True
    )
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper")
    assert cfg.hydra.sweep.dir == f"{tmp_path}/search/{cfg.search.study_name}"
    assert cfg.search.storage == f"sqlite:///{tmp_path}/search/{cfg.search.study_name}/study.db"
    assert cfg.callbacks.optuna_pruning.trial is None
    parser = OverridesParser.create()
    for key, text in cfg.hydra.sweeper.params.items():
        (override,) = parser.parse_overrides([f"{key}={text}"])
        distribution(override)  # every range converts to an Optuna distribution
        assert OmegaConf.select(cfg, key, default="missing") != "missing", f"{key} is no key"
    assert (search == "optuna") == (not cfg.hydra.sweeper.params)


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_launcher_composes(launcher: str) -> None:
    cfg = compose_config([f"launcher={launcher}"], return_hydra_config=True)
    assert issubclass(get_class(cfg.hydra.launcher._target_), Launcher)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tag(log, interval(1e-4, 1e-1))", optuna.distributions.FloatDistribution(1e-4, 0.1, log=True)),
        ("interval(1, 8)", optuna.distributions.FloatDistribution(1.0, 8.0)),
        ("tag(int, log, interval(1, 8))", optuna.distributions.IntDistribution(1, 8, log=True)),
        ("range(10, 40, step=10)", optuna.distributions.IntDistribution(10, 30, step=10)),
        ("choice([128], [256, 128])", optuna.distributions.CategoricalDistribution(["[128]", "[256, 128]"])),
        ("mlp,svm_linear", optuna.distributions.CategoricalDistribution(["mlp", "svm_linear"])),
    ],
)  # fmt: skip
def test_sweep_syntax_maps_to_optuna(text: str, expected) -> None:
    (override,) = OverridesParser.create().parse_overrides([f"x={text}"])
    assert distribution(override) == expected


def test_hopeless_trial_is_pruned_inside_the_run(make_cfg, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path}/study.db"
    # val/acc can never reach 1.5: the pruner stops the trial at its first report.
    study = optuna.create_study(
        study_name="s", storage=storage, direction="maximize",
        pruner=optuna.pruners.ThresholdPruner(lower=1.5),
    )  # fmt: skip
    trial = study.ask()
    cfg = make_cfg(
        "hparams_search=optuna", f"search.storage={storage}", "search.study_name=s",
        f"search.trial={trial.number}", "trainer.max_epochs=5",
        "search.pruner._target_=optuna.pruners.ThresholdPruner", "+search.pruner.lower=1.5",
        "~search.pruner.n_startup_trials", "~search.pruner.n_warmup_steps",
    )  # fmt: skip
    result = train(cfg, tmp_path / "run", [])
    assert result["status"] == "pruned"
    assert result["error"].startswith("val/acc=") and result["error"].endswith("at epoch 1")
    assert json.loads((tmp_path / "run" / "result.json").read_text())["status"] == "pruned"
    reported = study.trials[0].intermediate_values
    assert list(reported) == [0] and 0 < reported[0] < 1


def _default_sigint() -> None:
    """A shell that runs the tests in the background makes children ignore SIGINT, and Python
    then installs no Ctrl-C handler: give the child the default back, as in a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _trial_statuses(sweep: Path) -> list[str]:
    statuses = []
    for path in sweep.glob("trial_*/result.json"):
        with contextlib.suppress(OSError, ValueError, KeyError):  # being replaced
            statuses.append(json.loads(path.read_text())["status"])
    return statuses


@pytest.mark.slow
def test_interrupted_search_resumes_to_four_trials(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "experiments.cli.train", "-m", "hparams_search=mlp_digits",
        "trainer.max_epochs=25", *FAST[1:], f"output_root={tmp_path}",
        "hydra.sweeper.sampler.seed=0",
    ]  # fmt: skip
    sweep = tmp_path / "search" / "mlp_digits"
    first = subprocess.Popen(
        [*command, "hydra.sweeper.n_trials=10"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=os.environ, preexec_fn=_default_sigint,
    )  # fmt: skip
    deadline = time.monotonic() + 300  # generous: a loaded machine trains slowly
    # Ctrl-C once two trials finished and the third is training.
    while first.poll() is None and time.monotonic() < deadline:
        statuses = _trial_statuses(sweep)
        if len(statuses) == 3 and statuses.count("running") == 1:
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    output, _ = first.communicate(timeout=60)
    assert first.returncode != 0, output[-2000:]
    storage = f"sqlite:///{sweep}/study.db"
    states = [t.state for t in optuna.load_study(study_name="mlp_digits", storage=storage).trials]
    assert states.count(TrialState.FAIL) == 1 and TrialState.RUNNING not in states, states
    finished_before = states.count(TrialState.COMPLETE) + states.count(TrialState.PRUNED)
    assert finished_before == 2

    again = subprocess.run(
        [*command, "hydra.sweeper.n_trials=4"], capture_output=True, text=True, timeout=300,
        env=os.environ,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    study = optuna.load_study(study_name="mlp_digits", storage=storage)
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) + states.count(TrialState.PRUNED) == 4
    assert len(states) == 5  # the interrupted trial stays in the study as failed
    assert "1 failed earlier, not re-run" in again.stdout
    best = OmegaConf.load(sweep / "best_trial.yaml")
    assert best.trial == study.best_trial.number and best.value == study.best_value
    best_config = OmegaConf.load(sweep / "best_config.yaml")
    assert best_config.search.trial == study.best_trial.number
    assert best_config.optimizer.lr == pytest.approx(study.best_params["optimizer.lr"])


def test_default_study_name_holds_the_experiment_data_and_model() -> None:
    names = {
        compose_config(["hparams_search=optuna", *overrides]).search.study_name
        for overrides in ([], ["dataset=breast_cancer"], ["model=logreg"])
    }
    assert names == {"default-digits-mlp", "default-breast_cancer-mlp", "default-digits-logreg"}


def _space(text: str) -> dict:
    (override,) = OverridesParser.create().parse_overrides([f"optimizer.lr={text}"])
    return {"optimizer.lr": distribution(override)}


def test_study_of_another_search_is_refused_with_the_command_for_a_new_one(
    tmp_path: Path,
) -> None:
    lr = _space("tag(log, interval(1e-4, 1e-1))")
    wine = search_identity(compose_config(["hparams_search=optuna"]), "val/acc", "maximize", lr)
    study = optuna.create_study(study_name="wine_lr", direction="maximize")
    check_study(study, wine, ["experiments-train"])  # a new study takes the identity
    study.tell(study.ask(), 0.9)
    check_study(study, wine, ["experiments-train"])  # the same search resumes it
    other_lr = search_identity(
        compose_config(["hparams_search=optuna", "optimizer.lr=0.5"]), "val/acc", "maximize", lr
    )
    check_study(study, other_lr, ["experiments-train"])  # the searched key's default: the same
    argv = ["experiments-train", "-m", "hparams_search=optuna", "search.study_name=wine_lr"]
    for overrides, metric, space, named in [
        (["dataset=breast_cancer"], "val/acc", lr, "data: builtin:digits"),
        ([], "val/f1", lr, 'study.metric: "val/acc" -> "val/f1"'),
        ([], "val/acc", _space("interval(0.1, 0.2)"), "study.space.optimizer.lr"),
    ]:
        cfg = compose_config(["hparams_search=optuna", *overrides])
        with pytest.raises(ConfigError) as refused:
            check_study(study, search_identity(cfg, metric, "maximize", space), argv)
        text = str(refused.value)
        assert "study 'wine_lr' holds the trials of another search" in text
        assert named in text
        assert "experiments-train -m hparams_search=optuna search.study_name=wine_lr-" in text
    assert len(study.trials) == 1


@pytest.mark.slow
def test_study_name_reused_for_other_data_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(data, index=False)
    command = [
        sys.executable, "-m", "experiments.cli.train", "-m", "hparams_search=optuna",
        "search.study_name=wine_lr", f"output_root={tmp_path}", "model=logreg",
        "dataset=csv", "dataset.task=classification", "dataset.target_column=target",
        "trainer.max_epochs=2", "hydra.sweeper.n_trials=1", "model.C=tag(log, interval(0.1, 10))",
    ]  # fmt: skip
    first = subprocess.run(
        [*command, f"dataset.path={data}"], capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    other = tmp_path / "other.csv"
    load_wine(as_frame=True).frame.iloc[::2].to_csv(other, index=False)
    again = subprocess.run(
        [*command, f"dataset.path={other}", "hydra.sweeper.n_trials=3"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    told = again.stdout + again.stderr
    assert again.returncode == 2, told[-3000:]
    assert "study 'wine_lr' holds the trials of another search" in told
    assert f"data: csv:{data}" in told
    assert f"dataset.path={other}" in told and "search.study_name=wine_lr-" in told
    storage = f"sqlite:///{tmp_path}/search/wine_lr/study.db"
    assert len(optuna.load_study(study_name="wine_lr", storage=storage).trials) == 1
