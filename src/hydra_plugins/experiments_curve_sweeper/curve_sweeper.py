"""A Hydra sweeper that runs a learning curve (`experiments.protocol.curve`).

``experiments-train -m experiment=mnist curve=geometric`` (or ``model=a,b,c seed=0,1,2``):
the sweep's models and seeds at each size of ``curve.sizes``, each model with its defaults;
with ``protocol=fair`` too, the fair protocol at each size. Jobs run through the configured
launcher (in this process by default), smallest size first; the report is written by the
end-of-sweep callback (`experiments.report.learning_curve`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from omegaconf import OmegaConf

from hydra_plugins.experiments_protocol_sweeper.protocol_sweeper import ProtocolSweeper

log = logging.getLogger(__name__)


class CurveSweeper(ProtocolSweeper):
    """Runs the sweep's models x seeds (or the fair protocol) at each training-set size.

    Bad input (one model, another swept key, ``dataset.train_size`` given beside the curve,
    a size that no job could train on: 0, more rows than the train split, too few rows for
    every class; an empty size list) is reported at once, naming each key, and the process
    exits with status 2 before any job runs.
    """

    WHAT: ClassVar[str] = "learning curve"
    SWEPT: ClassVar[tuple[str, ...]] = ("model", "seed")  # the seeds of each model's runs
    REPLACED: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def sweep(self, arguments: list[str]) -> None:
        from experiments.config import ConfigError
        from experiments.protocol.checks import verdict_warning
        from experiments.protocol.curve import SIZE_KEY, run_curve

        try:
            plan = self._plan_curve(arguments)
        except ConfigError as error:
            log.error("Bad learning curve:\n  %s", "\n  ".join(error.problems))
            sys.exit(2)
        sizes, fixed, models, seeds, tuned = plan
        if tuned and (warning := verdict_warning(tuned[1].splits)):
            log.warning(warning)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        how = (
            f"the fair protocol ({tuned[1].trials} trials, {tuned[1].tuning} tuning, "
            f"{tuned[1].splits} splits x {tuned[1].seeds} seeds)"
            if tuned
            else f"defaults x {len(seeds)} seeds ({', '.join(map(str, seeds))})"
        )
        log.info(
            "learning curve: %d models (%s) x %d sizes (%s), each %s",
            len(models), ", ".join(models), len(sizes), ", ".join(map(str, sizes)), how,
        )  # fmt: skip
        run_curve(
            sizes,
            lambda size, jobs: self._launch([*fixed, f"{SIZE_KEY}={size}"], jobs),
            sweep_dir,
            models=models,
            split_seed=int(self.config.dataset.split_seed),
            seeds=seeds,
            tuned=tuned,
        )

    def _plan_curve(
        self, arguments: list[str]
    ) -> tuple[list[int], list[str], list[str], list[int], Any]:
        """The sizes (counts), the overrides every job gets, the models, the seeds, and with
        ``protocol=fair`` each model's search and the protocol's settings.

        Raises:
            ConfigError: every problem found, each naming its key.
        """
        from experiments.config import ConfigError
        from experiments.protocol.checks import check_sizes
        from experiments.protocol.curve import SIZE_KEY, CurveSettings

        swept, fixed, problems = self._split(arguments)
        models = swept["model"]
        problems += self._model_count_problems(models)
        if any(line.lstrip("+~").startswith(f"{SIZE_KEY}=") for line in fixed):
            problems.append(
                f"{SIZE_KEY}: a learning curve sets it to each of curve.sizes; give the sizes "
                f"there, e.g. 'curve.sizes=[250,500,1000]'"
            )
        seeds = [int(text) for text in swept.get("seed", [self.config.seed]) if _is_int(text)]
        problems += [
            f"seed: expected integers, got {text!r}"
            for text in swept.get("seed", [])
            if not _is_int(text)
        ]
        try:
            settings = CurveSettings.from_config(self.config.get("curve"))
        except ConfigError as error:
            problems += error.problems
            settings = None
        tuned = None
        split_seeds = [int(self.config.dataset.split_seed)]
        if self.config.protocol.get("trials") is not None:  # protocol=fair: tune at every size
            if "seed" in swept:
                log.info("learning curve: the sweep of seed is replaced by protocol.seeds")
            protocol, searches, more = self._searches(models, fixed)
            problems += more
            if protocol is not None:
                tuned = (searches, protocol)
                split_seeds = list(range(protocol.splits))
        sizes: list[int] = []
        if settings is not None:  # checked on the data even when other problems were found
            try:
                sizes = check_sizes(self._compose(fixed).dataset, split_seeds, settings.sizes)
            except ConfigError as error:
                problems += error.problems
        if problems:
            raise ConfigError(problems)
        return sizes, fixed, models, seeds, tuned

    def _sweep_problem(self, key: str) -> str:
        from experiments.protocol.curve import SIZE_KEY

        if key == SIZE_KEY:
            return (
                f"{SIZE_KEY}: a learning curve takes its sizes from curve.sizes, e.g. "
                "'curve.sizes=[250,500,1000]'"
            )
        return (
            f"{key}: a learning curve sweeps models and seeds over curve.sizes (give {key} "
            "one value)"
        )


def _is_int(text: object) -> bool:
    try:
        int(str(text))
    except ValueError:
        return False
    return True
