"""Ctrl-C and SIGTERM as an exception that the run records as ``interrupted``.

SIGTERM is what SLURM sends on preemption and at the time limit, and what ``kill`` sends; by
default it ends Python at once (nothing recorded), and inside ``Trainer.fit`` Lightning only
stops the loop, so the run would test a half-trained model and call it done. Ctrl-C inside
``fit`` becomes ``SystemExit(1)`` in Lightning, recorded as a failure. Here both raise
`Interrupted` in the main thread wherever it is (loading data, training, testing, writing),
which the run wrapper records and the entry point turns into exit code 128 + signal.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

REASONS = {
    signal.SIGINT: "Ctrl-C (SIGINT)",
    signal.SIGTERM: "SIGTERM (SLURM preemption or time limit, or kill)",
}


class Interrupted(BaseException):
    """The process was asked to stop. A BaseException, like KeyboardInterrupt: code that
    catches ``Exception`` to go on with the next job does not swallow it.

    Attributes:
        reason: what stopped it, for people ("Ctrl-C (SIGINT)").
        exit_code: 128 + the signal number, the shell's convention (130, 143).
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.reason = REASONS.get(signum, signal.Signals(signum).name)
        self.exit_code = 128 + signum
        super().__init__(self.reason)


def _raise(signum: int, frame: FrameType | None) -> Any:
    raise Interrupted(signum)


def install_handlers() -> None:
    """Make SIGINT and SIGTERM raise `Interrupted` in this process's main thread.

    A SIGTERM handler that a launcher installed in Python is left in place: submitit, for
    one, handles SLURM's signals itself (it requeues the job, which then resumes from its
    checkpoint). Outside the main thread, where no handler can be set, nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # ignored: a background job
        signal.signal(signal.SIGINT, _raise)
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, _raise, None):
        signal.signal(signal.SIGTERM, _raise)


def interruption(error: BaseException | None) -> Interrupted | None:
    """The `Interrupted` that ``error`` is, or was raised from when a library caught the
    signal's exception and raised its own (a checkpoint write, a data loader); else None."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, Interrupted):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
