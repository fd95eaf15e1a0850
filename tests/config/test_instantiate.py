"""Building a config node: a struct node with a plain map inside (no ``_target_``) builds."""

from __future__ import annotations

from omegaconf import OmegaConf

from experiments.config import instantiate_checked


def test_a_struct_node_with_a_plain_map_inside_builds() -> None:
    cfg = OmegaConf.create(
        {"callback": {"_target_": "builtins.dict", "bars": {10: 0.5, 20: 0.8}, "name": "x"}}
    )
    OmegaConf.set_struct(cfg, True)  # as Hydra composes it
    built = instantiate_checked(cfg.callback, "callback")
    assert built == {"bars": {10: 0.5, 20: 0.8}, "name": "x"}
