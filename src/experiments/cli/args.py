"""Command lines of the Hydra-free entry points (`experiments-eval`, `experiments-predict`):
``key=value`` words as in Hydra (``ckpt=outputs/... json=true``), or the same as flags
(``--ckpt outputs/... --json``)."""

from __future__ import annotations

import argparse
import sys

from experiments.config.trusted import Trust

_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def parse_key_values(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """``parser.parse_args`` where a word ``key=value`` stands for ``--key=value``.

    Raises:
        SystemExit: status 2, with argparse's one-line usage message, on bad arguments.
    """
    words = sys.argv[1:] if argv is None else argv
    words = [w if w.startswith("-") or "=" not in w else f"--{w}" for w in words]
    return parser.parse_args(words)


def boolean(text: str) -> bool:
    """``true``/``false`` (also ``yes``/``no``, ``1``/``0``), for ``json=true``."""
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got '{text}'")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json`` or ``json=true``: print JSON for scripts instead of text."""
    parser.add_argument(
        "--json", type=boolean, nargs="?", const=True, default=False,
        help="print JSON for scripts (also json=true)",
    )  # fmt: skip


def add_trust_flags(parser: argparse.ArgumentParser) -> None:
    """``--trust PACKAGE`` (repeatable) and ``--trust-pickle``: what the user trusts in a run
    folder from elsewhere beyond the allow-list (`experiments.config.trusted`)."""
    parser.add_argument(
        "--trust", action="append", default=[], metavar="PACKAGE",
        help="build the classes of this package (or module, or exact name) that the run's "
        "config names, e.g. your lab's own: its code runs; repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--trust-pickle", type=boolean, nargs="?", const=True, default=False,
        help="load an old run's estimator.joblib, a pickle that runs any code it names",
    )  # fmt: skip


def trust_of(args: argparse.Namespace) -> Trust:
    """The `Trust` that `add_trust_flags`' flags gave."""
    return Trust(packages=tuple(args.trust), pickle=args.trust_pickle)
