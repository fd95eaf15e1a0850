"""TensorBoard's internals this package relies on (through ``torch.utils.tensorboard``, the
writer Lightning's TensorBoardLogger uses; torch is pinned in the Makefile), each tested by
name in ``tests/compat/test_tensorboard.py``:

- ``SummaryWriter._get_file_writer()``: the writer of the event file, which takes a
  summary protocol buffer as it is (``add_summary``). `SummaryWriter.add_hparams` would write
  the HPARAMS records into a new run folder of their own; `write_summaries` writes them into
  the run's own event file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch.utils.tensorboard import SummaryWriter


def write_summaries(writer: SummaryWriter, summaries: Iterable[Any]) -> None:
    """Append ``summaries`` (``Summary`` protocol buffers) to ``writer``'s event file, then
    flush it."""
    file_writer = writer._get_file_writer()
    for summary in summaries:
        file_writer.add_summary(summary)
    writer.flush()
