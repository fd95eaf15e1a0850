"""What the protocol's report says it cost: which trials pruning stopped, under which rule,
and the wall and CPU time of its jobs."""

from __future__ import annotations

from pathlib import Path

from experiments.report.protocol.cost import pruning_line, time_line
from experiments.report.protocol.runs import read_protocol
from experiments.runs.result import read_result, write_result
from tests.report.protocol_folders import protocol_folder


def pruned_folder(root: Path) -> Path:
    """A protocol folder of cnn (trained in epochs) and sk_svc whose cnn search on split 1
    had trial 3 stopped by pruning."""
    folder = protocol_folder(root, {"cnn": 0.98, "sk_svc": 0.96}, splits=2, seeds=1, trials=4)
    for trial in (folder / "search" / "cnn").iterdir():
        write_result(trial, read_result(trial) | {"stopped_epoch": 29})
    stopped = folder / "search" / "cnn" / "split_1,trial_3"
    result = read_result(stopped)
    write_result(
        stopped,
        {"status": "pruned", "protocol": result["protocol"], "monitor": "val/acc",
         "error": "val/acc=0.5000 at epoch 10, worse than the median 0.9000 of its search's "
                  "earlier trials there"},
    )  # fmt: skip
    return folder


def test_the_report_states_the_pruning_rule_and_what_it_stopped(tmp_path: Path) -> None:
    protocol = read_protocol(pruned_folder(tmp_path))
    protocol.settings["pruning"] = "median"

    assert pruning_line(protocol) == (
        "- Pruning: median (protocol.pruning), the same rule for every model trained in "
        "epochs: a search trial stopped at 1/3 or 2/3 of its epochs where its val/acc was "
        "worse than the median of its search's earlier finished trials there (2 or more); a "
        "stopped trial still counts as one of its model's trials and is never chosen. "
        "Stopped: cnn 1 of 8. Fitted in one call, every trial run out: sk_svc."
    )
    assert protocol.failed == []  # stopped is not failed
    cnn = protocol.models["cnn"]
    assert len(cnn.trials) == 7 and list(cnn.pruned) == [(1, 3)]
    # the budget curves count it as a trial that is never the best so far
    assert [len(values) for values in cnn.split_trials("val/acc").values()] == [4, 4]

    protocol.settings["pruning"] = "none"
    assert pruning_line(protocol) == (
        "- Pruning: none (protocol.pruning=none): every search trial ran to its end."
    )


def test_the_report_states_wall_and_cpu_time(tmp_path: Path) -> None:
    protocol = read_protocol(pruned_folder(tmp_path))
    protocol.results = [
        {"started": "2026-12-07T10:00:00+00:00", "finished": "2026-12-07T10:04:00+00:00",
         "cpu_seconds": 200.0, "launch": "a"},
        {"started": "2026-12-07T10:01:00+00:00", "finished": "2026-12-07T10:07:30+00:00",
         "cpu_seconds": 400.0, "launch": "a"},
        {"started": "2026-12-07T10:02:00+00:00", "finished": "2026-12-07T10:03:00+00:00",
         "launch": "a"},
    ]  # fmt: skip

    assert time_line(protocol) == (
        "- Time: 7 min 30 s wall from the first job's start to the last job's end; 10 min 00 s "
        "of CPU in the 3 jobs' processes, 2 of them recorded (1.3 jobs' worth of CPU at a time)."
    )
    protocol.results = [{"status": "done"}]
    assert time_line(protocol) is None
