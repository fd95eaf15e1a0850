"""Hydra callback: at the end of a multirun, collect its runs into a table and leaderboard."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from experiments.runs.summary import summarize


class CollectResults(Callback):
    """Writes ``results.csv`` and ``leaderboard.md`` into the sweep folder, prints the
    leaderboard and the TensorBoard command, and exits non-zero if any job failed."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        frame = summarize([sweep_dir], config.monitor, config.monitor_mode, sweep_dir)
        print(
            f"\nResults: {sweep_dir / 'results.csv'}\nTensorBoard: tensorboard --logdir {sweep_dir}"
        )
        failed = int((frame["status"] != "done").sum())
        if failed:
            print(f"{failed} of {len(frame)} jobs failed; see their result.json and run.log.")
            sys.exit(1)
