"""A fixed value for a key under ``model`` in a sweep over models goes to every swept model
(``-m model=sk_logreg,sk_linear_svc model.estimator.C=2``); a key only some models have is
said once, naming them, before any job runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from experiments.config import ConfigError
from experiments.config.model_keys import as_fixed, compose_each, hide_from_first_composition

from ..conftest import compose_config, run_sweeps


def test_fixed_model_keys_pass_the_first_composition_and_come_back_as_written() -> None:
    argv = [
        "experiments-train", "-m", "model=sk_logreg,sk_linear_svc", "model.estimator.C=2",
        "model.net.hidden_sizes=[64,32]", "+model.extra=1", "model.C=1,2", "seed=0",
    ]  # fmt: skip
    hidden = hide_from_first_composition(argv)
    assert hidden[3:5] == ["model.estimator.C=choice(2)", "model.net.hidden_sizes=choice([64,32])"]
    assert hidden[5:] == argv[5:]  # added, swept or not under model: as they were
    assert as_fixed(hidden) == argv
    single = ["experiments-train", "model=sk_logreg", "model.estimator.C=2"]
    assert hide_from_first_composition(single) == single  # one run composes its own model


def test_a_key_only_some_models_have_is_one_message_naming_them() -> None:
    jobs = [[f"model={m}", "model.estimator.C=2"] for m in ("sk_logreg", "mlp", "cnn")]
    with pytest.raises(ConfigError) as error:
        compose_each(jobs, compose_config)
    assert error.value.problems == [
        "model.estimator.C: set for every model of the sweep, but models mlp, cnn have no such "
        "key (model sk_logreg has it): sweep the models that have it, or set it in their "
        "config files"
    ]
    configs = compose_each(jobs[:1], compose_config)
    assert configs[0].model.estimator.C == 2


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str, Path]]:
    root = tmp_path_factory.mktemp("model_keys")
    return run_sweeps(
        {
            "every_model": ["model=sk_logreg,sk_linear_svc", "model.estimator.C=2"],
            "some_models": ["model=sk_logreg,mlp", "model.estimator.C=2"],
            "protocol": ["protocol=fair", "model=sk_logreg,mlp", "model.estimator.C=2"],
        },
        root,
    )


@pytest.mark.slow
def test_a_sweep_gives_a_common_key_to_every_model(ran) -> None:
    code, out, err, sweep = ran["every_model"]
    assert code == 0, err[-3000:]
    for model in ("sk_logreg", "sk_linear_svc"):
        job = sweep / f"model.estimator.C=2,model={model}"
        assert json.loads((job / "result.json").read_text())["status"] == "done"
        assert OmegaConf.load(job / ".hydra" / "config.yaml").model.estimator.C == 2
    assert "model.estimator.C=choice" not in out + err


@pytest.mark.slow
@pytest.mark.parametrize("name", ["some_models", "protocol"])
def test_a_key_some_models_lack_stops_the_sweep_with_one_message(ran, name: str) -> None:
    code, out, err, sweep = ran[name]
    assert code == 2
    assert (
        "model.estimator.C: set for every model of the sweep, but model mlp has no such key "
        "(model sk_logreg has it)" in out + err
    )
    assert "Could not override" not in out + err
    assert not list(sweep.rglob("result.json"))
