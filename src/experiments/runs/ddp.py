"""Lightning DDP inside a sweep run in one process: one job's processes fail with the job,
and nothing of them is left behind.

Lightning's DDP launcher re-runs the script for ranks 1 and up, and its watcher kills every
process, the launching one too, when one of them fails: the whole sweep would end with that
job. `ddp_job_scope` replaces that watcher for the job (`experiments.compat.lightning`):

- Rank 0 waits, before it trains, until each other rank has built its run and is about to
  fit (`child_ready`), or has exited: a child that fails before it joins (a config it cannot
  compose, a bad setting) fails the job at once, instead of leaving rank 0 waiting for it.
- A child that fails on its own writes its error (`report_child_errors`), and the job fails
  with it: `ConfigError` for bad input (the child's exit code 2), else `ChildProcessError`;
  a child killed by a signal is named with the signal. Rank 0's own error is kept when it
  failed first (`ChildWatch.on_exception` tells them apart before Lightning kills the rest).
- At the end of the job every child still running is killed and reaped, its process group
  ends and the DDP variables are restored, so that the next job of the sweep starts clean.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from experiments.compat.lightning import process_observer
from experiments.config.errors import ConfigError
from experiments.runs.reentry import JOB_VARIABLE, child_environment

# Set by Lightning's DDP launcher in the launching process, and read by the next Trainer.
DDP_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")
HANDSHAKE_KEY = "handshake"  # in the job's exported variable: the folder children report to
BAD_INPUT_EXIT = 2  # what a child exits with for a ConfigError (`experiments.core.job`)
CHILD_EXIT_SECONDS = 30  # for a child that reported its error to exit (it tears down first)
# A killed child's sockets close before it can be reaped: rank 0 may hear of the broken
# connection first. How long rank 0's failure waits to tell that apart from its own.
CHILD_DEATH_SECONDS = 2.0


class ChildWatch(pl.Callback):
    """One job's DDP children, as Lightning's launcher started them, and how they ended.

    A Lightning callback so that it hears of rank 0's own failure (`on_exception`) before
    Lightning kills the children.
    """

    def __init__(self, handshake: Path) -> None:
        self.handshake = handshake
        self.children: list[subprocess.Popen] = []
        self.failure: Exception | None = None

    def started(self, children: list[subprocess.Popen]) -> None:
        """Lightning's launcher started ``children`` (ranks 1 and up): wait until each is
        about to fit, or fail the job now with the first one that ended."""
        self.children = list(children)
        waiting = dict(enumerate(self.children, start=1))
        while waiting:
            for rank, child in list(waiting.items()):
                if (self.handshake / f"rank{rank}.ready").exists():
                    del waiting[rank]
                elif child.poll() is not None:
                    self.failure = self._failure(rank, child.returncode)
                    raise self.failure
            time.sleep(0.05)

    def on_exception(self, trainer: pl.Trainer, module: pl.LightningModule, error: Any) -> None:
        """Rank 0 failed: a child that has ended, or is ending after it reported an error,
        failed first (rank 0's error is then only the broken connection to it)."""
        for rank, child in enumerate(self.children, start=1):
            if child.poll() is None and (self.handshake / f"rank{rank}.error").is_file():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=CHILD_EXIT_SECONDS)
        deadline = time.monotonic() + CHILD_DEATH_SECONDS
        while all(child.poll() is None for child in self.children) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.failure is None:
            self.failure = next(
                (
                    self._failure(rank, child.returncode)
                    for rank, child in enumerate(self.children, start=1)
                    if child.poll() not in (None, 0)
                ),
                None,
            )

    def end(self) -> None:
        """Kill and reap every child still running."""
        for child in self.children:
            if child.poll() is None:
                child.kill()
            child.wait()

    def _failure(self, rank: int, code: int) -> Exception:
        note = self.handshake / f"rank{rank}.error"
        said = note.read_text().strip() if note.is_file() else ""
        if code < 0:
            name = signal.Signals(-code).name
            why = " (the out-of-memory killer, or kill -9)" if name == "SIGKILL" else ""
            return ChildProcessError(f"DDP process of rank {rank} was killed by {name}{why}")
        if code == BAD_INPUT_EXIT and said:
            return ConfigError(f"DDP process of rank {rank}: {said}")
        told = f": {said}" if said else " (its output is above)"
        return ChildProcessError(f"DDP process of rank {rank} exited with code {code}{told}")


@contextmanager
def ddp_job_scope(run_dir: Path, overrides: list[str]) -> Iterator[ChildWatch]:
    """Run one job that may start DDP processes (see the module): export what its children
    need to re-enter it (`experiments.runs.reentry`), watch them, fail the job with the
    error of a child that failed, and leave no process, process group or variable behind.

    Yields:
        The `ChildWatch`, a callback for the job's Trainer.

    Raises:
        ConfigError, ChildProcessError: a child failed (in place of rank 0's error about
            the broken connection).
    """
    if _is_child():  # its parent watches the job; this process only reports to it
        yield ChildWatch(Path(json.loads(os.environ[JOB_VARIABLE])[HANDSHAKE_KEY]))
        return
    handshake = Path(tempfile.mkdtemp(prefix="experiments-ddp-"))
    exported = child_environment(run_dir, overrides)
    exported[JOB_VARIABLE] = json.dumps(
        json.loads(exported[JOB_VARIABLE]) | {HANDSHAKE_KEY: str(handshake)}
    )
    saved = {name: os.environ.get(name) for name in (*DDP_VARIABLES, *exported)}
    os.environ.update(exported)
    watch = ChildWatch(handshake)
    try:
        with process_observer(watch.started):
            yield watch
    except Exception as error:
        if watch.failure is not None and watch.failure is not error:
            raise watch.failure from error
        raise
    finally:
        watch.end()
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
        _restore(saved)
        shutil.rmtree(handshake, ignore_errors=True)


def _restore(saved: Mapping[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _is_child() -> bool:
    """Whether this process is a DDP child of a job (`experiments.runs.reentry`)."""
    return JOB_VARIABLE in os.environ and os.environ.get("LOCAL_RANK", "0") != "0"


def _handshake_file(suffix: str) -> Path | None:
    """This DDP child's file ``rank<N>.<suffix>`` in its job's handshake folder; None in
    rank 0 or outside DDP."""
    if not _is_child():
        return None
    handshake = Path(json.loads(os.environ[JOB_VARIABLE])[HANDSHAKE_KEY])
    return handshake / f"rank{os.environ['LOCAL_RANK']}.{suffix}"


def child_ready() -> None:
    """In a DDP child: tell rank 0 that this rank built its run and is about to fit."""
    if (path := _handshake_file("ready")) is not None:
        path.touch()


def report_child_errors() -> None:
    """In a DDP child: keep the last error it logs (its job's one-line reason) where rank 0
    reads it when this process ends non-zero."""
    if (path := _handshake_file("error")) is not None:
        logging.getLogger().addHandler(_LastError(path))


class _LastError(logging.Handler):
    def __init__(self, path: Path) -> None:
        super().__init__(logging.ERROR)
        self.path = path

    def emit(self, record: logging.LogRecord) -> None:
        lines = [line.strip() for line in record.getMessage().splitlines() if line.strip()]
        if not lines:
            return
        # "Bad configuration:" then its problems; "Run failed:" then a traceback's last line
        said = "; ".join(lines[1:]) if lines[0] == "Bad configuration:" else lines[-1]
        self.path.write_text(said + "\n")
