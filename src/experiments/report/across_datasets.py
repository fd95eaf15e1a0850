"""Models compared over several datasets (Demšar 2006): each protocol folder ranks the models
by their tuned score; the mean ranks, the Friedman test of "all models rank alike", the
Nemenyi post-hoc test and its critical-difference diagram (scikit-posthocs).

With few datasets these tests can hardly separate anything; the report says so, with the
numbers: the smallest p-value the Friedman test could reach, and whether the best and worst
possible mean ranks are farther apart than the critical difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.config.errors import ConfigError
from experiments.io.atomic import write_atomic
from experiments.report.protocol.board import protocol_board
from experiments.report.protocol.runs import Protocol, read_protocol
from experiments.report.table import markdown_table

ALPHA = 0.05
REPORT_FILE = "across_datasets.md"
DIAGRAM_FILE = "critical_difference.png"
FEW_DATASETS = 10  # Demšar 2006: the Friedman chi-square is rough below about 10 datasets
# The dataset config keys that say which rows a protocol ran on (a file, a hub id, a column).
IDENTITY_KEYS = ("name", "source", "path", "data_files", "target_column", "task")


@dataclass
class AcrossDatasets:
    """The comparison over datasets.

    Attributes:
        scores: tuned mean score, one row per dataset, one column per model present in all.
        ranks: the same shape; 1 = best on that dataset (ties share the mean rank).
        mean_ranks: per model, best first.
        friedman_p: p-value of the Friedman test (nan with fewer than 3 models).
        critical_difference: the Nemenyi critical difference of mean ranks at `ALPHA`.
        nemenyi: the Nemenyi post-hoc p-values between models.
        warnings: what the reader must know before trusting the tests.
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    mean_ranks: pd.Series
    friedman_p: float
    critical_difference: float
    nemenyi: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def compare_across_datasets(folders: list[Path]) -> AcrossDatasets:
    """Rank the models of several protocol folders (one dataset each).

    Raises:
        ConfigError: fewer than two folders, two folders on the same data (`data_identity`),
            or fewer than two models present in all.
    """
    from scipy import stats  # 0.6 s to import: only for reports across datasets

    if len(folders) < 2:
        raise ConfigError("a comparison across datasets needs at least two protocol folders")
    protocols = [read_protocol(folder) for folder in folders]
    check_distinct_data(protocols)
    columns, signs, warnings = {}, {}, []
    for folder, protocol in zip(folders, protocols, strict=True):
        rows, _ = protocol_board(protocol)
        label = protocol.dataset if protocol.dataset not in columns else str(folder)
        columns[label] = {row.model: row.tuned for row in rows if not math.isnan(row.tuned)}
        signs[label] = 1 if protocol.mode == "max" else -1
    scores = pd.DataFrame(columns).T
    missing = scores.columns[scores.isna().any()].tolist()
    if missing:
        warnings.append(f"left out, not run on every dataset: {', '.join(missing)}")
    scores = scores.dropna(axis=1)
    n, k = scores.shape
    if k < 2:
        raise ConfigError(
            "fewer than two models were run on every dataset: "
            + ", ".join(f"{d}: {', '.join(m)}" for d, m in columns.items())
        )
    # Ranked on sign * score: rank 1 is the best whatever each metric's direction.
    ranks = scores.mul(pd.Series(signs), axis=0).rank(axis=1, ascending=False)
    mean_ranks = ranks.mean().sort_values()
    friedman_p = (
        float(stats.friedmanchisquare(*(ranks[m] for m in ranks)).pvalue) if k >= 3 else math.nan
    )
    critical = float(stats.studentized_range.ppf(1 - ALPHA, k, np.inf) / math.sqrt(2))
    critical *= math.sqrt(k * (k + 1) / (6 * n))
    warnings += _power_warnings(n, k, critical)
    import scikit_posthocs

    nemenyi = scikit_posthocs.posthoc_nemenyi_friedman(ranks.to_numpy())
    nemenyi.index = nemenyi.columns = ranks.columns
    return AcrossDatasets(scores, ranks, mean_ranks, friedman_p, critical, nemenyi, warnings)


def data_identity(protocol: Protocol) -> tuple[tuple[str, str], ...]:
    """What says which data a protocol ran on: the `IDENTITY_KEYS` of its runs' ``dataset``
    config (the split settings aside: two protocols on other splits of one table are one
    dataset)."""
    for runs in protocol.models.values():
        dataset = runs.config.get("dataset", {})
        return tuple((key, str(dataset[key])) for key in IDENTITY_KEYS if key in dataset)
    return (("folder", str(protocol.folder)),)


def check_distinct_data(protocols: list[Protocol]) -> None:
    """Refuse two protocols on the same data: Friedman and Nemenyi take each dataset as an
    independent sample, so one counted twice would weigh its ranking double.

    Raises:
        ConfigError: every pair of folders on the same data.
    """
    first: dict[tuple[tuple[str, str], ...], Protocol] = {}
    problems = []
    for protocol in protocols:
        earlier = first.setdefault(data_identity(protocol), protocol)
        if earlier is not protocol:
            problems.append(
                f"{earlier.folder} and {protocol.folder} are protocols on the same data "
                f"({protocol.dataset}): a comparison across datasets counts each dataset "
                "once; give one protocol folder per dataset"
            )
    if problems:
        raise ConfigError(problems)


def _power_warnings(n: int, k: int, critical: float) -> list[str]:
    """What ``n`` datasets and ``k`` models can show at best: the Friedman p-value and the
    mean-rank gap if every dataset ranked the models the same way."""
    from scipy import stats  # 0.6 s to import: only for reports across datasets

    warnings = []
    if k >= 3:
        best_p = float(stats.chi2.sf(n * (k - 1), k - 1))
        if best_p >= ALPHA:
            warnings.append(
                f"too few datasets to separate anything: with {n} datasets and {k} models the "
                f"Friedman test cannot go below p = {best_p:.3f} even if every dataset ranked "
                "the models the same way"
            )
    else:
        warnings.append("the Friedman test needs at least 3 models; only mean ranks are shown")
    if k - 1 <= critical:
        warnings.append(
            f"the Nemenyi critical difference ({critical:.2f}) is at least the largest possible "
            f"gap in mean rank ({k - 1}): no pair of models can be told apart with {n} datasets"
        )
    elif n < FEW_DATASETS:
        warnings.append(
            f"only {n} datasets: the tests' approximations are rough below about "
            f"{FEW_DATASETS} (Demšar 2006); read the mean ranks as a summary, not a proof"
        )
    return warnings


def write_across_datasets(folders: list[Path], out: Path) -> Path:
    """`compare_across_datasets`, written to ``out``: ``across_datasets.md`` (scores, ranks,
    mean ranks, Friedman test, warnings, diagram) and ``critical_difference.png``; printed
    too. Returns the Markdown file."""
    result = compare_across_datasets(folders)
    out.mkdir(parents=True, exist_ok=True)
    diagram = plot_critical_difference(result, out / DIAGRAM_FILE)
    table = result.scores.map(lambda v: f"{v:.4f}").astype(str) + result.ranks.map(
        lambda r: f" ({r:g})"
    )
    table.insert(0, "dataset", table.index)
    means = pd.DataFrame(
        {"model": result.mean_ranks.index, "mean rank": result.mean_ranks.map(lambda r: f"{r:.2f}")}
    )
    friedman = (
        "n/a (fewer than 3 models)" if math.isnan(result.friedman_p) else f"{result.friedman_p:.4f}"
    )
    lines = [
        f"# {len(result.scores)} datasets, {len(result.mean_ranks)} models",
        "",
        "Tuned score per dataset (rank on that dataset; 1 = best):",
        "",
        markdown_table(table),
        "Mean ranks:",
        "",
        markdown_table(means),
        f"Friedman test (all models rank alike): p = {friedman}. Nemenyi critical difference "
        f"of mean ranks at {ALPHA}: {result.critical_difference:.2f}.",
        "",
        *(f"Warning: {w}." for w in result.warnings),
        "",
        f"![critical difference]({diagram.name})",
        "",
    ]
    path = out / REPORT_FILE
    write_atomic(path, "\n".join(lines))
    print("\n".join(lines[:-3]))
    return path


def plot_critical_difference(result: AcrossDatasets, path: Path) -> Path:
    """The critical-difference diagram: mean ranks on an axis, models the Nemenyi test
    cannot tell apart joined by a bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import scikit_posthocs

    figure, axes = plt.subplots(figsize=(7, 0.6 + 0.35 * len(result.mean_ranks)))
    scikit_posthocs.critical_difference_diagram(
        result.mean_ranks, result.nemenyi, ax=axes, alpha=ALPHA, cd=result.critical_difference
    )
    axes.set_title(f"Mean rank over {len(result.scores)} datasets (bars: not told apart)")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path
