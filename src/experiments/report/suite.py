"""The report of a suite (`experiments.protocol.suite`): where do deep nets rank on these
datasets, and how sure is that?

``<sweep>/suite.md`` holds the answer in one sentence; per dataset, the best deep net against
the best baseline (each the best of its family on validation) with the dataset's verdict;
the win/tie/loss counts of those verdicts; the Bayesian signed-rank test of the two families
over the datasets (`experiments.stats.signed_rank`); every model's tuned score and rank per
dataset, the mean ranks, the Friedman test and the critical-difference diagram
(`experiments.report.across_datasets`); and what each dataset and model cost. ``suite.csv``
has one row per dataset and model. Each dataset's folder gets its own ``report.md``.

The suite sweep calls `write_suite_report` when it ends; ``experiments-compare <suite
folder>`` calls it again at any time (it only reads files), also on a suite cut short.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from experiments.config.errors import ConfigError
from experiments.io.atomic import write_atomic
from experiments.protocol.suite import SUITE_FILE
from experiments.report.across_datasets import (
    DIAGRAM_FILE,
    AcrossDatasets,
    compare_across_datasets,
    plot_critical_difference,
)
from experiments.report.protocol.board import BoardRow, compare_models, protocol_board
from experiments.report.protocol.report import (
    BASELINE,
    DEEP,
    difference_words,
    family,
    in_points,
    probability,
    scaled,
    write_protocol_report,
)
from experiments.report.protocol.runs import Protocol, read_protocol
from experiments.report.table import find_results, markdown_table
from experiments.stats.metric_scale import ROPE_FRACTION
from experiments.stats.signed_rank import SignedRank, signed_rank
from experiments.stats.verdict import CONFIDENT, MIN_EVALUATIONS, Comparison

REPORT_FILE = "suite.md"
CSV_FILE = "suite.csv"
SECONDS = ("wall_seconds", "cpu_seconds", "fit_seconds")  # what a job's result.json says it cost
# A verdict of the best deep net against the best baseline, counted as in a tournament.
OUTCOMES = {"better": "win", "equivalent": "tie", "worse": "loss", "inconclusive": "inconclusive"}


@dataclass(frozen=True)
class Duel:
    """The best deep net against the best baseline on one dataset, each the best of its
    family on validation (``model.family``), compared on the test metric over the splits.

    Attributes:
        dataset: its name.
        deep, baseline: the two models (None where the dataset has no model of the family).
        deep_score, baseline_score: their tuned test scores (means over splits).
        comparison: deep against baseline (positive favours deep); None without both.
    """

    dataset: str
    deep: str | None
    baseline: str | None
    deep_score: float
    baseline_score: float
    comparison: Comparison | None

    @property
    def outcome(self) -> str | None:
        """``win``, ``tie``, ``loss`` or ``inconclusive`` for the deep net; None without a duel."""
        return OUTCOMES[self.comparison.verdict] if self.comparison else None


@dataclass
class Suite:
    """A suite folder, read and compared.

    Attributes:
        name: the suite's name (``suite.name``).
        folder: the sweep folder.
        protocols: dataset -> its protocol, for datasets with finished re-runs, in order.
        boards: dataset -> its protocol's leaderboard (`protocol_board`), best on
            validation first.
        missing: dataset -> why it has no result (not run yet, nothing finished).
        duels: one per dataset of ``protocols``.
        families: the signed-rank test of deep against baseline over the datasets' duels,
            or None; ``families_note`` says how it was computed, or why it was not.
        ranks: mean ranks, Friedman and Nemenyi over the datasets, or None; ``ranks_note``
            says why not.
        costs: one row per dataset and model: jobs, failed, wall, CPU and fit seconds
            (sums over the jobs), jobs that reached the job cap; first start, last end.
        job_minutes: the suite's cap on each job's training (None: none).
    """

    name: str
    folder: Path
    protocols: dict[str, Protocol]
    boards: dict[str, list[BoardRow]]
    missing: dict[str, str]
    duels: list[Duel]
    families: SignedRank | None
    families_note: str
    ranks: AcrossDatasets | None
    ranks_note: str
    costs: pd.DataFrame
    job_minutes: float | None

    def counts(self) -> dict[str, int]:
        """How many datasets each outcome of the duels had, every outcome named."""
        outcomes = [duel.outcome for duel in self.duels if duel.outcome]
        return {outcome: outcomes.count(outcome) for outcome in OUTCOMES.values()}


def is_suite_folder(folder: Path) -> bool:
    """Whether ``folder`` is a suite's sweep folder (it holds ``suite.yaml``)."""
    return (folder / SUITE_FILE).is_file()


def read_suite(folder: Path) -> Suite:
    """Read every dataset's protocol folder of the suite in ``folder`` and compare them.

    Raises:
        ConfigError: ``suite.yaml`` cannot be read, or no dataset has a finished re-run.
    """
    try:
        record = yaml.safe_load((folder / SUITE_FILE).read_text()) or {}
        names = list(record["datasets"])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise ConfigError(f"{folder / SUITE_FILE}: not a suite's record ({error})") from None
    protocols, missing = {}, {}
    for name in names:
        try:
            protocols[name] = read_protocol(folder / name)
        except ConfigError:
            missing[name] = "no finished re-run yet"
    if not protocols:
        raise ConfigError(f"{folder}: no dataset of the suite has a finished re-run yet")
    boards = {name: protocol_board(protocol) for name, protocol in protocols.items()}
    duels = [duel(name, protocols[name], *board) for name, board in boards.items()]
    families, families_note = family_test(duels, list(protocols.values()))
    ranks, ranks_note = _ranks(folder, list(protocols))
    minutes = (record.get("suite") or {}).get("job_minutes")
    return Suite(
        name=str((record.get("suite") or {}).get("name") or folder.name), folder=folder,
        protocols=protocols, boards={name: rows for name, (rows, _) in boards.items()},
        missing=missing, duels=duels, families=families,
        families_note=families_note, ranks=ranks, ranks_note=ranks_note,
        costs=costs(folder, names, minutes), job_minutes=minutes,
    )  # fmt: skip


def duel(name: str, protocol: Protocol, rows: list[BoardRow], rope: float) -> Duel:
    """The dataset's best deep net against its best baseline, as its own report's answer
    compares them: the first of each family in its board ``rows`` (best on validation
    first), compared with the board's ROPE."""
    best: dict[str | None, BoardRow] = {}
    for row in rows:
        if not math.isnan(row.tuned):
            best.setdefault(family(protocol.models[row.model]), row)
    deep, baseline = best.get(DEEP), best.get(BASELINE)
    comparison = None
    if deep and baseline:
        models = protocol.models
        comparison = compare_models(protocol, models[deep.model], models[baseline.model], rope)
    return Duel(
        name, deep and deep.model, baseline and baseline.model,
        deep.tuned if deep else math.nan, baseline.tuned if baseline else math.nan, comparison,
    )  # fmt: skip


def family_test(duels: list[Duel], protocols: list[Protocol]) -> tuple[SignedRank | None, str]:
    """The Bayesian signed-rank test of the best deep net against the best baseline over the
    datasets that have both, and a note on how (or why not).

    Differences are in the metric's units where it has a scale of 1 (accuracy: a ROPE of
    the datasets' own, one point by default); for other metrics, whose units differ from one
    dataset to the next, relative to the baseline's score, with a ROPE of 1%.
    """
    metrics = {protocol.metric for protocol in protocols}
    if len(metrics) > 1:
        return None, f"the datasets report different metrics ({', '.join(sorted(metrics))})"
    (metric,) = metrics
    paired = [
        (d.comparison, d.baseline_score)
        for d in duels
        if d.comparison is not None and not math.isnan(d.comparison.mean)
    ]
    if not paired:
        return None, "no dataset has both a deep net and a baseline with finished re-runs"
    differences = np.array([comparison.mean for comparison, _ in paired])
    if in_points(metric):
        rope = max(comparison.rope for comparison, _ in paired)
        how = f"differences of {metric}, ROPE ±{scaled(metric, rope)}"
    else:
        differences = differences / np.abs([baseline for _, baseline in paired])
        rope = ROPE_FRACTION
        how = f"differences of {metric} relative to the baseline's, ROPE ±{rope:.0%}"
    return signed_rank(differences, rope), f"Bayesian signed-rank test over {len(paired)} datasets, {how}"  # fmt: skip


def _ranks(folder: Path, names: list[str]) -> tuple[AcrossDatasets | None, str]:
    if len(names) < 2:
        return None, "one dataset: no ranking across datasets"
    try:
        result = compare_across_datasets([folder / name for name in names])
    except ConfigError as error:
        return None, "; ".join(error.problems)
    # its rows are the folders in order, labelled by their configs' dataset.name: the suite
    # names them by their folders
    result.scores.index = result.ranks.index = pd.Index(names, name=None)
    return result, ""


def costs(folder: Path, names: Iterable[str], job_minutes: float | None) -> pd.DataFrame:
    """What each dataset and model cost, from every job's ``result.json`` (search, final and
    default phases; failed ones too): sums of ``wall_seconds``, ``cpu_seconds`` and
    ``fit_seconds`` over its jobs, the jobs whose fit reached ``job_minutes``, and the
    first start and last end."""
    records = []
    for name in names:
        for _, result in find_results([folder / name]):
            records.append(
                {"dataset": name, "model": (result.get("protocol") or {}).get("model"),
                 "failed": result.get("status") not in ("done", "pruned"),  # pruned: by the protocol
                 **{key: result.get(key, math.nan) for key in SECONDS},
                 "started": _time(result.get("started")), "finished": _time(result.get("finished"))}
            )  # fmt: skip
    columns = ["dataset", "model", "jobs", "failed", *SECONDS, "at_cap", "started", "finished"]
    if not records:
        return pd.DataFrame(columns=columns)
    runs = pd.DataFrame(records)
    cap = math.inf if job_minutes is None else 60 * job_minutes
    runs["at_cap"] = runs["fit_seconds"] >= cap
    grouped = runs.groupby(["dataset", "model"], sort=False)
    table = grouped.agg(
        jobs=("failed", "size"), failed=("failed", "sum"),
        **{key: (key, _total) for key in SECONDS}, at_cap=("at_cap", "sum"),
        started=("started", "min"), finished=("finished", "max"),
    )  # fmt: skip
    return table.reset_index()[columns]


def _total(values: pd.Series) -> float:
    """The sum, nan where no job recorded the value (runs of older versions)."""
    return float(values.sum(min_count=1))


def _time(text: object) -> float:
    """An ISO time as seconds since the epoch; nan when absent."""
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return math.nan


def answer_sentence(suite: Suite) -> str:
    """One sentence: the duels' outcomes, the families over the datasets, and the ranks."""
    counts = suite.counts()
    duelled = sum(counts.values())
    if not duelled:
        return (
            f"On {_count(len(suite.protocols), 'dataset')} of {suite.name}, no dataset has both a "
            "deep net and a baseline (model.family) with finished re-runs: nothing to compare."
        )
    outcomes = (
        f"the best deep net (chosen on validation on each) beats the best baseline on "
        f"{counts['win']}, is equivalent on {counts['tie']}, worse on {counts['loss']} and "
        f"inconclusive on {counts['inconclusive']}"
    )
    return f"On {_count(duelled, 'dataset')} of {suite.name}, {outcomes}; {_families_text(suite)}{_ranks_text(suite)}."  # fmt: skip


def _families_text(suite: Suite) -> str:
    test = suite.families
    if test is None:
        return f"no test across datasets ({suite.families_note})"
    how = f"({suite.families_note})"
    if test.verdict == "better":
        return f"over the datasets, deep nets beat the baselines: P(deep better) {probability(test.p_better)} {how}"  # fmt: skip
    if test.verdict == "worse":
        return f"over the datasets, the baselines beat the deep nets: P(baselines better) {probability(test.p_worse)} {how}"  # fmt: skip
    if test.verdict == "equivalent":
        return f"over the datasets, the two families are equivalent: P(equivalent) {probability(test.p_equivalent)} {how}"  # fmt: skip
    return (
        f"over the datasets the evidence cannot decide between the families: P(deep better) "
        f"{probability(test.p_better)}, P(equivalent) {probability(test.p_equivalent)}, "
        f"P(baselines better) {probability(test.p_worse)} ({suite.families_note}; a verdict "
        f"needs one of them >= {CONFIDENT} and at least {MIN_EVALUATIONS} datasets"
        + (f"{_unreachable(test)})" if test.reachable < CONFIDENT else ")")
    )


def _unreachable(test: SignedRank) -> str:
    return (
        f", and with {_count(test.n, 'dataset')} no side can reach it: even if every dataset "
        f"favoured one side by far more than the ROPE, P would be {test.reachable:.2f}"
    )


def _ranks_text(suite: Suite) -> str:
    """``; mean ranks (1 = best of 7): the best deep net mlp 4.2, ...`` from the ranking."""
    if suite.ranks is None:
        return ""
    ranks = suite.ranks.mean_ranks
    families = model_families(suite.protocols.values())
    best = {f: next((m for m in ranks.index if families.get(m) == f), None) for f in (DEEP, BASELINE)}  # fmt: skip
    shown = [f"the best {what} {best[f]} {ranks[best[f]]:.2f}"
             for f, what in ((DEEP, "deep net"), (BASELINE, "baseline")) if best[f]]  # fmt: skip
    if not shown:
        return ""
    return f"; mean ranks (1 = best of {len(ranks)}): {', '.join(shown)}"


def model_families(protocols: Iterable[Protocol]) -> dict[str, str | None]:
    """Model -> its family, from the first dataset that ran it."""
    families: dict[str, str | None] = {}
    for protocol in protocols:
        for name, runs in protocol.models.items():
            families.setdefault(name, family(runs))
    return families


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _number(value: float, digits: int = 4) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def duels_markdown(suite: Suite) -> str:
    """Per dataset: its rows, the two sides with their tuned scores, the difference in words,
    the probabilities and the verdict."""
    header = ["dataset", "rows", "best deep net", "tuned", "best baseline", "tuned",
              "deep vs baseline [95% CI]", "P(better)", "P(equiv.)", "P(worse)", "verdict"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for d in suite.duels:
        protocol = suite.protocols[d.dataset]
        c = d.comparison
        cells = [d.dataset, _rows(protocol), d.deep or "-", _number(d.deep_score),
                 d.baseline or "-", _number(d.baseline_score)]  # fmt: skip
        if c is None:
            cells += ["no deep net and baseline to compare", "", "", "", "-"]
        else:
            words = difference_words(protocol.metric, c, protocol.mode == "max")
            cells += [words, _number(c.p_better, 3), _number(c.p_equivalent, 3),
                      _number(c.p_worse, 3), c.verdict]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _rows(protocol: Protocol) -> str:
    """Rows of one split (train + val + test), from a re-run's ``rows``."""
    for runs in protocol.models.values():
        for _, result in runs.finals.values():
            if isinstance(rows := result.get("rows"), dict):
                return f"{sum(rows.values()):,}"
    return "-"


def ranks_markdown(suite: Suite) -> list[str]:
    """Every model's tuned score and rank per dataset, the mean ranks, the Friedman line and
    the warnings; or why there is no ranking."""
    result = suite.ranks
    if result is None:
        return [f"No ranking across datasets: {suite.ranks_note}.", ""]
    table = result.scores.map(lambda v: f"{v:.4f}") + result.ranks.map(lambda r: f" ({r:g})")
    table.insert(0, "dataset", table.index)
    verdicts = {d.dataset: f"{d.comparison.verdict} ({d.deep} vs {d.baseline})" for d in suite.duels if d.comparison}  # fmt: skip
    table["best deep net vs best baseline"] = [verdicts.get(name, "-") for name in table.index]
    families = model_families(suite.protocols.values())
    means = pd.DataFrame(
        {"model": result.mean_ranks.index,
         "family": [families.get(m) or "-" for m in result.mean_ranks.index],
         "mean rank": result.mean_ranks.map(lambda r: f"{r:.2f}")}
    )  # fmt: skip
    friedman = "n/a (fewer than 3 models)" if math.isnan(result.friedman_p) else f"{result.friedman_p:.4g}"  # fmt: skip
    return [
        "Tuned score per dataset (its rank on that dataset; 1 = best), and the dataset's verdict:",
        "",
        markdown_table(table),
        "Mean ranks:",
        "",
        markdown_table(means),
        f"Friedman test (all models rank alike): p = {friedman}. Nemenyi critical difference "
        f"of mean ranks at 0.05: {result.critical_difference:.2f} (models closer than that "
        "cannot be told apart; the bars of the diagram).",
        "",
        *(f"Warning: {w}." for w in result.warnings),
        "",
        f"![critical difference]({DIAGRAM_FILE})",
        "",
    ]


def costs_markdown(suite: Suite) -> list[str]:
    """Per dataset, each model's wall and CPU seconds (sums over its jobs), the dataset's
    total and the time from its first job's start to its last one's end; a total row."""
    table = suite.costs
    if table.empty:
        return ["No job recorded its time.", ""]
    ranked = list(suite.ranks.mean_ranks.index) if suite.ranks is not None else []
    models = list(dict.fromkeys([*ranked, *table["model"]]))  # best mean rank first
    models = [model for model in models if model in set(table["model"])]
    rows = []
    for name, group in table.groupby("dataset", sort=False):
        by_model = group.set_index("model")
        cells = [_cost(by_model.loc[m]) if m in by_model.index else "-" for m in models]
        rows.append([name, *cells, _cost(group.sum(numeric_only=True)), _span(group)])
    total = table.groupby("model", sort=False).sum(numeric_only=True)
    rows.append(["**all**", *(_cost(total.loc[m]) for m in models),
                 _cost(table.sum(numeric_only=True)), _span(table)])  # fmt: skip
    shown = pd.DataFrame(
        rows, columns=["dataset", *models, "all models", "first start to last end"]
    )
    lines = [
        "Wall seconds (CPU seconds) per dataset and model: sums over its jobs (search, final "
        "and default; jobs that ran at once each count), data loading included. The last "
        "column is the clock time from the dataset's first job to its last: datasets "
        "overlap, and the time of a suite that was resumed includes the pause.",
        "",
        markdown_table(shown),
    ]
    if suite.job_minutes is not None:
        capped = table[table["at_cap"] > 0]
        over = ", ".join(f"{r.dataset}/{r.model} {int(r.at_cap)}" for r in capped.itertuples())
        lines += [
            f"Jobs whose fit reached the cap of {suite.job_minutes:g} minutes (networks "
            f"stopped there; scikit-learn fits ran over): {over or 'none'}.",
            "",
        ]
    return lines


def _cost(row: pd.Series) -> str:
    wall, cpu = row["wall_seconds"], row["cpu_seconds"]
    if math.isnan(wall):
        return "-"
    return f"{_seconds(wall)} ({_seconds(cpu)})" if not math.isnan(cpu) else _seconds(wall)


def _seconds(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _span(group: pd.DataFrame) -> str:
    seconds = group["finished"].max() - group["started"].min()
    return "-" if math.isnan(seconds) else f"{seconds / 60:,.1f} min"


def suite_csv(suite: Suite) -> str:
    """One row per dataset and model: family, validation and tuned scores, rank, whether it
    is the dataset's best deep net or best baseline, and its costs."""
    records = []
    families = model_families(suite.protocols.values())
    costs_by = suite.costs.set_index(["dataset", "model"])
    for d in suite.duels:
        protocol = suite.protocols[d.dataset]
        for row in suite.boards[d.dataset]:
            rank = math.nan
            if suite.ranks is not None and row.model in suite.ranks.ranks.columns:
                rank = float(suite.ranks.ranks.loc[d.dataset, row.model])
            cost = costs_by.loc[(d.dataset, row.model)] if (d.dataset, row.model) in costs_by.index else None  # fmt: skip
            records.append(
                {"dataset": d.dataset, "model": row.model, "family": families.get(row.model),
                 "metric": protocol.metric, "val": row.val, "tuned": row.tuned,
                 "tuned_low": row.tuned_low, "tuned_high": row.tuned_high, "splits": row.splits,
                 "rank": rank, "best_deep": row.model == d.deep,
                 "best_baseline": row.model == d.baseline,
                 **{key: cost[key] if cost is not None else math.nan
                    for key in ("jobs", "failed", "wall_seconds", "cpu_seconds", "fit_seconds")}}
            )  # fmt: skip
    return pd.DataFrame(records).to_csv(index=False)


def write_suite_report(folder: Path) -> Path:
    """Read the suite in ``folder``; write each dataset's ``report.md``, then ``suite.md``,
    ``suite.csv`` and ``critical_difference.png`` into ``folder``; print the duels, the mean
    ranks and the answer; return the report's path.

    Raises:
        ConfigError: not a suite folder, or no dataset has a finished re-run.
    """
    folder = Path(folder)
    suite = read_suite(folder)
    for protocol in suite.protocols.values():
        # each dataset's full report, in its folder; its printout would bury the suite's
        with contextlib.redirect_stdout(io.StringIO()):
            write_protocol_report(protocol.folder)
    if suite.ranks is not None:
        plot_critical_difference(suite.ranks, folder / DIAGRAM_FILE)
    answer = answer_sentence(suite)
    duels = duels_markdown(suite)
    ranks = ranks_markdown(suite)
    missing = [f"- {name}: {why}" for name, why in suite.missing.items()]
    text = "\n".join(
        [
            f"# Where do deep nets rank on the {len(suite.protocols)} datasets of {suite.name}, "
            "and how sure is that?",
            "",
            answer,
            "",
            "## Per dataset: the best deep net against the best baseline",
            "",
            duels,
            _duels_note(suite),
            "",
            *(["Datasets without results (left out):", "", *missing, ""] if missing else []),
            "## Mean ranks over the datasets",
            "",
            *ranks,
            "## Cost",
            "",
            *costs_markdown(suite),
        ]
    )
    write_atomic(folder / CSV_FILE, suite_csv(suite))
    path = folder / REPORT_FILE
    write_atomic(path, text)
    shown = ranks[2:6] if suite.ranks is not None else []
    print("\n".join([duels, *shown, answer, f"Report: {path}"]))
    return path


def _duels_note(suite: Suite) -> str:
    counts = suite.counts()
    return (
        "Each side is the best of its family (model.family) on validation on that dataset; "
        "the difference (± half its 95% interval), the probabilities and the verdict are "
        "the dataset's own (corrected t-test and Bayesian correlated t-test over its splits, "
        "as in its report.md). Wins / ties (equivalent) / losses / inconclusive of the deep "
        f"net: {counts['win']} / {counts['tie']} / {counts['loss']} / {counts['inconclusive']}. "
        "Over the datasets, the Bayesian signed-rank test counts each dataset once, by its "
        "mean difference over its splits; it does not carry a dataset's own uncertainty "
        "(Benavoli et al.'s hierarchical test would, and needs Stan), so datasets each "
        "inconclusive on their own can still decide it together."
    )
