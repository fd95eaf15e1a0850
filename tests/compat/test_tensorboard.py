"""Each TensorBoard internal this package uses (experiments/compat/tensorboard.py) is still
there and still writes what it expects: an upgrade that moves one fails here, by name."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from experiments.compat.tensorboard import write_summaries


def test_summaries_go_to_the_runs_own_event_file(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path)
    assert callable(getattr(writer, "_get_file_writer", None)), (
        "torch's SummaryWriter has no _get_file_writer() any more: see compat/tensorboard.py"
    )
    _, start, end = hparams({"lr": 0.1}, {"val/acc": 0.9})
    write_summaries(writer, [start, end])
    writer.close()
    (events,) = tmp_path.glob("events.out.tfevents.*")  # the run's own file, no subfolder
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []
    tags = [
        value.tag for event in EventFileLoader(str(events)).Load() for value in event.summary.value
    ]
    assert tags == ["_hparams_/session_start_info", "_hparams_/session_end_info"]
