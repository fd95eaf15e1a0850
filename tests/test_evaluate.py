"""experiments-eval: a run's test metrics recomputed from its folder equal its result.json;
bad run folders and checkpoints give one message and exit status 2."""

from __future__ import annotations

import json
import pathlib
import pickle
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from experiments.cli.evaluate import evaluate, main
from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust

from .conftest import run_cli_commands, train_run
from .runs.test_checkpoints import garble

NETWORK = ["model=logreg", "trainer.max_epochs=3"]  # checkpoints on: last.ckpt and best.ckpt


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A Lightning run and a scikit-learn run on digits, trained once for this module."""
    root = tmp_path_factory.mktemp("runs")
    return {
        "network": train_run(root / "logreg", *NETWORK),
        "estimator": train_run(root / "sk_naive_bayes", "model=sk_naive_bayes"),
        "mlp": train_run(root / "mlp", "model=mlp", "trainer.max_epochs=1"),
    }


@pytest.mark.parametrize("kind", ["network", "estimator"])
def test_metrics_equal_the_runs_own(runs: dict[str, Path], kind: str) -> None:
    report, path = evaluate(runs[kind])
    recorded = json.loads((runs[kind] / "result.json").read_text())["metrics"]
    assert report["metrics"] == {k: v for k, v in recorded.items() if k.startswith("test/")}
    assert report["same_as_result"] is True
    assert path == runs[kind] / "eval.json"
    assert json.loads(path.read_text())["metrics"] == report["metrics"]


def test_another_checkpoint_gets_its_own_file(runs: dict[str, Path], capsys) -> None:
    assert main([f"ckpt={runs['network'] / 'checkpoints' / 'best.ckpt'}"]) == 0
    assert "test/acc" in capsys.readouterr().out
    report = json.loads((runs["network"] / "eval-best.json").read_text())
    assert report["same_as_result"] is None  # result.json scored the last epoch's model


def _corrupt(run: Path) -> str:
    path = run / "checkpoints" / "corrupt.ckpt"
    path.write_bytes(b"not a checkpoint")
    return str(path)


def _foreign(runs: dict[str, Path]) -> str:
    """The MLP's checkpoint placed in the logistic regression's run folder."""
    path = runs["network"] / "checkpoints" / "from_mlp.ckpt"
    shutil.copy(runs["mlp"] / "checkpoints" / "last.ckpt", path)
    return str(path)


def _no_estimator(runs: dict[str, Path], tmp_path: Path) -> str:
    copy = shutil.copytree(runs["estimator"], tmp_path / "copy")
    (copy / "estimator.skops").unlink()
    return str(copy)


@pytest.mark.parametrize(
    ("ckpt", "message"),
    [
        (lambda runs, tmp: str(tmp / "missing"), "does not exist; expected a run folder"),
        (lambda runs, tmp: str(tmp), "is not a run folder (no .hydra/config.yaml)"),
        (lambda runs, tmp: _corrupt(runs["network"]), "cannot read"),
        (lambda runs, tmp: _foreign(runs), "does not fit model 'logreg' of this run"),
        (_no_estimator, "has no estimator.skops: it did not finish fitting"),
    ],
    ids=["missing folder", "not a run", "corrupt checkpoint", "other model", "no estimator"],
)
def test_bad_run_or_checkpoint_is_one_message(runs, tmp_path: Path, capsys, ckpt, message) -> None:
    assert main([f"ckpt={ckpt(runs, tmp_path)}"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.err.startswith("experiments-eval: ckpt: ")
    assert "Traceback" not in captured.err and not captured.out


@pytest.mark.slow
def test_console_scripts_exit_status(runs: dict[str, Path], tmp_path: Path) -> None:
    image = tmp_path / "nothing.png"
    (done, *failed) = run_cli_commands(
        [
            ["experiments-eval", f"ckpt={runs['estimator']}", "--json"],
            ["experiments-eval", f"ckpt={tmp_path / 'missing'}"],
            ["experiments-predict", f"ckpt={runs['network']}", f"input={image}"],
        ],
        tmp_path / "cli",
    )
    assert done[0] == 0, done[2]
    assert json.loads(done[1])["same_as_result"] is True
    for code, _, err in failed:
        assert code == 2 and "does not exist" in err
        assert "Traceback" not in err


def test_garbled_checkpoint_and_gone_process_are_reported(runs, tmp_path: Path) -> None:
    run_dir = tmp_path / "mlp"
    shutil.copytree(runs["mlp"], run_dir)
    result = json.loads((run_dir / "result.json").read_text())
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # the process that wrote `running` is gone: a kill before it could record
    result |= {"status": "running", "process": {"pid": gone.pid, "host": platform.node()}}
    (run_dir / "result.json").write_text(json.dumps(result))
    report, _ = evaluate(run_dir)
    assert report["run_status"] == "interrupted"
    garble(run_dir / "checkpoints" / "last.ckpt")
    with pytest.raises(ConfigError, match=r"last\.ckpt does not match its recorded checksum"):
        evaluate(run_dir)


# A run folder from elsewhere is data: what its config or model file would run, nothing runs.
PRECIOUS = "the user's own file\n"


def poisoned(run: Path, folder: Path, key: str, node: dict) -> Path:
    """A copy of ``run`` whose ``.hydra/config.yaml`` has ``node`` (a nested ``_target_``)
    at ``key``, as a colleague's folder could."""
    copy = shutil.copytree(run, folder)
    cfg = OmegaConf.load(copy / ".hydra" / "config.yaml")
    OmegaConf.update(cfg, key, node, force_add=True)
    OmegaConf.save(cfg, copy / ".hydra" / "config.yaml")
    return copy


def attacks(victim: Path) -> dict[str, tuple[str, dict]]:
    """Keys instantiated by predict and eval, each set to a target that writes ``victim``."""
    return {
        "savetxt": ("model.net.dropout", {"_target_": "numpy.savetxt", "fname": str(victim), "X": [[1]]}),
        "open": ("dataset.features.scale", {"_target_": "builtins.open", "file": str(victim), "mode": "w"}),
        "interpolated": ("model.net.dropout", {"_target_": "${oc.env:EVIL_TARGET}", "fname": str(victim), "X": [[1]]}),
        "created": ("model.net.dropout", f"${{oc.create:{{_target_: numpy.savetxt, fname: '{victim}', X: [[1]]}}}}"),
    }  # fmt: skip


@pytest.mark.parametrize("attack", ["savetxt", "open", "interpolated", "created"])
def test_a_poisoned_config_runs_nothing(runs, tmp_path: Path, capsys, monkeypatch, attack) -> None:
    monkeypatch.setenv("EVIL_TARGET", "numpy.savetxt")
    victim = tmp_path / "victim.txt"
    victim.write_text(PRECIOUS)
    key, node = attacks(victim)[attack]
    folder = poisoned(runs["mlp"], tmp_path / "from-a-colleague", key, node)
    assert main([f"ckpt={folder}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"experiments-eval: {key}._target_: '")
    assert "If you trust the folder's author, allow it with --trust " in err
    assert victim.read_text() == PRECIOUS and not (folder / "eval.json").exists()


def test_a_trusted_package_is_built(runs, tmp_path: Path) -> None:
    """``--trust`` names what the user trusts: here the lab package ``tests`` of this repo."""
    task = {"_target_": "tests.kinds.lab_parts.StepCountingTask", "_partial_": True}
    folder = poisoned(runs["mlp"], tmp_path / "lab", "model.task", task)
    with pytest.raises(ConfigError, match=r"'tests\.kinds\.lab_parts\.StepCountingTask' is not a"):
        evaluate(folder)
    report, _ = evaluate(folder, Trust(packages=("tests.kinds",)))
    assert report["metrics"]["test/acc"] > 0


class Payload:
    """What a pickle may hold: unpickling it writes a file."""

    def __init__(self, victim: Path) -> None:
        self.victim = victim

    def __reduce__(self):
        return pathlib.Path.write_text, (self.victim, "owned")


def test_an_old_pickled_estimator_loads_only_when_trusted(runs, tmp_path: Path, capsys) -> None:
    folder = shutil.copytree(runs["estimator"], tmp_path / "old")
    (folder / "estimator.skops").unlink()
    victim = tmp_path / "victim.txt"
    (folder / "estimator.joblib").write_bytes(pickle.dumps(Payload(victim)))
    assert main([f"ckpt={folder}"]) == 2
    err = capsys.readouterr().err
    assert "estimator.joblib' is a pickle" in err and "--trust-pickle" in err
    assert not victim.exists()


def test_a_skops_file_of_untrusted_types_is_refused(runs, tmp_path: Path) -> None:
    import skops.io

    folder = shutil.copytree(runs["estimator"], tmp_path / "odd")
    (folder / "estimator.skops").write_bytes(skops.io.dumps(Payload(tmp_path / "victim.txt")))
    with pytest.raises(ConfigError, match=r"holds types outside .*tests\.test_evaluate\.Payload"):
        evaluate(folder)
    assert not (tmp_path / "victim.txt").exists()
