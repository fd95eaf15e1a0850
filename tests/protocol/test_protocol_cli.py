"""`experiments-train -m ... protocol=fair` from the shell: the folders and records of both
phases, a re-run that skips everything, and bad input that stops before any job."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

import experiments
from experiments.cli.evaluate import main as evaluate_main

from ..conftest import run_sweeps
from ..recsys.test_ratings import write_ratings

MODELS = ("logreg", "sk_naive_bayes")


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str, Path]]:
    """This file's commands, run one after another in one child process (one import of
    torch and Lightning): name -> exit status, stdout, stderr and sweep folder."""
    root = tmp_path_factory.mktemp("protocol_cli")
    table = write_ratings(root / "data")
    protocol = [
        "protocol=fair", f"model={','.join(MODELS)}", "protocol.trials=2", "protocol.splits=2",
        "protocol.seeds=1", "trainer.max_epochs=1", "trainer.enable_checkpointing=false",
    ]  # fmt: skip
    return run_sweeps(
        {
            "protocol": protocol,  # on worker processes (protocol=fair's launcher=parallel)
            # one after another: done jobs are found by their folders
            "protocol_again": [*protocol, "launcher=local"],
            "bad_input": [
                "protocol=fair", "model=mlp", "protocol.trials=0", "protocol.rope=-0.5",
                "protocol.tuning=twice",
            ],
            "recommenders": [
                "protocol=fair", "model=bias,mf", "dataset=ratings", f"dataset.path={table}",
                "dataset.user_column=uid", "dataset.item_column=iid",
                "dataset.rating_column=stars", "monitor=val/rmse", "monitor_mode=min",
                "protocol.trials=1", "protocol.splits=1", "protocol.seeds=1",
                "trainer.max_epochs=2", "trainer.enable_checkpointing=false",
            ],
        },
        root,
    )  # fmt: skip


@pytest.mark.slow
def test_protocol_runs_both_phases_in_named_folders_and_resumes(ran) -> None:
    code, out, err, sweep = ran["protocol"]
    assert code == 0, err[-3000:]
    assert "at a time, on worker processes" in out + err  # protocol=fair's launcher
    results = {
        str(path.parent.relative_to(sweep)): json.loads(path.read_text())
        for path in sweep.rglob("result.json")
    }
    assert all(result["status"] == "done" for result in results.values())
    searched = sorted(name for name in results if name.startswith("search/"))
    assert searched == sorted(
        f"search/{m}/split_{r},trial_{k}" for m in MODELS for r in (0, 1) for k in (0, 1)
    )
    for model in MODELS:
        for split in (0, 1):
            search = [results[f"search/{model}/split_{split},trial_{k}"] for k in (0, 1)]
            assert search[0]["protocol"] == {
                "phase": "search", "model": model, "trial": 0, "params": {},
                "split_seed": split, "seed": 0,
            }  # fmt: skip
            assert search[1]["protocol"]["params"]  # a draw from the model's search space
            for trial in search:  # the test rows withheld: the test phase scored val rows
                assert trial["rows"]["test"] == trial["rows"]["val"]
                assert trial["metrics"]["test/acc"] == pytest.approx(trial["metrics"]["val/acc"])
            chosen = max(search, key=lambda r: (r["metrics"]["val/acc"], -r["protocol"]["trial"]))
            final = results[f"final/{model}/split_{split},seed_0"]
            assert final["protocol"] == chosen["protocol"] | {"phase": "final"}
            assert final["rows"] == {"train": 1077, "val": 360, "test": 360}  # digits 60/20/20
            default = f"default/{model}/split_{split},seed_0"
            assert (default in results) == (final["protocol"]["trial"] != 0)
    assert (sweep / "report.md").is_file()
    winner = results["winner"]  # chosen on validation, trained on train + test rows
    assert winner["protocol"]["phase"] == "winner"
    assert winner["rows"] == {"train": 1077 + 360, "val": 360, "test": 360}

    code, out, err, _ = ran["protocol_again"]
    assert code == 0, err[-3000:]
    assert f"Jobs: {len(results)} skipped (done earlier)." in out


@pytest.mark.slow
def test_predict_and_eval_of_a_protocol_folder_use_its_winner(ran, capsys, tmp_path: Path) -> None:
    *_, sweep = ran["protocol"]
    predictor = experiments.load(sweep)
    assert predictor.run.run_dir == sweep / "winner"
    assert predictor.note.startswith("protocol folder: using its winner, model ")
    digit = tmp_path / "digit.png"
    PIL.Image.fromarray(np.eye(8, dtype=np.uint8) * 255).save(digit)
    assert predictor.predict([str(digit)]).isin(predictor.classes).all()
    assert evaluate_main([f"ckpt={sweep}"]) == 0
    assert "using its winner" in capsys.readouterr().err


@pytest.mark.slow
def test_bad_protocol_input_stops_before_any_job(ran) -> None:
    code, out, err, folder = ran["bad_input"]
    assert code == 2
    for problem in (
        "model: a protocol compares several models, got mlp",
        "protocol.trials: expected a positive integer, got 0",
        "protocol.rope: expected a number >= 0 or null, got -0.5",
        "protocol.tuning: expected one of nested, once, got 'twice'",
    ):
        assert problem in out + err
    assert not list(folder.rglob("result.json"))


@pytest.mark.slow
def test_protocol_compares_recommenders_on_a_ratings_table(ran) -> None:
    """Ratings data has no dataset.task: the protocol takes the monitor its command names."""
    code, out, err, folder = ran["recommenders"]
    assert code == 0, err[-3000:]
    assert "Jobs: 5 done." in out  # 2 models x (search + final), and the winner
    assert (folder / "report.md").is_file()
