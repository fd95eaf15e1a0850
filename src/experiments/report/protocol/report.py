"""``report.md`` of a protocol folder: the question, the protocol as run, the leaderboard
with verdicts, the plots, and a one-sentence answer.

The protocol sweep calls `write_protocol_report` when it ends; ``experiments-compare
<protocol folder>`` calls it again at any time (it only reads ``result.json`` files).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from experiments.io.atomic import write_atomic
from experiments.report.protocol.board import BoardRow, compare_models, protocol_board
from experiments.report.protocol.cost import pruning_line, time_line
from experiments.report.protocol.plots import (
    log_images,
    plot_budget_curves,
    plot_frontier,
    plot_paired_splits,
)
from experiments.report.protocol.runs import ModelRuns, Protocol, read_protocol
from experiments.report.table import setting_text
from experiments.stats.metric_scale import metric_range
from experiments.stats.verdict import CONFIDENT, MIN_EVALUATIONS, Comparison

REPORT_FILE = "report.md"
PLOTS_DIR = "plots"
BASELINE, DEEP = "baseline", "deep"


@dataclass(frozen=True)
class ProtocolReport:
    """What `write_protocol_report` wrote and concluded: ``report.md``'s path, the folder
    read, its leaderboard (best on validation first) and the one-sentence answer."""

    path: Path
    protocol: Protocol
    rows: list[BoardRow]
    answer: str


def write_protocol_report(sweep_dir: Path) -> ProtocolReport:
    """Read the protocol folder ``sweep_dir``, write ``report.md``, ``protocol.csv`` and
    ``plots/{budget_curve,tuned_by_split,frontier}.png`` into it and log the plots to
    TensorBoard (``tb/report``); its callers print the answer
    (`experiments.report.protocol.ending.protocol_ending`).

    Raises:
        ConfigError: ``sweep_dir`` holds no finished re-run of a protocol.
    """
    sweep_dir = Path(sweep_dir)
    protocol = read_protocol(sweep_dir)
    rows, rope = protocol_board(protocol)
    order = [row.model for row in rows]
    plots = [
        plot_budget_curves(protocol, order, sweep_dir / PLOTS_DIR / "budget_curve.png"),
        plot_paired_splits(protocol, order, sweep_dir / PLOTS_DIR / "tuned_by_split.png"),
        plot_frontier(protocol, rows, sweep_dir / PLOTS_DIR / "frontier.png"),
    ]
    plots = [path for path in plots if path is not None]
    log_images(sweep_dir, plots)
    answer = answer_sentence(protocol, rows, rope)
    board = board_markdown(protocol, rows)
    text = "\n".join(
        [
            f"# Does a deep net beat the classic baselines on {protocol.dataset}, and by how much?",
            "",
            answer,
            "",
            "## Protocol as run",
            "",
            *protocol_lines(protocol, rows, rope),
            "",
            "## Leaderboard",
            "",
            board,
            board_note(protocol, rope),
            "",
            "## Chosen configurations",
            "",
            *chosen_lines(protocol, order),
            "",
            "## Plots",
            "",
            *(f"![{path.stem}]({PLOTS_DIR}/{path.name})" for path in plots),
            "",
        ]
    )
    write_atomic(sweep_dir / "protocol.csv", board_csv(protocol, rows))
    path = sweep_dir / REPORT_FILE
    write_atomic(path, text)
    return ProtocolReport(path, protocol, rows, answer)


def family(runs: ModelRuns) -> str | None:
    """``baseline`` or ``deep``: the model config's ``family`` key; a scikit-learn
    estimator (a ``model.estimator`` key) is a baseline; None when neither says."""
    model = runs.config.get("model", {})
    if model.get("family") in (BASELINE, DEEP):
        return model["family"]
    return BASELINE if "estimator" in model else None


def answer_sentence(protocol: Protocol, rows: list[BoardRow], rope: float) -> str:
    """One sentence: the best deep net against the best baseline, each the best of its
    family on validation (``model.family``; `rows` come best on validation first), else
    the model best on validation against the runner-up."""
    ranked = [r.model for r in rows if not math.isnan(r.tuned)]
    families = {name: family(protocol.models[name]) for name in ranked}
    deep = [n for n in ranked if families[n] == DEEP]
    baselines = [n for n in ranked if families[n] == BASELINE]
    data = protocol.dataset
    if deep and baselines:
        a, b = deep[0], baselines[0]
        a_text, b_text = f"the best deep net ({a})", f"the best baseline ({b})"
    elif len(ranked) >= 2:
        a, b = ranked[0], ranked[1]
        a_text, b_text = f"the best model ({a})", f"the runner-up ({b})"
    else:
        return f"On {data}, only {len(ranked)} model finished its re-runs: nothing to compare."
    c = compare_models(protocol, protocol.models[a], protocol.models[b], rope)
    how = (
        f"{a}'s {protocol.metric} is {difference_words(protocol.metric, c, protocol.mode == 'max')}"
        f" {'as' if c.mean == 0 else 'than'} {b}'s"
    )
    chosen = f" ({protocol.selection_metric} chose both; {c.method})"
    if c.verdict == "better":
        return f"On {data}, {a_text} beats {b_text}: {how}, P(better) {probability(c.p_better)}{chosen}."
    if c.verdict == "worse":
        return f"On {data}, {b_text} beats {a_text}: {how}, P({a} worse) {probability(c.p_worse)}{chosen}."
    if c.verdict == "equivalent":
        return (
            f"On {data}, {a_text} and {b_text} are equivalent within ±{scaled(protocol.metric, rope)}: "
            f"{how}, P(equivalent) {probability(c.p_equivalent)}{chosen}."
        )
    return (
        f"On {data}, the evidence cannot decide between {a_text} and {b_text}: {how}, "
        f"P(better) {probability(c.p_better)}, P(equivalent) {probability(c.p_equivalent)}, "
        f"P(worse) {probability(c.p_worse)} (a verdict needs one of them >= {CONFIDENT} and at "
        f"least {MIN_EVALUATIONS} paired splits; {protocol.selection_metric} chose both; {c.method})."
    )


def probability(p: float) -> str:
    """``= 0.97``: two decimals, without rounding a near-certainty to one (``> 0.99``)."""
    if math.isnan(p):
        return "unknown"
    if p > 0.99:
        return "> 0.99"
    return "< 0.01" if p < 0.01 else f"= {p:.2f}"


def in_points(metric: str) -> bool:
    """Metrics on a scale of 1 are told in points (0.009 -> 0.9 points)."""
    return metric_range(metric)[1] == 1.0


def scaled(metric: str, value: float) -> str:
    if in_points(metric):
        return f"{100 * value:.1f} points"
    return f"{value:,.4g} ({metric})"


def difference_words(metric: str, c: Comparison, higher_is_better: bool) -> str:
    """A - B in words: ``0.9 ± 0.4 points higher (better)``, ``792.2 ± 120 higher (worse)``
    for an error: the size of the difference of the metric (± half its 95% interval), its
    direction, and which side that favours (``c.mean`` > 0: A is better); ``the same (± 1.7
    points)`` for no difference."""
    raw = c.mean if higher_is_better else -c.mean
    if math.isnan(raw):
        return "unknown"
    factor, unit = (100, " points") if in_points(metric) else (1, "")
    half = (c.high - c.low) / 2
    spread = "" if math.isnan(half) else f" ± {factor * half:.1f}" if unit else f" ± {half:,.4g}"
    if c.mean == 0:
        return f"the same ({spread.strip()}{unit})" if spread else "the same"
    size = f"{factor * abs(raw):.1f}" if unit else f"{abs(raw):,.4g}"
    direction = "higher" if raw > 0 else "lower"
    return f"{size}{spread}{unit} {direction} ({'better' if c.mean > 0 else 'worse'})"


def protocol_lines(protocol: Protocol, rows: list[BoardRow], rope: float) -> list[str]:
    settings = protocol.settings
    rope_source = "protocol.rope" if settings.get("rope") is not None else "default"
    finished = ", ".join(f"{r.model} {r.trials}" for r in rows)
    lines = [
        f"- Dataset: {protocol.dataset}; models: {', '.join(r.model for r in rows)}.",
        *tuning_lines(protocol, finished),
        f"- Final: on each split, its chosen configuration re-trained with "
        f"{_count(settings.get('seeds', '?'), 'seed')} and scored on the split's test rows "
        f"({protocol.metric}); the default column scores the defaults on the same splits.",
        f"- Evidence: the split. Seeds are averaged within each split, and the intervals and "
        f"verdicts rest on the paired splits: {evidence_text(rows)}.",
        f"- Best: the model best on validation ({protocol.selection_metric}, mean over "
        f"splits), never on the test means it is compared on: {rows[0].model}. "
        "P(better/equiv./worse) are per pair; the p-values are Holm-adjusted for the "
        f"{max(len(rows) - 1, 0)} comparisons with it.",
        f"- ROPE: ±{rope:.4g} in {protocol.metric} ({rope_source}); test/train rows "
        f"{protocol.test_train_ratio:.3g} in the Nadeau-Bengio correction "
        f"({protocol.test_train_source}).",
    ]
    lines.append(pruning_line(protocol))
    if protocol.failed:
        lines.append(f"- Runs that did not finish (left out): {len(protocol.failed)}: "
                     + "; ".join(f"{p.name}: {e}" for p, e in protocol.failed[:5]))  # fmt: skip
    if time := time_line(protocol):
        lines.append(time)
    return lines


def tuning_lines(protocol: Protocol, finished: str) -> list[str]:
    """How the configurations were chosen, and for ``tuning=once`` what that costs."""
    settings = protocol.settings
    trials = settings.get("trials", "?")
    if protocol.tuning == "nested":
        return [
            f"- Search: nested in each of the {settings.get('splits', '?')} splits: per model "
            f"and split, {trials} trials (trial 0 = the defaults) trained on the split's train "
            f"rows and selected on its validation rows ({protocol.selection_metric}, "
            f"{protocol.mode}); the split's test rows were withheld until its choice was "
            f"fixed. Trials finished: {finished}."
        ]
    config = next((runs.config for runs in protocol.models.values() if runs.config), {})
    test_size = config.get("dataset", {}).get("test_size", 0.2)
    searched = sorted({split for runs in protocol.models.values() for split, _ in runs.trials})
    return [
        f"- Search: once (protocol.tuning=once), {trials} trials per model (trial 0 = the "
        f"defaults) on split {', '.join(map(str, searched)) or '?'}, selected on "
        f"{protocol.selection_metric} ({protocol.mode}); its choice is re-trained on every "
        f"split. Trials finished: {finished}.",
        f"- Bias of tuning once: up to {1 - test_size:.0%} of each other split's test rows "
        "were training or validation rows of the search split, so the choice has seen them: "
        "tuned scores and verdicts lean optimistic, the more so for models with larger "
        "search spaces. protocol.tuning=nested (the default) avoids it.",
    ]


def evidence_text(rows: list[BoardRow]) -> str:
    """``every model 5 splits x 2 seeds`` or per model where they differ."""
    shown = {row.model: _splits_seeds(row) for row in rows}
    if len(set(shown.values())) == 1:
        return f"every model {next(iter(shown.values()))}"
    return ", ".join(f"{model} {text}" for model, text in shown.items())


def _splits_seeds(row: BoardRow) -> str:
    seeds = sorted(set(row.seeds))
    per_split = "/".join(map(str, seeds)) if seeds else "0"
    return f"{_count(row.splits, 'split')} x {per_split} seed{'' if seeds == [1] else 's'}"


def _count(n: object, noun: str) -> str:
    """``1 seed``, ``2 seeds``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _number(value: float, digits: int = 4) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def board_markdown(protocol: Protocol, rows: list[BoardRow]) -> str:
    best = rows[0].model
    header = ["model", protocol.selection_metric, f"default {protocol.metric}",
              f"tuned {protocol.metric}", "splits x seeds", f"vs {best} [95% CI]", "P(better)",
              "P(equiv.)", "P(worse)", "p (Holm)", "verdict", "fit s", "params"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    higher = protocol.mode == "max"
    for row in rows:
        tuned = f"{_number(row.tuned)} ± {_number(row.tuned_std)} [{_number(row.tuned_low)}, {_number(row.tuned_high)}]"
        c = row.vs_best
        if c is None:
            comparison = ["best on validation", "", "", "", "", "best"]
        else:
            comparison = [
                f"{difference_words(protocol.metric, c, higher)}",
                _number(c.p_better, 3), _number(c.p_equivalent, 3), _number(c.p_worse, 3),
                _number(row.p_holm, 3), c.verdict,
            ]  # fmt: skip
        params = "-" if math.isnan(row.n_params) else f"{int(row.n_params):,}"
        cells = [row.model, _number(row.val), _number(row.default), tuned,
                 f"{row.splits} x {'/'.join(map(str, sorted(set(row.seeds)))) or 0}",
                 *comparison, _number(row.fit_seconds, 2), params]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def board_note(protocol: Protocol, rope: float) -> str:
    return (
        f"Scores: val = {protocol.selection_metric} of the chosen configurations, which ranks "
        f"the models; default and tuned = {protocol.metric} of the defaults and of the chosen "
        "configurations on the same splits; every score is a mean over splits of the mean "
        "over the split's seeds; tuned: ± std over splits [95% interval]. vs best: this model "
        "against the one best on validation, its difference in words ± half its 95% interval, "
        "from the corrected resampled t-test (Nadeau & Bengio 2003) over the paired splits, "
        "or a bootstrap of the test rows when there is one split. P(better/equiv./worse): the "
        f"Bayesian correlated t-test (Benavoli et al. 2017) with ROPE ±{rope:.4g}, each for "
        "its own pair; p (Holm): the two-sided p-value of no difference, adjusted for every "
        f"comparison of the board. The verdict is the one whose probability is >= {CONFIDENT}, "
        "else inconclusive."
    )


def chosen_lines(protocol: Protocol, order: list[str]) -> list[str]:
    """Per model the configuration each split chose, splits with the same choice together."""
    lines = []
    for name in order:
        by_choice: dict[str, list[int]] = {}
        for split, (trial, params) in sorted(protocol.models[name].chosen.items()):
            shown = ", ".join(f"`{k}={setting_text(str(v))}`" for k, v in params.items())
            by_choice.setdefault(f"trial {trial}: {shown or 'the defaults'}", []).append(split)
        shown = "; ".join(
            f"split{'s' if len(splits) > 1 else ''} {', '.join(map(str, splits))}: {choice}"
            for choice, splits in by_choice.items()
        )
        lines.append(f"- {name}: {shown or 'no re-run finished'}")
    return lines


def board_csv(protocol: Protocol, rows: list[BoardRow]) -> str:
    """The leaderboard's numbers, one row per model, for scripts."""
    import pandas as pd

    records = []
    for row in rows:
        c = row.vs_best
        records.append(
            {"model": row.model, "metric": protocol.metric, "val": row.val,
             "default": row.default, "tuned": row.tuned, "tuned_std": row.tuned_std,
             "tuned_low": row.tuned_low, "tuned_high": row.tuned_high, "splits": row.splits,
             "seeds": "/".join(map(str, row.seeds)), "runs": sum(row.seeds),
             "trials": row.trials, "diff_vs_best": c.mean if c else 0.0,
             "diff_low": c.low if c else math.nan, "diff_high": c.high if c else math.nan,
             "p_value": c.p_value if c else math.nan, "p_holm": row.p_holm,
             "p_better": c.p_better if c else math.nan,
             "p_equivalent": c.p_equivalent if c else math.nan,
             "p_worse": c.p_worse if c else math.nan, "verdict": c.verdict if c else "best",
             "fit_seconds": row.fit_seconds, "n_params": row.n_params}
        )  # fmt: skip
    return pd.DataFrame(records).to_csv(index=False)
