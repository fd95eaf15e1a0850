""" "Did you mean ...?" for a misspelled option, key or column."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'lr'?)`` for the closest of ``choices`` to ``word``, ignoring case
    (``Price`` -> ``price``, ``c`` -> ``C``); an empty string when none is close."""
    by_folded = {str(choice).casefold(): str(choice) for choice in choices}
    close = difflib.get_close_matches(word.casefold(), by_folded, n=1, cutoff=0.6)
    return f" (did you mean '{by_folded[close[0]]}'?)" if close else ""
