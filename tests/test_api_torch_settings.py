"""`experiments.run` inside a caller's process leaves the caller's torch settings as they
were: the run sets its own threads and deterministic algorithms, then gives them back."""

from __future__ import annotations

import torch
import torch.utils.deterministic

import experiments
from tests.conftest import FAST


def test_run_restores_the_callers_threads_and_determinism(tmp_path) -> None:
    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    fill = torch.utils.deterministic.fill_uninitialized_memory
    torch.set_num_threads(2)  # the caller's: not what the run sets (threads=1, deterministic)
    torch.use_deterministic_algorithms(False)
    torch.utils.deterministic.fill_uninitialized_memory = True
    try:
        experiments.run([*FAST, "threads=1", "trainer.max_epochs=1"], run_dir=tmp_path)
        assert torch.get_num_threads() == 2
        assert not torch.are_deterministic_algorithms_enabled()
        assert torch.utils.deterministic.fill_uninitialized_memory
    finally:
        torch.set_num_threads(before[0])
        torch.use_deterministic_algorithms(before[1])
        torch.utils.deterministic.fill_uninitialized_memory = fill
