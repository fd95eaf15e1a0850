"""The report of a learning curve: test score against training-set size per model, and the
crossover, the smallest size from which the best deep model beats the best baseline.

A curve folder (written by the curve sweep, `experiments.protocol.curve`) holds one
protocol-shaped folder per size, ``size_<n>/final/<model>/split_<r>,seed_<s>/`` (and
``size_<n>/search/`` when each size was tuned). Each size is read as a protocol
(`read_protocol`, `protocol_board`): the same scores, intervals and verdicts as a protocol's
leaderboard. At each size the best deep model and the best baseline (each the best of its
side on validation, sides from ``model.family``) are compared with `compare_models`: a
bootstrap over the shared test rows on one split, the corrected resampled and Bayesian
correlated t-tests over the splits (seeds averaged within each) over several.

The curve sweep calls `write_curve_report` when it ends; ``experiments-compare <curve
folder>`` calls it again at any time (it only reads ``result.json`` files).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from experiments.config.errors import ConfigError
from experiments.io.atomic import write_atomic
from experiments.protocol.curve import SIZE_FOLDER
from experiments.report.protocol.board import compare_models, protocol_board
from experiments.report.protocol.report import (
    BASELINE,
    DEEP,
    difference_words,
    family,
    probability,
)
from experiments.report.protocol.runs import FINAL, read_protocol
from experiments.stats.verdict import CONFIDENT, Comparison

TABLE_CSV, VERDICTS_CSV = "learning_curve.csv", "crossover.csv"
TABLE_MD, PLOT_PNG = "learning_curve.md", "learning_curve.png"
TENSORBOARD_DIR = "tb/learning_curve"  # under the curve folder: `tensorboard --logdir <folder>`


@dataclass(frozen=True)
class Point:
    """One model at one training-set size.

    Attributes:
        size: training rows.
        model, family: the model's name and side (``baseline``, ``deep`` or None).
        runs: finished runs (seeds, or splits x seeds) behind the mean.
        splits: the splits among them (the seeds of a split are averaged first).
        mean, std, low, high: mean test score over the splits, its std over splits (over
            seeds on one split: nan) and 95% interval (a bootstrap over the test rows on one
            split; corrected t over several).
        fit_seconds: mean training time.
        unconverged: runs of a model trained to convergence that reached
            ``trainer.max_epochs`` first (``converged: false``): a baseline held back.
    """

    size: int
    model: str
    family: str | None
    runs: int
    splits: int
    mean: float
    std: float
    low: float
    high: float
    fit_seconds: float
    unconverged: int = 0


@dataclass(frozen=True)
class Duel:
    """The best deep model against the best baseline at one size (``comparison``: deep -
    baseline, positive = deep better)."""

    size: int
    deep: str
    baseline: str
    deep_score: float
    baseline_score: float
    comparison: Comparison


@dataclass(frozen=True)
class Curve:
    """A learning curve folder, read.

    Attributes:
        folder: the curve folder.
        dataset: the dataset's name.
        metric: the test metric of the scores (``test/acc``).
        mode: ``max`` or ``min``: whether a higher score is better.
        points: every model at every size, sizes ascending.
        duels: per size with both a deep model and a baseline, sizes ascending.
        sizes: every size with finished runs, ascending.
        crossover: `crossover_size` of the duels, None when there is none.
    """

    folder: Path
    dataset: str
    metric: str
    mode: str
    points: list[Point]
    duels: list[Duel]
    sizes: list[int]
    crossover: int | None

    @property
    def models(self) -> list[str]:
        """Baselines first, then deep models, each in the order first seen."""
        names = list(dict.fromkeys(point.model for point in self.points))
        sides = {point.model: point.family for point in self.points}
        return sorted(names, key=lambda name: sides[name] == DEEP)


def crossover_size(verdicts: Sequence[tuple[int, str]]) -> int | None:
    """The smallest size from which the verdict is ``better`` at that size and every larger
    one; None when the largest size's verdict is not ``better`` (or there are none).

    Args:
        verdicts: ``(size, verdict)`` of the best deep model against the best baseline, in
            any order (a size without both sides has no ``better`` verdict).
    """
    crossover = None
    for size, verdict in sorted(verdicts, reverse=True):
        if verdict != "better":
            break
        crossover = size
    return crossover


def size_folders(folder: Path) -> list[tuple[int, Path]]:
    """``(size, folder)`` of each ``size_<n>/`` with a ``final/`` phase, sizes ascending."""
    found = []
    for path in Path(folder).glob(f"{SIZE_FOLDER}*"):
        size = path.name.removeprefix(SIZE_FOLDER)
        if size.isdigit() and (path / FINAL).is_dir():
            found.append((int(size), path))
    return sorted(found)


def is_curve_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a learning curve's ``size_<n>/final/`` folders."""
    return bool(size_folders(folder))


def read_curve(folder: Path) -> Curve:
    """Every size of the curve folder as points and duels, and the crossover.

    Raises:
        ConfigError: no size holds a finished run.
    """
    points: list[Point] = []
    duels: list[Duel] = []
    sizes: list[int] = []
    dataset, metric, mode = Path(folder).name, None, "max"
    for size, path in size_folders(folder):
        try:
            protocol = read_protocol(path)
        except ConfigError:
            continue  # no run of this size finished: not a point of the curve
        rows, rope = protocol_board(protocol)
        dataset, metric, mode = protocol.dataset, protocol.metric, protocol.mode
        sizes.append(size)
        sides = {row.model: family(protocol.models[row.model]) for row in rows}
        for row in rows:
            finals = protocol.models[row.model].finals.values()
            unconverged = sum(result.get("converged") is False for _, result in finals)
            points.append(
                Point(size, row.model, sides[row.model], sum(row.seeds), row.splits, row.tuned,
                      row.tuned_std, row.tuned_low, row.tuned_high, row.fit_seconds,
                      unconverged)
            )  # fmt: skip
        ranked = [row for row in rows if not math.isnan(row.tuned)]  # best on validation first
        deep = next((row for row in ranked if sides[row.model] == DEEP), None)
        baseline = next((row for row in ranked if sides[row.model] == BASELINE), None)
        if deep and baseline:
            comparison = compare_models(
                protocol, protocol.models[deep.model], protocol.models[baseline.model], rope
            )
            duels.append(
                Duel(size, deep.model, baseline.model, deep.tuned, baseline.tuned, comparison)
            )
    if metric is None:
        raise ConfigError(f"{folder}: no finished run below its size_<n>/final/ folders")
    verdict = {d.size: d.comparison.verdict for d in duels}
    crossover = crossover_size([(size, verdict.get(size, "no duel")) for size in sizes])
    return Curve(Path(folder), dataset, metric, mode, points, duels, sizes, crossover)


def write_curve_report(folder: Path) -> Curve:
    """Read the curve folder; write ``learning_curve.csv`` (size x model), ``crossover.csv``
    (the duel at each size), ``learning_curve.md`` and ``learning_curve.png`` into it; log
    the plot and the scores (one scalar tag per model, the size as the step) to TensorBoard
    (``tb/learning_curve``); print the table and the crossover sentence.

    Raises:
        ConfigError: the folder holds no finished run of a curve.
    """
    curve = read_curve(folder)
    table = table_markdown(curve)
    sentence = crossover_sentence(curve)
    plot = plot_curve(curve, curve.folder / PLOT_PNG)
    log_curve(curve, plot)
    write_atomic(curve.folder / TABLE_CSV, points_csv(curve))
    write_atomic(curve.folder / VERDICTS_CSV, duels_csv(curve))
    text = (
        f"# Learning curve on {curve.dataset}: {curve.metric} by training-set size\n\n"
        f"{table}\n{table_note(curve)}\n\n{sentence}\n\n![learning curve]({PLOT_PNG})\n"
    )
    write_atomic(curve.folder / TABLE_MD, text)
    print(
        f"\n{table}\n{unconverged_note(curve)}{sentence}\nLearning curve: {curve.folder / TABLE_MD}, {plot}"
    )
    return curve


def _cell(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "-"
    if math.isnan(low) or math.isnan(high):
        return f"{mean:.4f}"
    return f"{mean:.4f} ± {(high - low) / 2:.4f}"


def table_markdown(curve: Curve) -> str:
    """Size x model: mean score ± half its 95% interval, then the best deep model against
    the best baseline at that size."""
    models = curve.models
    header = ["train rows", *models, "best deep vs best baseline", "P(better)", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    by_key = {(p.size, p.model): p for p in curve.points}
    duels = {d.size: d for d in curve.duels}
    for size in curve.sizes:
        cells = [f"{size:,}"]
        for model in models:
            point = by_key.get((size, model))
            cells.append(_cell(point.mean, point.low, point.high) if point else "-")
        duel = duels.get(size)
        if duel is None:
            cells += ["-", "-", "-"]
        else:
            c = duel.comparison
            mark = " (crossover)" if size == curve.crossover else ""
            cells += [
                f"{duel.deep} vs {duel.baseline}: {_difference(curve, c)}",
                probability(c.p_better).removeprefix("= "),
                c.verdict + mark,
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table_note(curve: Curve) -> str:
    runs = sorted({p.runs for p in curve.points})
    splits = sorted({p.splits for p in curve.points})
    method = curve.duels[0].comparison.method if curve.duels else "no duel"
    return unconverged_note(curve) + (
        f"Cells: mean {curve.metric} over {'/'.join(map(str, runs))} runs on "
        f"{'/'.join(map(str, splits))} split(s), the seeds of a split averaged first, ± half "
        "the 95% interval of the mean (bootstrap over the test rows on one split; corrected t "
        "over the splits on several). The duel: the best deep model against the best "
        "baseline at that size, each the best of its side (model.family) on validation; the "
        f"deep model's score against the baseline's in words, ± half its 95% interval "
        f"({method}); the verdict is `better` when P(better) >= {CONFIDENT} (ROPE as in the "
        "protocol's report)."
    )


def unconverged_note(curve: Curve) -> str:
    """Which models stopped at ``trainer.max_epochs`` before converging, at which sizes
    (their scores understate them: raise ``trainer.max_epochs``); empty when none did."""
    held = [p for p in curve.points if p.unconverged]
    if not held:
        return ""
    where = ", ".join(f"{p.model} at {p.size:,} rows ({p.unconverged}/{p.runs})" for p in held)
    return (
        f"Not converged within trainer.max_epochs (result.json converged: false), so their "
        f"scores understate them: {where}.\n\n"
    )


def crossover_sentence(curve: Curve) -> str:
    """The crossover in numbers: where it is, the duel there, and the duel just before."""
    if not curve.duels:
        return (
            "No crossover to look for: the curve needs a deep model and a baseline "
            "(model.family: deep | baseline) with finished runs at the same sizes."
        )
    duels = {d.size: d for d in curve.duels}
    if curve.crossover is None:
        last = curve.duels[-1]
        return (
            f"No crossover: at the largest size ({last.size:,} rows) the best deep model does "
            f"not beat the best baseline with P(better) >= {CONFIDENT}: {_duel_text(curve, last)}."
        )
    at = duels[curve.crossover]
    smaller = [d for d in curve.duels if d.size < curve.crossover]
    text = (
        f"Crossover at {curve.crossover:,} training rows: from there on, the best deep model "
        f"beats the best baseline at every size with P(better) >= {CONFIDENT}; at "
        f"{at.size:,}: {_duel_text(curve, at)}"
    )
    if smaller:
        return text + f"; at {smaller[-1].size:,}: {_duel_text(curve, smaller[-1])}."
    return text + " (the smallest size measured: the crossover may lie below it)."


def _duel_text(curve: Curve, duel: Duel) -> str:
    c = duel.comparison
    return (
        f"{duel.deep} {duel.deep_score:.4f} vs {duel.baseline} {duel.baseline_score:.4f}, "
        f"{duel.deep}'s {curve.metric} is {_difference(curve, c)}, P(better) "
        f"{probability(c.p_better)}: {c.verdict}"
    )


def _difference(curve: Curve, c: Comparison) -> str:
    """``1.2 ± 1.2 points lower (worse)``: the deep model's score against the baseline's."""
    return difference_words(curve.metric, c, curve.mode == "max")


def plot_curve(curve: Curve, path: Path) -> Path:
    """Test score against training rows (log x), one line per model with its 95% band,
    and the crossover as a vertical line."""
    from experiments.report.protocol.plots import pyplot, save_figure

    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7.5, 4.8))
    for index, model in enumerate(curve.models):
        points = [p for p in curve.points if p.model == model and not math.isnan(p.mean)]
        sizes = [p.size for p in points]
        color = f"C{index % 10}"
        style = "-o" if points and points[0].family == DEEP else "--s"
        axes.plot(sizes, [p.mean for p in points], style, color=color, label=model, markersize=4)
        low = [p.low if not math.isnan(p.low) else p.mean for p in points]
        high = [p.high if not math.isnan(p.high) else p.mean for p in points]
        axes.fill_between(sizes, low, high, color=color, alpha=0.18, linewidth=0)
    if curve.crossover is not None:
        axes.axvline(curve.crossover, color="black", linestyle=":", linewidth=1.2,
                     label=f"crossover: {curve.crossover:,} rows")  # fmt: skip
    axes.set_xscale("log")
    axes.set_xticks(curve.sizes, [f"{size:,}" for size in curve.sizes])
    axes.minorticks_off()
    axes.set_xlabel("training rows (log scale)")
    axes.set_ylabel(f"{curve.metric} (mean, 95% band)")
    axes.set_title(f"Learning curve on {curve.dataset} (solid: deep, dashed: baselines)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return save_figure(figure, path, plt)


def log_curve(curve: Curve, plot: Path) -> Path:
    """The plot as an image (tag ``learning_curve``) and each model's mean score as a
    scalar per size (tag ``learning_curve/<model>``, step = training rows), in
    ``<folder>/tb/learning_curve``, replacing an earlier report's events there."""
    from matplotlib.image import imread
    from torch.utils.tensorboard import SummaryWriter

    log_dir = curve.folder / TENSORBOARD_DIR
    shutil.rmtree(log_dir, ignore_errors=True)
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        writer.add_image("learning_curve", imread(plot)[..., :3], dataformats="HWC")
        for point in curve.points:
            if not math.isnan(point.mean):
                writer.add_scalar(f"learning_curve/{point.model}", point.mean, point.size)
    return log_dir


def points_csv(curve: Curve) -> str:
    import pandas as pd

    records = [
        {"size": p.size, "model": p.model, "family": p.family, "metric": curve.metric,
         "runs": p.runs, "splits": p.splits, "mean": p.mean, "std": p.std, "low": p.low, "high": p.high,
         "fit_seconds": p.fit_seconds, "unconverged": p.unconverged}
        for p in curve.points
    ]  # fmt: skip
    return pd.DataFrame(records).to_csv(index=False)


def duels_csv(curve: Curve) -> str:
    import pandas as pd

    records = [
        {"size": d.size, "deep": d.deep, "baseline": d.baseline, "metric": curve.metric,
         "deep_score": d.deep_score, "baseline_score": d.baseline_score,
         "difference": d.comparison.mean, "low": d.comparison.low, "high": d.comparison.high,
         "p_better": d.comparison.p_better, "p_equivalent": d.comparison.p_equivalent,
         "p_worse": d.comparison.p_worse, "verdict": d.comparison.verdict,
         "crossover": d.size == curve.crossover, "method": d.comparison.method}
        for d in curve.duels
    ]  # fmt: skip
    return pd.DataFrame(records).to_csv(index=False)
