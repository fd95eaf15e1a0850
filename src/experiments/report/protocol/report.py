"""``report.md`` of a protocol folder: the question, the protocol as run, the leaderboard
with verdicts, the plots, and a one-sentence answer.

The protocol sweep calls `write_protocol_report` when it ends; ``experiments-compare
<protocol folder>`` calls it again at any time (it only reads ``result.json`` files).
"""

from __future__ import annotations

import math
from pathlib import Path

from experiments.io.atomic import write_atomic
from experiments.report.protocol.board import BoardRow, compare_models, protocol_board
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


def write_protocol_report(sweep_dir: Path) -> Path:
    """Read the protocol folder ``sweep_dir``, write ``report.md``, ``protocol.csv`` and
    ``plots/{budget_curve,tuned_by_split,frontier}.png`` into it, log the plots to
    TensorBoard (``tb/report``), print the leaderboard and the answer, and return the
    report's path.

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
    print(f"{board}\n{answer}\nReport: {path}")
    return path


def family(runs: ModelRuns) -> str | None:
    """``baseline`` or ``deep``: the model config's ``family`` key; a scikit-learn
    estimator (a ``model.estimator`` key) is a baseline; None when neither says."""
    model = runs.config.get("model", {})
    if model.get("family") in (BASELINE, DEEP):
        return model["family"]
    return BASELINE if "estimator" in model else None


def answer_sentence(protocol: Protocol, rows: list[BoardRow], rope: float) -> str:
    """One sentence: the best deep net against the best baseline when the model configs
    say which is which (``model.family``), else the best model against the runner-up."""
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
    by = difference_text(protocol.metric, c)
    if c.verdict == "better":
        return f"On {data}, {a_text} beats {b_text} by {by}: P(better) {probability(c.p_better)}."
    if c.verdict == "worse":
        return f"On {data}, {b_text} beats {a_text} by {difference_text(protocol.metric, c, -1)}: P({a} worse) {probability(c.p_worse)}."
    if c.verdict == "equivalent":
        return (
            f"On {data}, {a_text} and {b_text} are equivalent within ±{scaled(protocol.metric, rope)} "
            f"(difference {by}): P(equivalent) {probability(c.p_equivalent)}."
        )
    return (
        f"On {data}, the evidence cannot decide between {a_text} and {b_text}: difference "
        f"{by}, P(better) {probability(c.p_better)}, P(equivalent) "
        f"{probability(c.p_equivalent)}, P(worse) {probability(c.p_worse)} (a verdict needs one of them >= {CONFIDENT} and "
        f"at least {MIN_EVALUATIONS} paired evaluations; {c.method})."
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


def difference_text(metric: str, c: Comparison, sign: int = 1) -> str:
    """``0.9 ± 0.4 points``: the mean difference ± half its 95% interval."""
    half = (c.high - c.low) / 2
    if math.isnan(half):
        return f"{scaled(metric, sign * c.mean)} (interval unknown)"
    if in_points(metric):
        return f"{100 * sign * c.mean:.1f} ± {100 * half:.1f} points"
    return f"{sign * c.mean:,.4g} ± {half:,.4g} ({metric})"


def protocol_lines(protocol: Protocol, rows: list[BoardRow], rope: float) -> list[str]:
    settings = protocol.settings
    splits = {s for runs in protocol.models.values() for s, _ in runs.finals}
    seeds = {s for runs in protocol.models.values() for _, s in runs.finals}
    rope_source = "protocol.rope" if settings.get("rope") is not None else "default"
    lines = [
        f"- Dataset: {protocol.dataset}; models: {', '.join(r.model for r in rows)}.",
        f"- Search: {settings.get('trials', '?')} trials per model (trial 0 = the model's "
        f"defaults), selected on {protocol.selection_metric} ({protocol.mode}); trials "
        f"finished: " + ", ".join(f"{r.model} {r.trials}" for r in rows) + ".",
        f"- Re-runs of each chosen configuration: {len(splits)} splits x {len(seeds)} seeds "
        f"(settings: splits={settings.get('splits', '?')}, seeds={settings.get('seeds', '?')}), "
        f"scored on each split's test rows ({protocol.metric}).",
        f"- ROPE: ±{rope:.4g} in {protocol.metric} ({rope_source}); test/train rows "
        f"{protocol.test_train_ratio:.3g} in the Nadeau-Bengio correction.",
    ]
    if protocol.failed:
        lines.append(f"- Runs that did not finish (left out): {len(protocol.failed)}: "
                     + "; ".join(f"{p.name}: {e}" for p, e in protocol.failed[:5]))  # fmt: skip
    return lines


def _number(value: float, digits: int = 4) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def board_markdown(protocol: Protocol, rows: list[BoardRow]) -> str:
    header = ["model", f"default {protocol.metric}", f"tuned {protocol.metric}", "runs",
              "Δ vs best [95% CI]", "P(better)", "P(equiv.)", "P(worse)", "verdict",
              "fit s", "params"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        tuned = f"{_number(row.tuned)} ± {_number(row.tuned_std)} [{_number(row.tuned_low)}, {_number(row.tuned_high)}]"
        c = row.vs_best
        if c is None:
            comparison = ["best", "", "", "", "best"]
        else:
            comparison = [
                f"{c.mean:+.4f} [{_number(c.low)}, {_number(c.high)}]",
                _number(c.p_better, 3), _number(c.p_equivalent, 3), _number(c.p_worse, 3),
                c.verdict,
            ]  # fmt: skip
        params = "-" if math.isnan(row.n_params) else f"{int(row.n_params):,}"
        cells = [row.model, _number(row.default), tuned, str(row.evaluations), *comparison,
                 _number(row.fit_seconds, 2), params]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def board_note(protocol: Protocol, rope: float) -> str:
    return (
        f"Scores: {protocol.metric}; default = search trial 0, tuned = mean ± std over the "
        "re-runs [95% interval]. Δ vs best: this model minus the best one (positive = "
        "better), with its 95% interval from the corrected resampled t-test (Nadeau & "
        "Bengio 2003) over the paired splits x seeds, or a bootstrap of the test "
        "rows when there is one split. P(better/equiv./worse): the Bayesian correlated "
        f"t-test (Benavoli et al. 2017) with ROPE ±{rope:.4g}; the verdict is the one whose "
        f"probability is >= {CONFIDENT}, else inconclusive."
    )


def chosen_lines(protocol: Protocol, order: list[str]) -> list[str]:
    lines = []
    for name in order:
        params = protocol.models[name].params
        shown = ", ".join(f"`{k}={setting_text(str(v))}`" for k, v in params.items())
        shown = shown or "the defaults"
        lines.append(f"- {name}: {shown}")
    return lines


def board_csv(protocol: Protocol, rows: list[BoardRow]) -> str:
    """The leaderboard's numbers, one row per model, for scripts."""
    import pandas as pd

    records = []
    for row in rows:
        c = row.vs_best
        records.append(
            {"model": row.model, "metric": protocol.metric, "default": row.default,
             "tuned": row.tuned, "tuned_std": row.tuned_std, "tuned_low": row.tuned_low,
             "tuned_high": row.tuned_high, "runs": row.evaluations, "trials": row.trials,
             "diff_vs_best": c.mean if c else 0.0, "diff_low": c.low if c else math.nan,
             "diff_high": c.high if c else math.nan, "p_value": c.p_value if c else math.nan,
             "p_better": c.p_better if c else math.nan,
             "p_equivalent": c.p_equivalent if c else math.nan,
             "p_worse": c.p_worse if c else math.nan, "verdict": c.verdict if c else "best",
             "fit_seconds": row.fit_seconds, "n_params": row.n_params}
        )  # fmt: skip
    return pd.DataFrame(records).to_csv(index=False)
