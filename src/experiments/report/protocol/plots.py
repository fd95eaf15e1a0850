"""The protocol's plots (matplotlib PNG), also logged to TensorBoard as images: budget
curves on validation, tuned scores per split as paired points, and the score/fit-time
frontier."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from experiments.report.protocol.board import BoardRow
from experiments.report.protocol.budget import budget_curve, common_budget
from experiments.report.protocol.runs import Protocol

TENSORBOARD_DIR = "tb/report"  # under the protocol folder: `tensorboard --logdir <folder>`


def pyplot():
    """matplotlib's pyplot drawing to files only."""
    # Imported here: pyplot costs about a second, paid only by the reports that plot.
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    return plt


def plot_budget_curves(protocol: Protocol, order: list[str], path: Path) -> Path | None:
    """Grinsztajn's budget curve of every model, on validation: the best validation score
    after k trials, averaged over random orders of the trials and over the splits searched,
    up to the smallest budget any model reached; each model's default score as a dotted
    line. On validation because a search never scores its split's test rows; optimistic,
    since the same rows select and score. None when no model has a search with trial 0."""
    curves = {}
    for name in order:
        searches = protocol.models[name].split_trials(protocol.selection_metric).values()
        per_split = [budget_curve(val, val, protocol.mode) for val in searches if len(val)]
        if per_split:
            budget = common_budget(dict(enumerate(per_split)))
            curves[name] = np.mean([curve[:budget] for curve in per_split], axis=0)
    budget = common_budget(curves)
    if budget == 0:
        return None
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4.5))
    trials = np.arange(1, budget + 1)
    for index, (name, curve) in enumerate(curves.items()):
        color = f"C{index % 10}"
        axes.plot(trials, curve[:budget], "-o", color=color, label=name, markersize=3)
        axes.axhline(curve[0], color=color, linestyle=":", linewidth=1)
    axes.set_xlabel("search trials (trial 1 = the model's defaults)")
    axes.set_ylabel(f"best {protocol.selection_metric} so far (mean over splits)")
    axes.set_title("Budget curves on validation (15 random orders; dotted: defaults)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return save_figure(figure, path, plt)


def plot_paired_splits(protocol: Protocol, order: list[str], path: Path) -> Path | None:
    """Each model's tuned score per split (mean over seeds) as points, one line per split
    joining the models: a gap that every line shows is a gap the splits agree on."""
    per_split: dict[int, dict[str, float]] = {}
    for name in order:
        for split, score in protocol.models[name].split_scores(protocol.metric).items():
            per_split.setdefault(split, {})[name] = score
    if not per_split:
        return None
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(max(5, 1.2 * len(order)), 4.5))
    positions = {name: i for i, name in enumerate(order)}
    for by_model in per_split.values():
        names = [name for name in order if name in by_model]
        means = [by_model[name] for name in names]
        axes.plot([positions[n] for n in names], means, "-o", color="gray", alpha=0.5, markersize=4)
    axes.set_xticks(range(len(order)), order, rotation=30, ha="right")
    axes.set_ylabel(f"{protocol.metric} (mean over seeds)")
    axes.set_title(f"Tuned scores per split ({len(per_split)} splits; one line per split)")
    axes.grid(alpha=0.3)
    return save_figure(figure, path, plt)


def plot_frontier(protocol: Protocol, rows: list[BoardRow], path: Path) -> Path | None:
    """Tuned score (with its 95% interval) against mean fit seconds, and the frontier of
    the models no other beats on both score and cost."""
    shown = [r for r in rows if not np.isnan(r.tuned) and not np.isnan(r.fit_seconds)]
    if not shown:
        return None
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4.5))
    seconds = np.array([r.fit_seconds for r in shown])
    scores = np.array([r.tuned for r in shown])
    low = np.array([r.tuned_low for r in shown])
    high = np.array([r.tuned_high for r in shown])
    error = np.nan_to_num(np.abs(np.stack([scores - low, high - scores])))
    axes.errorbar(seconds, scores, yerr=error, fmt="o", capsize=4)
    for row in shown:
        axes.annotate(row.model, (row.fit_seconds, row.tuned), textcoords="offset points",
                      xytext=(6, 4), fontsize=8)  # fmt: skip
    sign = 1 if protocol.mode == "max" else -1
    frontier, best = [], -np.inf
    for i in np.argsort(seconds):
        if sign * scores[i] > best:
            frontier.append(i)
            best = sign * scores[i]
    axes.plot(seconds[frontier], scores[frontier], drawstyle="steps-post", color="tab:orange",
              marker="o", markersize=10, markerfacecolor="none",
              label="frontier: no model both cheaper and better")  # fmt: skip
    if seconds.max() > 10 * seconds.min() > 0:
        axes.set_xscale("log")
    axes.set_xlabel("fit seconds (mean over re-runs)")
    axes.set_ylabel(f"{protocol.metric} (tuned, 95% interval)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return save_figure(figure, path, plt)


def save_figure(figure, path: Path, plt) -> Path:
    """Write ``figure`` as a PNG at ``path`` (folders made) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path


def log_images(folder: Path, paths: list[Path]) -> Path:
    """Log the PNGs to TensorBoard as images (tag ``protocol/<file stem>``) in
    ``<folder>/tb/report``, replacing an earlier report's events there; returns that folder."""
    from matplotlib.image import imread
    from torch.utils.tensorboard import SummaryWriter

    log_dir = folder / TENSORBOARD_DIR
    shutil.rmtree(log_dir, ignore_errors=True)
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for path in paths:
            image = imread(path)[..., :3]  # RGBA -> RGB, floats in [0, 1]
            writer.add_image(f"protocol/{path.stem}", image, dataformats="HWC")
    return log_dir
