"""The allow-list of what a run folder may instantiate covers every shipped config."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from experiments.config import CONF_DIR
from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust, check_trusted

# The Hydra settings of a config (sweepers, launchers) are not saved into a run's
# .hydra/config.yaml, and a re-entered run takes none from its folder.
SHIPPED = [
    p for p in sorted(CONF_DIR.rglob("*.yaml")) if p.relative_to(CONF_DIR).parts[0] != "hydra"
]


def written_targets(path: Path) -> list[str]:
    written = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    written.pop("hydra", None)
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            found.extend([value["_target_"]] if "_target_" in value else [])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(written)
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(CONF_DIR)))
def test_every_shipped_target_is_trusted(path: Path) -> None:
    assert all(Trust().allows(target) for target in written_targets(path)), written_targets(path)


def test_the_metrics_example_in_the_root_config_is_trusted() -> None:
    comment = (CONF_DIR / "train.yaml").read_text().split("+metrics.kappa={_target_:")[1]
    assert Trust().allows(comment.split(",")[0])


def test_a_trusted_package_covers_its_modules_not_its_namesakes() -> None:
    trust = Trust(packages=("mylab",))
    assert trust.allows("mylab.models.Net") and trust.allows("mylab")
    assert not trust.allows("mylab_evil.Net") and not trust.allows("builtins.open")
    assert not Trust().allows("experiments.io.atomic.write_atomic")  # project, not a class to build


def test_each_untrusted_target_is_named_once_with_its_key() -> None:
    cfg = OmegaConf.create(
        {
            "model": {"net": {"_target_": "experiments.models.MLP", "act": {"_target_": "os.system"}}},
            "callbacks": [{"_target_": "pytorch_lightning.callbacks.EarlyStopping"}, {"_target_": "x.y"}],
            "broken": {"_target_": "${oc.env:NO_SUCH_VARIABLE_HERE}"},
        }
    )  # fmt: skip
    with pytest.raises(ConfigError) as raised:
        check_trusted(cfg, Trust(), "f.yaml", "trust=[{package}]")
    keys = [problem.partition(":")[0] for problem in raised.value.problems]
    assert keys == ["model.net.act._target_", "callbacks[1]._target_", "broken._target_"]
    assert raised.value.problems[0].endswith("allow it with trust=[os]")
