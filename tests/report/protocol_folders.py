"""Protocol folders made of generated `result.json` files, with known true scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from experiments.runs.result import write_result


def _run(
    folder: Path, block: dict, metrics: dict, model: str, family: str | None, seconds: float
) -> None:
    write_result(
        folder,
        {"status": "done", "metrics": metrics, "monitor": "val/acc", "monitor_mode": "max",
         "fit_seconds": seconds, "n_params": 650, "seed": block["seed"],
         "overrides": [f"model={model}"], "protocol": block},
    )  # fmt: skip
    config = {
        "dataset": {"name": "digits", "test_size": 0.2, "val_size": 0.2},
        "model": {"name": model} | ({"family": family} if family else {}),
    }
    (folder / ".hydra").mkdir(exist_ok=True)
    (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))


def protocol_folder(
    root: Path,
    means: dict[str, float],
    noise: float = 0.004,
    splits: int = 5,
    seeds: int = 2,
    trials: int = 6,
    families: dict[str, str] | None = None,
    rope: float | None = None,
    split_spread: float = 0.01,
    seed: int = 0,
) -> Path:
    """A protocol folder where model ``m`` scores ``means[m]`` on average on test, plus a
    per-split effect shared by all models (some splits are harder) and ``noise`` per run.
    Search trial k of every model scores ``means[m] - 0.02 + 0.004 k`` (trial 0, the
    defaults, is the worst)."""
    rng = np.random.default_rng(seed)
    split_effect = rng.normal(0, split_spread, splits)
    families = families or {}
    for index, (model, mean) in enumerate(means.items()):
        for k in range(trials):
            score = mean - 0.02 + 0.004 * k
            block = {"phase": "search", "model": model, "trial": k, "params": {"optimizer.lr": 10.0**-k},
                     "split_seed": 0, "seed": 0}  # fmt: skip
            metrics = {
                "val/acc": score + rng.normal(0, 0.002),
                "test/acc": score + rng.normal(0, 0.002),
            }
            _run(
                root / "search" / model / f"trial_{k}",
                block,
                metrics,
                model,
                families.get(model),
                1.0,
            )
        for r in range(splits):
            for s in range(seeds):
                block = {"phase": "final", "model": model, "trial": trials - 1,
                         "params": {"optimizer.lr": 10.0 ** -(trials - 1)}, "split_seed": r, "seed": s}  # fmt: skip
                value = min(1.0, mean + split_effect[r] + rng.normal(0, noise))
                metrics = {"val/acc": value, "test/acc": value}
                _run(root / "final" / model / f"split_{r},seed_{s}", block, metrics, model,
                     families.get(model), 1.0 + index)  # fmt: skip
    protocol = {"trials": trials, "splits": splits, "seeds": seeds, "rope": rope}
    (root / "multirun.yaml").write_text(yaml.safe_dump({"protocol": protocol}))
    return root
