"""Re-running into a run folder: a finished run of the same job is skipped; a finished run
of another job is set aside (`set_aside`); the others start clean, or resume from their last
checkpoint."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from experiments.io.atomic import remove_temporaries
from experiments.io.lock import LOCK_FILE
from experiments.runs.checkpoints import intact_checkpoint
from experiments.runs.checksums import CHECKPOINTS_DIR
from experiments.runs.result import TEST_PREDICTIONS_FILE, now_iso, read_result

log = logging.getLogger(__name__)

# What every run writes besides result.json, run.log and its model; a re-run replaces them
# so that its curves and models are not mixed with those of the attempt that failed.
RUN_OUTPUTS = ("tb", TEST_PREDICTIONS_FILE)
# Where a finished run of another job is moved (`set_aside`): hidden, so that reports, which
# skip hidden folders, never count it as a run of the folder.
REPLACED_DIR = ".replaced"
CONFIG_DIR = ".hydra"


def finished_result(run_dir: Path) -> dict | None:
    """The result in ``run_dir`` when its status is ``done``, else None."""
    result = read_result(run_dir)
    return result if result is not None and result.get("status") == "done" else None


def set_aside(run_dir: Path) -> Path:
    """Move the finished run in ``run_dir`` into ``<run_dir>/.replaced/<when it finished>/``:
    everything but its logs (a new attempt appends to them) and its lock, so that the folder
    can hold another job while the old run stays whole (its result, config, model, curves).

    Returns:
        The folder it was moved to.
    """
    finished = str((read_result(run_dir) or {}).get("finished") or now_iso())
    base = run_dir / REPLACED_DIR / finished.replace(":", "-")
    target, number = base, 1
    while target.exists():
        number += 1
        target = base.with_name(f"{base.name}_{number}")
    target.mkdir(parents=True)
    for entry in run_dir.iterdir():
        if entry.name not in (REPLACED_DIR, LOCK_FILE) and entry.suffix != ".log":
            os.replace(entry, target / entry.name)
    return target


def save_config(
    run_dir: Path, cfg: DictConfig, overrides: list[str], hydra: DictConfig | None = None
) -> None:
    """Write the run's composed config, overrides and (when given) Hydra config into
    ``<run_dir>/.hydra/`` as Hydra does, for a run whose folder Hydra found finished (it
    leaves a finished run's files as they are) and whose finished run was `set_aside`."""
    folder = run_dir / CONFIG_DIR
    folder.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, folder / "config.yaml")
    OmegaConf.save(OmegaConf.create(overrides), folder / "overrides.yaml")
    if hydra is not None:
        OmegaConf.save(OmegaConf.create({"hydra": hydra}), folder / "hydra.yaml")


def clear_previous_attempt(run_dir: Path, model_files: list[Path]) -> None:
    """Remove the TensorBoard events, test predictions and models (``model_files``, relative
    to the folder: the first part of each is removed, so ``checkpoints/last.ckpt`` clears
    ``checkpoints/``) of an earlier, unfinished attempt.

    ``run.log`` is kept (the new attempt appends to it, so the old error stays readable) and
    ``result.json`` is overwritten by the new attempt. A run folder of a finished run must not
    be passed here: callers check `experiments.runs.config_folder.is_done` first, and hold the
    folder's lock.
    """
    remove_temporaries(run_dir)
    for name in dict.fromkeys([*RUN_OUTPUTS, *(file.parts[0] for file in model_files)]):
        path = run_dir / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def resume_checkpoint(run_dir: Path) -> Path | None:
    """The last intact checkpoint of an interrupted run: ``checkpoints/last.ckpt``, or the
    one before it when that one is garbled or was cut (with a warning); None when the run
    saved none. When it saved only damaged ones, they are removed with the rest of the
    attempt (`clear_previous_attempt`) and the run starts over, with a warning."""
    path = run_dir / CHECKPOINTS_DIR / "last.ckpt"
    found = intact_checkpoint(path)
    if found is None and any(path.parent.glob("*.ckpt")):
        log.warning("%s: starting over", run_dir)
        clear_previous_attempt(run_dir, [path.relative_to(run_dir)])
    return found


def checkpoint_step(path: Path) -> int:
    """The global step a Lightning checkpoint was saved at."""
    return int(torch.load(path, map_location="cpu", weights_only=True)["global_step"])


def requeued() -> bool:
    """True in a SLURM job that was requeued (preempted, or out of time with submitit's
    checkpointing): it continues from its checkpoint instead of starting over."""
    return os.environ.get("SLURM_RESTART_COUNT", "0") not in ("", "0")
