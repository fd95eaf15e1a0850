"""The deep nets for tables (Gorishniy et al. 2021): the paper's blocks, and the
FT-Transformer's one token per categorical column."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from experiments.config import compose_config
from experiments.data import DataShapes
from experiments.kinds.network_build import build_net
from experiments.models import FTTransformer, TabularMLP, TabularResNet


def test_mlp_blocks_are_linear_relu_dropout() -> None:
    net = TabularMLP(in_features=7, num_outputs=3, n_blocks=3, d_block=16, dropout=0.2)
    kinds = [type(layer) for layer in net.layers if not isinstance(layer, nn.Flatten)]
    assert kinds == [nn.Linear, nn.ReLU, nn.Dropout] * 3 + [nn.Linear]
    assert [layer.out_features for layer in net.layers if isinstance(layer, nn.Linear)] == [
        16, 16, 16, 3,
    ]  # fmt: skip


def test_resnet_blocks_add_to_the_stream() -> None:
    torch.manual_seed(0)
    net = TabularResNet(in_features=5, num_outputs=2, n_blocks=2, d_block=8,
                        d_hidden_multiplier=1.5, hidden_dropout=0.1, residual_dropout=0.1)  # fmt: skip
    block = net.blocks[0]
    kinds = [type(layer) for layer in block]
    assert kinds == [nn.BatchNorm1d, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.Dropout]
    assert block[1].out_features == 12  # d_block * d_hidden_multiplier
    assert [type(layer) for layer in net.head] == [nn.BatchNorm1d, nn.ReLU, nn.Linear]
    for block in net.blocks:  # a block whose last layer outputs zeros leaves the stream as it was
        nn.init.zeros_(block[4].weight)
        nn.init.zeros_(block[4].bias)
    inputs = torch.randn(6, 5)
    net.eval()
    assert torch.allclose(net(inputs), net.head(net.first(inputs)))


def test_a_categorical_column_is_one_token_its_category_embedding() -> None:
    """Features: a number, a 3-category block, a number, a 2-category block (6 in all)."""
    torch.manual_seed(0)
    groups = (("colour", 1, 4), ("shape", 5, 7))
    net = FTTransformer(in_features=7, num_outputs=2, one_hot_groups=groups, n_blocks=1,
                        d_block=16, attention_n_heads=4)  # fmt: skip
    assert net.n_tokens == 4  # number, colour, number, shape
    seen = []
    net.blocks[0].register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    rows = torch.tensor([[0.5, 0, 0, 1, -1.0, 1, 0], [2.0, 0, 0, 0, 0.0, 0, 1]])  # colour unseen
    net.eval()(rows)
    tokens = seen[0]
    weight, bias = net.weight.detach(), net.bias.detach()
    assert tokens.shape == (2, 5, 16)  # 4 tokens and [CLS]
    assert torch.allclose(tokens[0, 0], 0.5 * weight[0] + bias[0])
    assert torch.allclose(tokens[0, 1], weight[3] + bias[1:4].sum(0))  # the third colour
    assert torch.allclose(tokens[1, 1], bias[1:4].sum(0))  # no colour hot: the bias alone
    assert torch.allclose(tokens[1, 3], weight[6] + bias[5:7].sum(0))
    assert torch.allclose(tokens[:, 4], net.cls.detach()[0].expand(2, -1))


def test_ft_transformer_gets_the_one_hot_groups_from_the_data() -> None:
    cfg = compose_config(["model=ft_transformer", "model.net.n_blocks=1"])
    groups = (("colour", 2, 5),)
    shapes = DataShapes("tabular", "classification", (5,), 2, ("a", "b"), one_hot_groups=groups)
    net = build_net(cfg.model, shapes, torch.zeros(4, 5))
    assert net.n_tokens == 3 and net(torch.zeros(4, 5)).shape == (4, 2)
    assert cfg.optimizer.lr == 1e-4 and cfg.optimizer.weight_decay == 1e-5  # the paper's


@pytest.mark.parametrize(
    ("net_class", "settings", "message"),
    [
        (FTTransformer, {"d_block": 20, "attention_n_heads": 8},
         "d_block (20) must be a multiple of attention_n_heads (8)"),
        (FTTransformer, {"n_blocks": 0, "ffn_dropout": 1.0},
         "n_blocks must be at least 1, got 0; ffn_dropout must be in [0, 1), got 1.0"),
        (TabularResNet, {"d_hidden_multiplier": 0.0},
         "d_block * d_hidden_multiplier must be at least 1, got 0"),
        (TabularMLP, {"d_block": 0}, "d_block must be at least 1, got 0"),
    ],
)  # fmt: skip
def test_bad_sizes_are_named(net_class, settings: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        net_class(in_features=4, num_outputs=2, **settings)
    assert str(error.value) == message
