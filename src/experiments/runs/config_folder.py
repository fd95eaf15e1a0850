"""Whether Hydra writes a job's ``.hydra/`` config folder: not over a finished run's. The
root config's ``hydra.output_subdir`` is ``${unless_done:...}``, registered when this module
is imported; Hydra resolves it before the job starts, so the entry point imports this light
module (no torch) rather than the job's."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from experiments.runs.result import read_result


def is_done(run_dir: Path) -> bool:
    """True when ``run_dir`` holds a ``result.json`` whose status is ``done``."""
    result = read_result(run_dir)
    return result is not None and result.get("status") == "done"


def config_folder_unless_done(run_dir: str, subdir: str) -> str | None:
    """``subdir`` (Hydra's ``.hydra``), or None when ``run_dir`` holds a finished run: Hydra
    then leaves the finished run's recorded config and overrides as they are, and the job
    decides whether it is the same job (then skipped) or another one (the old run is
    `experiments.runs.resume.set_aside` and the job writes its own config with
    `experiments.runs.resume.save_config`)."""
    return None if is_done(Path(run_dir)) else subdir


OmegaConf.register_new_resolver("unless_done", config_folder_unless_done, replace=True)
