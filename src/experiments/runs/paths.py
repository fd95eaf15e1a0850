"""The run's folders: made where the user said and nowhere else (`OutputFolderCheck`), and
paths in a run's saved config made absolute, so that evaluating or predicting with the run
does not depend on the folder it was launched from."""

from __future__ import annotations

import errno
import sys
import tempfile
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict

from experiments.config.errors import ConfigError
from experiments.config.resolvers import folder_name

# Config keys that hold local paths, relative to the launch folder when given relative.
PATH_KEYS = ("dataset.path", "dataset.cache_dir")
SAVED_CONFIG = Path(".hydra") / "config.yaml"
# Written and deleted before Hydra writes the run's .hydra/ files (about 15 KB), so that a
# disk that is full already fails with one line rather than in Hydra's own code.
PROBE_BYTES = 64 * 1024


def record_absolute_paths(cfg: DictConfig, run_dir: Path) -> None:
    """Resolve the `PATH_KEYS` of ``cfg`` against the current folder, in place, and write
    them into the run's saved config (``<run_dir>/.hydra/config.yaml``) when it has one.

    Other keys of the saved file, interpolations included, are left as Hydra wrote them.
    """
    resolved = {}
    for key in PATH_KEYS:
        value = OmegaConf.select(cfg, key)
        if isinstance(value, str) and value and "://" not in value:
            resolved[key] = str(Path(value).expanduser().resolve())
    if not resolved:
        return
    with open_dict(cfg):
        for key, value in resolved.items():
            OmegaConf.update(cfg, key, value)
    saved = run_dir / SAVED_CONFIG
    if saved.is_file():
        config = OmegaConf.load(saved)
        for key, value in resolved.items():
            OmegaConf.update(config, key, value, force_add=True)
        OmegaConf.save(config, saved)


class OutputFolderCheck(Callback):
    """Hydra callback: before Hydra creates the run's (or the sweep's) folder, check that
    ``experiment_name`` is one folder name and that the folder can be created and written.
    Each problem is one message, not Hydra's traceback: exit 2 for a setting to change
    (``experiment_name=../x``, a read-only or forbidden ``output_root``), 1 for a failure of
    the machine (a full disk)."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        _check_or_exit(config, "run")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _check_or_exit(config, "sweep")


def check_output_folder(experiment_name: str, folder: Path) -> None:
    """Make ``folder`` (a run's or sweep's) and check that it takes files.

    Raises:
        ConfigError: ``experiment_name`` is no folder name, or ``folder`` cannot be made or
            written for want of permission (read-only file system, access denied).
        OSError: another failure (no space left on the device).
    """
    folder_name(experiment_name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder) as probe:  # room for Hydra's .hydra/ files
            probe.write(bytes(PROBE_BYTES))
    except OSError as error:
        if error.errno not in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR):
            raise
        raise ConfigError(
            f"output_root: cannot write the run folder '{folder}' ({error.strerror}); "
            "choose a writable output_root"
        ) from None


def _check_or_exit(config: DictConfig, mode: str) -> None:
    folder = Path(str(config.hydra[mode].dir))
    try:
        check_output_folder(config.experiment_name, folder)
    except ConfigError as error:
        print("\n".join(error.problems), file=sys.stderr)
        sys.exit(2)
    except OSError as error:
        print(f"cannot write the run folder '{folder}': {error.strerror}", file=sys.stderr)
        sys.exit(1)
