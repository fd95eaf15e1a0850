"""Hydra callback: at the end of a multirun, collect its runs into a table and leaderboard."""

from __future__ import annotations

import logging
import os
import secrets
import shlex
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from rich.console import Console

from experiments.config.errors import ConfigError
from experiments.config.model_keys import as_fixed
from experiments.io.atomic import write_atomic
from experiments.report.learning_curve import TABLE_MD, is_curve_folder, write_curve_report
from experiments.report.protocol.ending import protocol_ending
from experiments.report.protocol.report import REPORT_FILE, write_protocol_report
from experiments.report.protocol.runs import is_protocol_folder
from experiments.report.suite import REPORT_FILE as SUITE_FILE
from experiments.report.suite import is_suite_folder, write_suite_report
from experiments.report.summary import summarize
from experiments.report.table import iter_results, results_frame
from experiments.runs.result import LAUNCH_VARIABLE, recorded
from experiments.tasks.monitor import AUTO

log = logging.getLogger(__name__)
SWEEP_DIR_KEY = "hydra.sweep.dir"
SKIPPED = "skipped (done earlier)"
EARLIER_FAILURE = "failed earlier, not re-run"
DEBUG = "debug (no result)"  # fast_dev_run, limit_*_batches: not ranked, not failed
OUTCOMES = ("done", SKIPPED, "pruned", DEBUG, "failed", "interrupted", EARLIER_FAILURE)
# What a sweep folder may hold for its reader, named at the end of the sweep when written.
WHERE = (("Report", REPORT_FILE), ("Report", TABLE_MD), ("Report", SUITE_FILE),
         ("Leaderboard", "leaderboard.md"), ("Results", "results.csv"))  # fmt: skip
MONITOR_KEYS = ("status", "monitor", "monitor_mode")  # what `_monitor` reads of a result
WINNER_DIR = "winner"  # a protocol's winning configuration trained on all training rows
# The multirun of this process, while it runs: `finish_interrupted_sweep` summarizes it.
_running: tuple[CollectResults, DictConfig] | None = None


class CollectResults(Callback):
    """Writes ``results.csv``, ``leaderboard.md`` and plots into the sweep folder (and, for a
    protocol sweep, its ``report.md``: `write_protocol_report`), prints the leaderboard, a
    count of the jobs by outcome, the sentence that answers (a protocol's after its compact
    leaderboard), the files written and the TensorBoard command, and exits 1 when a job launched
    by this multirun failed or did not finish, with the command that re-runs just those jobs,
    or when the summary itself failed (Hydra would only warn about it).

    A job that recorded another launch's id was not run by this multirun: done earlier
    (skipped), or an earlier failure that this multirun did not re-run (a search's old
    trial), listed but not failing this multirun. Launch ids, not clocks: the jobs may run
    on machines whose clocks differ from the launcher's.
    """

    def __init__(self) -> None:
        self.launch = ""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        global _running
        self.launch = secrets.token_hex(6)
        os.environ[LAUNCH_VARIABLE] = self.launch  # jobs inherit it, here or on a cluster
        _running = (self, config)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        self.summarize(config, interrupted=None)

    def summarize(self, config: DictConfig, interrupted: str | None) -> None:
        """The end of the multirun: files, leaderboard, counts; exit 1 when a job it ran
        failed, or it was ``interrupted`` (a reason) before all its jobs ran."""
        global _running
        _running = None
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        summary_error, closing = _summarize(config, sweep_dir)
        counts = self._outcomes(sweep_dir, interrupted is not None)
        told = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        print(f"\nJobs: {told}.")
        if closing:
            print(f"\n{closing}")
        print("\n" + "\n".join(where_lines(sweep_dir)))
        if summary_error:
            print(
                f"The results table and leaderboard could not be written ({summary_error}); "
                f"each job's result.json is intact: experiments-compare {sweep_dir}"
            )
        unfinished = counts["failed"] + counts["interrupted"]
        if interrupted:
            print(f"The sweep was interrupted by {interrupted}; the jobs after it were not run.")
        if unfinished or interrupted:
            print(
                f"{unfinished} job(s) failed or were interrupted; see their result.json and "
                f"run.log. Re-run just those with:\n  {rerun_command(sweep_dir)}"
            )
        if unfinished or interrupted or summary_error:
            sys.exit(1)

    def _outcomes(self, sweep_dir: Path, interrupted: bool) -> dict[str, int]:
        """How many jobs of the sweep folder ended each way (`OUTCOMES`), this launch's apart."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for _, result in iter_results([sweep_dir]):  # one at a time: 20 kB each
            status = result.get("status")
            now = result.get("launch") == self.launch
            if status == "done":
                counts["done" if now else SKIPPED] += 1
            elif status in ("pruned", "debug"):
                counts["pruned" if status == "pruned" else DEBUG] += 1
            elif status == "interrupted" or (status == "running" and interrupted):
                counts["interrupted" if now else EARLIER_FAILURE] += 1
            else:  # failed, or still "running": the job died without recording its end
                counts["failed" if now else EARLIER_FAILURE] += 1
        return counts


def finish_interrupted_sweep(reason: str) -> None:
    """When this process was running a multirun: its summary and re-run command, as at its
    end, for a sweep that was interrupted (``reason``) before all its jobs ran."""
    if _running is None:
        return
    collector, config = _running
    try:
        collector.summarize(config, interrupted=reason)
    except SystemExit:  # the caller exits with the interruption's own code
        pass
    except Exception as error:  # no summary, but the exit code still says interrupted
        print(f"sweep summary failed: {type(error).__name__}: {error}", file=sys.stderr)


def where_lines(sweep_dir: Path) -> list[str]:
    """``Report: <path>`` and the like for each file of `WHERE` the sweep folder holds (none
    on a full disk), its winner's folder, and the TensorBoard command."""
    lines = [
        f"{label}: {sweep_dir / name}" for label, name in WHERE if (sweep_dir / name).is_file()
    ]
    if (sweep_dir / WINNER_DIR).is_dir():
        lines.append(f"Winner: {sweep_dir / WINNER_DIR} (experiments-predict ckpt={sweep_dir})")
    return [*lines, f"TensorBoard: tensorboard --logdir {sweep_dir}"]


def _summarize(config: DictConfig, sweep_dir: Path) -> tuple[str | None, str | None]:
    """Write and print the sweep's table and leaderboard (and a protocol's or a learning
    curve's report; a suite's table and report).

    Returns:
        The error when the summary could not be made, which Hydra would only have warned
        about; and the text that ends the sweep: for a plain sweep its sentence
        (`Summary.closing`), for a protocol its compact leaderboard and answer
        (`protocol_ending`).
    """
    protocol, curve = is_protocol_folder(sweep_dir), is_curve_folder(sweep_dir)
    suite = is_suite_folder(sweep_dir)
    try:
        if suite:  # one leaderboard of every dataset's runs would mix datasets: the table only
            frame = results_frame(iter_results([sweep_dir]), root=sweep_dir)
            write_atomic(sweep_dir / "results.csv", frame.to_csv(index=False))
            closing = None
        else:
            # A protocol's or a curve's table of every run is written, not printed: its report
            # prints the table that answers the question.
            closing = summarize(
                [sweep_dir], *_monitor(config, sweep_dir), sweep_dir,
                console=Console(quiet=True) if protocol or curve else None,
                one_split=not (protocol or curve),
            ).closing  # fmt: skip
    except ConfigError as error:  # runs no leaderboard can rank together; results.csv is written
        print(f"No leaderboard: {error}")
        return None, None
    except OSError as error:  # the machine's limits (a full disk): said once, below
        return f"{type(error).__name__}: {error}", None
    except Exception as error:
        log.exception("end-of-sweep summary failed")
        return f"{type(error).__name__}: {error}", None
    report, what = (
        (write_protocol_report, "protocol report") if protocol
        else (write_curve_report, "learning curve") if curve
        else (write_suite_report, "suite report") if suite
        else (None, "")
    )  # fmt: skip
    if report is None:
        return None, closing
    try:
        written = report(sweep_dir)
    except ConfigError as error:  # no model finished its runs: nothing to report
        print(f"No {what}: {error}")
        return None, None
    return None, protocol_ending(written) if protocol else None


def _monitor(config: DictConfig, sweep_dir: Path) -> tuple[str, str]:
    """The metric and mode that sort the leaderboard: the config's, or with ``auto`` (which
    each job resolves from its data's task) what the jobs recorded."""
    if AUTO not in (config.monitor, config.monitor_mode):
        return config.monitor, config.monitor_mode
    # Of each result, only what is read (a result is some 20 kB: not all of them at once).
    results = [
        {key: result[key] for key in MONITOR_KEYS if key in result}
        for _, result in iter_results([sweep_dir])
    ]
    # a job that failed before resolving `auto` recorded `auto`
    results = [result for result in results if result.get("status") == "done"] or results
    return recorded(results, "monitor") or "val/acc", recorded(results, "monitor_mode") or "max"


def rerun_command(sweep_dir: Path) -> str:
    """This process's command line, pointed at ``sweep_dir`` so that done jobs are skipped."""
    # as the user wrote them (`experiments.config.model_keys`)
    arguments = [a for a in as_fixed(sys.argv[1:]) if not a.startswith(f"{SWEEP_DIR_KEY}=")]
    return shlex.join(["experiments-train", *arguments, f"{SWEEP_DIR_KEY}={sweep_dir}"])
