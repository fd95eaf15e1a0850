"""Protocol folders made of generated `result.json` files, with known true scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from experiments.runs.result import write_result

ROWS = {"train": 1077, "val": 360, "test": 360}  # digits, 60/20/20


def _run(
    folder: Path, block: dict, metrics: dict, model: str, family: str | None, seconds: float,
    rows: dict[str, int] = ROWS,
) -> None:  # fmt: skip
    write_result(
        folder,
        {"status": "done", "metrics": metrics, "monitor": "val/acc", "monitor_mode": "max",
         "fit_seconds": seconds, "n_params": 650, "seed": block["seed"], "rows": rows,
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
    val_means: dict[str, float] | None = None,
    by_split: dict[str, list[float]] | None = None,
    rows: dict[str, int] = ROWS,
) -> Path:
    """A nested protocol folder where model ``m`` scores ``means[m]`` on average on test, plus
    a per-split effect shared by all models (some splits are harder) and ``noise`` per run
    (``by_split[m]``: the test score of each split instead, the same for every seed).

    On every split, search trial k of every model scores ``means[m] - 0.02 + 0.004 k`` on
    validation (trial 0, the defaults, is the worst; the search withheld the test rows, so
    its test metric is the validation one), the last trial is chosen, and the defaults are
    scored on test (seed 0) at ``means[m] - 0.02``. The chosen configurations score
    ``val_means[m]`` (default: ``means[m]``) on validation. Every run records ``rows``."""
    rng = np.random.default_rng(seed)
    split_effect = rng.normal(0, split_spread, splits)
    families, val_means, by_split = families or {}, val_means or means, by_split or {}
    chosen = trials - 1
    for index, (model, mean) in enumerate(means.items()):
        family = families.get(model)
        for r in range(splits):
            for k in range(trials):
                score = mean - 0.02 + 0.004 * k + rng.normal(0, 0.002)
                block = {"phase": "search", "model": model, "trial": k,
                         "params": {"optimizer.lr": 10.0**-k}, "split_seed": r, "seed": 0}  # fmt: skip
                metrics = {"val/acc": score, "test/acc": score}
                _run(root / "search" / model / f"split_{r},trial_{k}", block, metrics, model,
                     family, 1.0)  # fmt: skip
            for s in range(seeds):
                block = {"phase": "final", "model": model, "trial": chosen,
                         "params": {"optimizer.lr": 10.0**-chosen}, "split_seed": r, "seed": s}  # fmt: skip
                if model in by_split:
                    value = by_split[model][r]
                else:
                    value = min(1.0, mean + split_effect[r] + rng.normal(0, noise))
                val = min(1.0, val_means[model] + split_effect[r] + rng.normal(0, noise))
                _run(root / "final" / model / f"split_{r},seed_{s}", block,
                     {"val/acc": val, "test/acc": value}, model, family, 1.0 + index, rows)  # fmt: skip
            if chosen:
                block = {"phase": "default", "model": model, "trial": 0, "params": {},
                         "split_seed": r, "seed": 0}  # fmt: skip
                value = min(1.0, mean - 0.02 + split_effect[r] + rng.normal(0, noise))
                _run(root / "default" / model / f"split_{r},seed_0", block,
                     {"val/acc": value, "test/acc": value}, model, family, 1.0)  # fmt: skip
    protocol = {"trials": trials, "splits": splits, "seeds": seeds, "rope": rope,
                "tuning": "nested"}  # fmt: skip
    (root / "multirun.yaml").write_text(yaml.safe_dump({"protocol": protocol}))
    return root
