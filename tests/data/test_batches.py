from __future__ import annotations

import torch

from experiments.core import train
from experiments.data import TensorBatches


def batches(n: int = 10, batch_size: int = 4, **kwargs) -> TensorBatches:
    inputs = torch.arange(n, dtype=torch.float32)[:, None]
    return TensorBatches(inputs, torch.arange(n), batch_size=batch_size, **kwargs)


def epoch_rows(loader: TensorBatches, epoch: int) -> list[int]:
    loader.sampler.set_epoch(epoch)
    return [int(row) for _, targets in loader for row in targets]


def test_shuffled_epoch_covers_every_row_once_in_a_seeded_order() -> None:
    loader = batches(shuffle=True, seed=1)
    first = epoch_rows(loader, 0)
    assert sorted(first) == list(range(10)) and first != list(range(10))
    assert epoch_rows(batches(shuffle=True, seed=1), 0) == first
    assert epoch_rows(loader, 1) != first
    assert epoch_rows(batches(shuffle=True, seed=2), 0) != first
    assert len(loader) == 3 and [len(t) for _, t in loader] == [4, 4, 2]


def test_inputs_stay_paired_with_targets() -> None:
    for inputs, targets in batches(shuffle=True, seed=0):
        assert torch.equal(inputs[:, 0].long(), targets)


def test_evaluation_order_is_row_order() -> None:
    assert epoch_rows(batches(shuffle=False), 0) == list(range(10))


def test_a_last_training_batch_of_one_row_joins_the_one_before() -> None:
    # batch norm cannot train on one row (new-thyroid: 129 rows in batches of 32, 64, 128)
    loader = batches(n=9, shuffle=True, seed=0)
    assert len(loader) == 2 and [len(t) for _, t in loader] == [4, 5]
    assert sorted(epoch_rows(loader, 0)) == list(range(9))
    assert [len(t) for _, t in batches(n=9, shuffle=False)] == [4, 4, 1]  # evaluation: as is
    assert [len(t) for _, t in batches(n=1, shuffle=True)] == [1]


def test_a_network_with_batch_norm_trains_when_one_row_is_left_over(make_cfg, tmp_path) -> None:
    # 1025 of digits' training rows in batches of 64: 16 full batches and one row
    cfg = make_cfg("model=tabular_resnet", "dataset.train_size=1025", "trainer.max_epochs=1")
    assert train(cfg, tmp_path, [])["status"] == "done"


def test_drop_last() -> None:
    loader = batches(shuffle=True, drop_last=True)
    assert len(loader) == 2 and len(epoch_rows(loader, 0)) == 8


def test_ranks_take_disjoint_shares_of_the_same_permutation() -> None:
    shares = [epoch_rows(batches(shuffle=True, seed=3, rank=r, world_size=2), 0) for r in (0, 1)]
    assert not set(shares[0]) & set(shares[1])
    assert sorted(shares[0] + shares[1]) == list(range(10))


def test_training_batches_keep_the_images_channels_last_layout() -> None:
    # Images are stored channels-last (as decoded); a CNN trains faster on such batches.
    images = torch.randn(12, 4, 5, 3).permute(0, 3, 1, 2)  # (rows, channels, height, width)
    first = images.contiguous()
    for stored in (images, first):
        loader = TensorBatches(stored, torch.arange(12), batch_size=5, shuffle=True, seed=0)
        for inputs, targets in loader:
            assert torch.equal(inputs, first[targets])
            assert inputs.is_contiguous(
                memory_format=torch.channels_last if stored is images else torch.contiguous_format
            )
