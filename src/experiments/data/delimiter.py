"""The delimiter of a CSV file: the one the user set, or the one its first lines show.

A table exported with a European locale separates its cells with semicolons; read with
commas, it is one column named ``alcohol;malic_acid;...``. `csv.Sniffer` tells the
delimiter from the head of the file, among `CANDIDATES`; what was used is logged, so that a
wrong guess is visible and ``dataset.delimiter`` can override it.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)
CANDIDATES = ",;\t|"
HEAD_BYTES = 64 * 1024  # enough lines for the sniffer; the file may be gigabytes
NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def detect_delimiter(path: Path, default: str = ",") -> str:
    """``default`` when it cuts the header into several columns; else the delimiter the head
    of ``path`` shows (one of `CANDIDATES`), or ``default`` when it shows none (a table of
    one column) or cannot be read."""
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as file:
            head = file.read(HEAD_BYTES)
    except OSError:
        return default
    lines = head.splitlines()
    if not lines or len(next(csv.reader(lines[:1], delimiter=default))) > 1:
        return default  # a comma-separated text column may hold semicolons: not sniffed
    if len(lines) > 1 and len(head) == HEAD_BYTES:
        head = "\n".join(lines[:-1])  # the last line may be cut
    try:
        return csv.Sniffer().sniff(head, delimiters=CANDIDATES).delimiter
    except csv.Error:  # one column, or no consistent delimiter
        return default


def delimiter_of(path: Path, configured: str | None, what: str, default: str = ",") -> str:
    """``configured``, or the delimiter detected in ``path``; logs which, unless it is the
    ``default`` that was also detected (nothing to say).

    Args:
        what: the key or argument the file came from (``dataset.path``, ``input``).
    """
    if configured is not None:
        log.info("%s: '%s' read with delimiter %r (set)", what, path, configured)
        return configured
    found = detect_delimiter(path, default)
    if found != default:
        log.info(
            "%s: '%s' read with the %s delimiter %r (detected)",
            what, path, NAMES.get(found, "detected"), found,
        )  # fmt: skip
    return found


def read_table(
    path: Path, what: str, delimiter: str | None = None, chunksize: int | None = None
) -> pd.DataFrame | Iterator[pd.DataFrame]:
    """``pd.read_csv`` of ``path`` with its delimiter (`delimiter_of`); with ``chunksize``
    an iterator of frames of that many rows."""
    options: dict[str, Any] = {"sep": delimiter_of(path, delimiter, what)}
    if chunksize is not None:
        options["chunksize"] = chunksize
    return pd.read_csv(path, **options)
