"""`experiments.run` inside a caller's process leaves the caller's torch settings as they
were: the run sets its own threads and deterministic algorithms, then gives them back."""

from __future__ import annotations

import torch
import torch.utils.deterministic

import experiments
from tests.conftest import FAST


def test_run_restores_the_callers_threads_and_determinism(tmp_path) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        experiments.run([*FAST, "threads=1", "trainer.max_epochs=1"], run_dir=tmp_path)
        assert torch.get_num_threads() == 2
        assert not torch.are_deterministic_algorithms_enabled()
        assert torch.utils.deterministic.fill_uninitialized_memory
    finally:
        torch.set_num_threads(threads)
