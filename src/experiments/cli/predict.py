"""`experiments-predict ckpt=<run, protocol or sweep folder> input=<file> | text=<text>`: what
a trained run's model says about new inputs.

    experiments-predict ckpt=outputs/spam/... text="WINNER! Claim your free prize now"
    experiments-predict ckpt=outputs/mnist/... input=digit.png input=more_digits/ --json
    experiments-predict ckpt=outputs/house_prices/... input=houses.csv
    experiments-predict ckpt=outputs/fair/... input=new.csv out=predictions.csv
    experiments-predict ckpt=outputs/movielens/... user=42 top=10
    experiments-predict ckpt=outputs/movielens/... item=1 --json

Inputs go through the run's own featurizer, fitted on the run's train split and saved with
the run (``featurizer.npz``, or ``featurizer.skops`` for tables; the training data is not read): ``text=`` or files of lines for text models, image files or
folders for image models, CSV files for tabular ones. Photos of any size or mode are made
like the train images (converted, and resized as training resizes), with a note on stderr. Classifiers print their top classes
with probabilities ("82% cat, 15% dog, 2% hat"); hinge-loss models (``svm_*``, LinearSVC, SVC
without ``probability=True``) have none, so they print their margins (class scores) and say
so. Regression models print the predicted value in the data's original units.

A protocol folder stands for its ``winner/`` run, a sweep folder for its leaderboard's best
run; which is said on stderr. ``out=<file.csv>`` writes the input rows with the predicted
class and per-class probabilities (or margins, or the predicted value), tables read in
chunks (`experiments.core.predictor.Predictor.write`). The same path serves Python:
``experiments.load(folder).predict(x)``.

Recommenders (ratings data) take ``user=<id>``: the ``top`` items the user has not rated,
best first, with their scores (predicted ratings, or ranking scores); or ``item=<id>``: the
items most similar to it ("people who liked this also liked"), by the cosine similarity of
the item embeddings or by item-kNN's similarity. Items show as titles when the dataset has
an items file. Users or items unseen in training get the most rated items, and say so.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.cli.args import add_json_flag, add_trust_flags, parse_key_values, trust_of
from experiments.config.errors import ConfigError
from experiments.config.trusted import Trust

# Loading a run imports torch and the data libraries: seconds that `--help` and a command
# line argparse refuses should not pay, so the functions that load a run import it.
if TYPE_CHECKING:
    from experiments.core.predictor import Predictor
    from experiments.core.saved import Outputs

PROGRAM = "experiments-predict"


def predict(
    ckpt: str, files: list[str], texts: list[str], top: int, trust: Trust | None = None
) -> dict[str, Any]:
    """The run's predictions for the inputs, as printed by ``--json``; ``trust``: what the
    user trusts in the run folder beyond the allow-list (`load_run`).

    Returns:
        ``run``, ``chosen`` (which run a protocol or sweep folder stood for), ``model``, ``kind`` (``probabilities``, ``margins`` or ``values``), ``note``
        (for margins), ``input_notes`` (when inputs were changed to fit the model: photos
        resized or converted), ``target`` (the predicted column), and ``predictions``: per
        input, its ``input`` label and ``class`` with the ``top`` classes' ``probabilities``
        or ``margins``, or its ``value``.

    Raises:
        ConfigError: a bad run, model file or input (see `load_run`, `read_inputs`).
    """
    from experiments.core.predictor import MARGINS_NOTE, load

    predictor = load(ckpt, trust)
    outputs, inputs = predictor.outputs(files, texts)
    run = predictor.run
    return {
        "run": str(run.run_dir),
        **({"chosen": run.note} if run.note else {}),
        "model": run.cfg.model.name,
        "kind": outputs.kind,
        **({"note": MARGINS_NOTE} if outputs.kind == "margins" else {}),
        **({"input_notes": inputs.notes} if inputs.notes else {}),
        "target": run.cfg.dataset.target_column,
        "predictions": [
            {"input": label, **row}
            for label, row in zip(inputs.labels, _rows(predictor, outputs, top), strict=True)
        ],
    }


def recommendations(
    ckpt: str, user: str | None, item: str | None, top: int, trust: Trust | None = None
) -> dict[str, Any]:
    """A recommender run's answer for ``user`` (top unrated items) or ``item`` (similar
    items), as printed by ``--json``: ``run``, ``model``, ``user`` or ``item`` (with its
    ``title``), an optional ``note`` (cold start), and ``recommendations`` or ``similar``:
    per item its ``item`` id, ``title`` and ``score``, ``similarity`` or ``ratings`` count.

    Raises:
        ConfigError: a bad run, not a recommender, or neither or both of user and item.
    """
    if (user is None) == (item is None):
        raise ConfigError(
            "give user=<id> (recommendations) or item=<id> (similar items), one of them"
        )
    from experiments.core.saved import load_run

    run = load_run(ckpt, trust=trust)
    if not run.kind.recommends:
        raise ConfigError(
            f"user=/item=: model '{run.cfg.model.name}' is not a recommender; give input= or text="
        )
    report = {"run": str(run.run_dir), "model": run.cfg.model.name}
    if user is not None:
        return report | {"user": user} | run.kind.recommend(run.model, run.datamodule, user, top)
    return report | {"item": item} | run.kind.similar_items(run.model, run.datamodule, item, top)


def _recommendation_lines(report: dict[str, Any]) -> list[str]:
    if "user" in report:
        head, key = (
            f"{report['model']}: top {len(report['recommendations'])} for user {report['user']}",
            "recommendations",
        )
    else:
        title = report.get("title", report["item"])
        head, key = f"{report['model']}: people who liked {title} also liked", "similar"
    lines = [head] + ([f"  ({report['note']})"] if "note" in report else [])
    value = next(
        (k for k in ("score", "similarity", "ratings") if report[key] and k in report[key][0]),
        "score",
    )
    for rank, entry in enumerate(report[key], 1):
        shown = (
            f"{entry[value]:.0f} ratings" if value == "ratings" else f"{value} {entry[value]:.3f}"
        )
        lines.append(f"  {rank:>2}. {entry['title']}  ({shown})")
    return lines


def _rows(predictor: Predictor, outputs: Outputs, top: int) -> list[dict[str, Any]]:
    if outputs.kind == "values":
        return [{"value": value} for value in outputs.values.tolist()]
    names = predictor.classes
    rows = []
    for scores in outputs.values.tolist():
        ranked = sorted(zip(names, scores, strict=True), key=lambda pair: -pair[1])
        rows.append({"class": ranked[0][0], outputs.kind: dict(ranked[:top])})
    return rows


def readable(value: float | list[float]) -> str:
    """A predicted value as a person reads it: thousands separated and no decimals from
    1,000 on (``459,400``, not ``4.594e+05``), else 4 significant digits; the ``--json``
    output keeps the full float."""
    if isinstance(value, list):  # several targets
        return "[" + ", ".join(readable(v) for v in value) + "]"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _line(prediction: dict[str, Any], kind: str, target: str) -> str:
    label = prediction["input"]
    label = label if len(label) <= 60 else label[:57] + "..."
    if kind == "values":
        return f"{label}: {target} = {readable(prediction['value'])}"
    if kind == "probabilities":
        ranked = ", ".join(f"{p:.0%} {name}" for name, p in prediction[kind].items())
    else:
        ranked = ", ".join(f"{name} {m:+.3f}" for name, m in prediction[kind].items())
    return f"{label}: {ranked}"


def _write(ckpt: str, files: list[str], texts: list[str], out: Path, trust: Trust) -> int:
    """``out=``: the predictions as a CSV file (`Predictor.write`); says where on stdout."""
    from experiments.core.predictor import load

    predictor = load(ckpt, trust)
    if predictor.note:
        print(f"{PROGRAM}: {predictor.note}", file=sys.stderr)
    rows = predictor.write(files, texts, out)
    print(f"Wrote {rows} predictions of {predictor.run.cfg.model.name} to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``experiments-predict``; returns the exit status (2: bad input)."""
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description="Classify new inputs (or predict values) with a trained run."
    )
    parser.add_argument("--ckpt", required=True, help="run folder, or a .ckpt file in one")
    parser.add_argument(
        "--input", action="append", default=[],
        help="a file: text lines, an image (or a folder of them), or a CSV table; repeatable",
    )  # fmt: skip
    parser.add_argument("--text", action="append", default=[], help="a text; repeatable")
    parser.add_argument(
        "--out", type=Path, help="write the inputs with their predictions to this CSV file"
    )
    parser.add_argument("--user", help="recommenders: a user id; its top unrated items")
    parser.add_argument("--item", help="recommenders: an item id; the items most like it")
    parser.add_argument(
        "--top", type=int, default=None, help="classes shown per input (3), or items (10)"
    )
    add_json_flag(parser)
    add_trust_flags(parser)
    args = parse_key_values(parser, argv)
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    asks_items = args.user is not None or args.item is not None
    top = max(args.top if args.top is not None else (10 if asks_items else 3), 1)
    try:
        if args.out is not None and not asks_items:
            return _write(args.ckpt, args.input, args.text, args.out, trust_of(args))
        if asks_items:
            report = recommendations(args.ckpt, args.user, args.item, top, trust_of(args))
        else:
            report = predict(args.ckpt, args.input, args.text, top, trust_of(args))
    except ConfigError as error:
        print(f"{PROGRAM}: " + "\n  ".join(error.problems), file=sys.stderr)
        return 2
    if "chosen" in report:
        print(f"{PROGRAM}: {report['chosen']}", file=sys.stderr)
    for note in report.get("input_notes", []):  # on stderr: stdout keeps only the answers
        print(f"{PROGRAM}: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if asks_items:
        print("\n".join(_recommendation_lines(report)))
        return 0
    if report["kind"] == "margins":
        print(f"{report['model']} was {report['note']}.")
    for prediction in report["predictions"]:
        print(_line(prediction, report["kind"], report["target"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
