"""Network preparation options: channels-last weights, torch.compile, checked settings."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from experiments.config.errors import ConfigError
from experiments.kinds.network_build import model_flag, prepare_net
from experiments.models import CNN


def test_channels_last_keeps_outputs_and_keys() -> None:
    torch.manual_seed(0)
    net = CNN(in_shape=(1, 8, 8), num_outputs=10).eval()
    inputs = torch.randn(4, 1, 8, 8)
    expected, keys = net(inputs), list(net.state_dict())
    prepared = prepare_net(net, channels_last=True, compile=False)
    conv = prepared.features[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(prepared(inputs), expected, atol=1e-5)
    assert list(prepared.state_dict()) == keys


def test_compile_is_in_place_and_lazy() -> None:
    net = CNN(in_shape=(1, 8, 8), num_outputs=10)
    prepared = prepare_net(net, channels_last=False, compile=True)
    assert prepared is net and net._compiled_call_impl is not None  # compiled on first call
    assert "_orig_mod" not in "".join(net.state_dict())


@pytest.mark.parametrize("key", ["channels_last", "compile", "test_time_flip"])
def test_non_boolean_setting_names_the_key(key: str) -> None:
    model = OmegaConf.create({key: "yes"})
    with pytest.raises(ConfigError) as error:
        model_flag(model, key)
    assert str(error.value) == f"model.{key}: expected true or false, got 'yes'"
    assert model_flag(OmegaConf.create({}), key) is False, "absent: off"
