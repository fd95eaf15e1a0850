"""`open_storage`: an Optuna storage from the one string the config holds.

Optuna takes database URLs (``sqlite:///...``, ``postgresql://...``); a study shared by
processes on several machines also needs a form that works on a shared filesystem, where
SQLite's locks are unreliable: Optuna's journal file. ``journal:<path>`` names one.
"""

from __future__ import annotations

from typing import Any

JOURNAL_PREFIX = "journal:"


def open_storage(url: str) -> Any:
    """The storage for ``url``: ``journal:<path>`` is an append-only journal file (safe for
    many processes on many nodes over NFS and Lustre: it locks with atomic symlinks);
    anything else is an Optuna database URL."""
    import optuna

    if url.startswith(JOURNAL_PREFIX):
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(url[len(JOURNAL_PREFIX) :]))
    return optuna.storages.get_storage(url)
