"""One process per run folder: a second one waits, says for whom, then goes on."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

from experiments.io.lock import LOCK_FILE, folder_lock

HOLD = """
import fcntl, json, os, platform, sys
file = open(sys.argv[1], "a+")
fcntl.lockf(file, fcntl.LOCK_EX)
file.write(json.dumps({"pid": os.getpid(), "host": platform.node()}))
file.flush()
print("held", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


def test_second_process_waits_and_names_the_holder(tmp_path: Path, caplog) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / LOCK_FILE)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline() == "held\n"

    def release_once_waited_for() -> None:
        while "waiting: " not in caplog.text:
            time.sleep(0.01)
        holder.stdin.close()  # the holder exits: its lock goes with it

    releaser = threading.Thread(target=release_once_waited_for, daemon=True)
    with caplog.at_level(logging.INFO):
        releaser.start()
        with folder_lock(tmp_path):
            pass
    holder.wait()
    assert f"is in use by another process (pid {holder.pid} on " in caplog.text
    assert "is free; going on" in caplog.text
