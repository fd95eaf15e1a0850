"""Each Lightning internal this package uses (experiments/compat/lightning.py) is still
there and still called as it expects: an upgrade that moves one fails here, by name."""

from __future__ import annotations

import inspect

from pytorch_lightning.strategies.launchers import subprocess_script

from experiments.compat.lightning import OBSERVER_NAME, process_observer


def test_the_ddp_launcher_calls_the_process_observer_with_its_processes() -> None:
    assert callable(getattr(subprocess_script, OBSERVER_NAME, None)), (
        f"pytorch_lightning ...subprocess_script.{OBSERVER_NAME} is gone: see compat/lightning.py"
    )
    launch = inspect.getsource(subprocess_script._SubprocessScriptLauncher.launch)
    assert f"{OBSERVER_NAME}(self.procs)" in launch, "the DDP launcher no longer calls it so"


def test_the_observer_is_replaced_for_the_block_only() -> None:
    original = getattr(subprocess_script, OBSERVER_NAME)
    seen = []
    with process_observer(seen.append):
        getattr(subprocess_script, OBSERVER_NAME)(["procs"])
    assert seen == [["procs"]] and getattr(subprocess_script, OBSERVER_NAME) is original
