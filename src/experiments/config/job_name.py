"""A sweep job's folder name: its overrides, one folder level, readable, unique, bounded.

Hydra's ``hydra.job.override_dirname`` joins the overrides as written, so a ``/`` in a value
(``dataset.path=/data/x.csv``, ``monitor=val/rmse``) nests folders and a long value
(an inline callback) exceeds the file-name limit (``OSError: [Errno 36]``). `job_name`
keeps its form (``key=value`` pairs, sorted, joined by ``,``) but escapes ``/`` (and ``%``,
so that names stay unique) the way URLs do, and shortens long values to their start and a
hash of the whole value. The full overrides stay in ``.hydra/overrides.yaml`` and in
``result.json``. Names are deterministic, so a re-run of a sweep finds its finished jobs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from hydra.core.override_parser.overrides_parser import OverridesParser

# Characters of a value kept before its hash when the value is longer than MAX_VALUE.
MAX_VALUE, KEPT = 40, 24
# Most file systems allow 255 bytes per name; leave room for suffixes tools add.
MAX_NAME_BYTES = 200


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("/", "%2F")


def _short(value: str) -> str:
    return value if len(value) <= MAX_VALUE else f"{value[:KEPT]}~{_digest(value)}"


def job_name(overrides: Iterable[str], exclude_keys: Iterable[str] = ()) -> str:
    """The folder name of the job that ``overrides`` define.

    Args:
        overrides: the job's command-line overrides (``hydra.overrides.task``).
        exclude_keys: keys that say how or where a job ran, not what (``launcher``,
            ``resume``, ...): left out of the name, so a re-run may change them.

    Returns:
        ``key=value`` pairs sorted and joined by ``,`` (e.g. ``model=mlp,seed=0``), with
        ``/`` written ``%2F`` and values over `MAX_VALUE` characters cut to their first
        `KEPT` and ``~<hash>``; a name still over `MAX_NAME_BYTES` bytes is cut the same
        way as a whole.
    """
    excluded = set(exclude_keys)
    parsed = OverridesParser.create().parse_overrides([str(o) for o in overrides])
    items = []
    for override in parsed:
        if override.key_or_group in excluded:
            continue
        line = str(override.input_line)
        key, _, value = line.partition("=")
        items.append(f"{_escape(key)}={_escape(_short(value))}")
    name = ",".join(sorted(items))
    if len(name.encode()) > MAX_NAME_BYTES:
        name = f"{name.encode()[: MAX_NAME_BYTES - 10].decode(errors='ignore')}~{_digest(name)}"
    return name
