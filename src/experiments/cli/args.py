"""Command lines of the Hydra-free entry points (`experiments-eval`, `experiments-predict`):
``key=value`` words as in Hydra (``ckpt=outputs/... json=true``), or the same as flags
(``--ckpt outputs/... --json``)."""

from __future__ import annotations

import argparse
import sys

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
