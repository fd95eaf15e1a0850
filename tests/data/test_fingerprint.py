"""Fingerprints of a data set's rows: file bytes (remembered by size, time and inode), and a
loader function's code as well as its arguments (issue 27: an edited loader was a cache hit)."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from pathlib import Path

import torch

from experiments.data import TableFeatures
from experiments.data.fingerprint import MEMO_FOLDER
from experiments.data.sources import callable_source, resolve_source

from .conftest import table_csv

LOADER = '''
import numpy as np


def blobs(rows):
    """Two classes that differ in x: a signal to learn."""
    label = np.arange(rows) % 2
    return {"x": label * {shift} + np.linspace(0, 1, rows), "label": label}
'''


def _loader_module(folder: Path, shift: float, monkeypatch) -> object:
    # Two edits in one second with the same length look unchanged to a written .pyc (its check
    # is size and mtime in seconds): no bytecode, as the shell of this project's machine has it.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (folder / "lab_rows.py").write_text(LOADER.replace("{shift}", str(shift)))
    monkeypatch.syspath_prepend(str(folder))
    if "lab_rows" in sys.modules:
        return importlib.reload(sys.modules["lab_rows"])
    return importlib.import_module("lab_rows")


def test_edited_loader_is_new_data_not_a_cache_hit(make_data, tmp_path: Path, monkeypatch) -> None:
    module = _loader_module(tmp_path, shift=5.0, monkeypatch=monkeypatch)
    first = make_data(source=functools.partial(module.blobs, rows=40), features=TableFeatures())
    first.load()
    module = _loader_module(tmp_path, shift=0.0, monkeypatch=monkeypatch)  # the signal removed
    again = make_data(source=functools.partial(module.blobs, rows=40), features=TableFeatures())
    assert again.fingerprint()["rows"] != first.fingerprint()["rows"]
    again.load()
    assert not torch.equal(again.tensors["train"][0], first.tensors["train"][0])
    assert len(list((tmp_path / "cache").glob("test-*.pt"))) == 2


def test_loader_fingerprint_holds_its_arguments_and_code(tmp_path: Path, monkeypatch) -> None:
    module = _loader_module(tmp_path, shift=5.0, monkeypatch=monkeypatch)
    source = callable_source(functools.partial(module.blobs, rows=40))
    assert source.fingerprint.startswith("callable:lab_rows.blobs:((), {'rows': 40}):code-")
    assert callable_source(functools.partial(module.blobs, rows=40)).fingerprint == (
        source.fingerprint
    )
    assert callable_source(functools.partial(module.blobs, rows=41)).fingerprint != (
        source.fingerprint
    )


def test_file_fingerprint_is_its_bytes_not_its_time_or_place(tmp_path: Path) -> None:
    path = table_csv(tmp_path / "a" / "t.csv")
    first = resolve_source("csv", str(path)).fingerprint
    os.utime(path, ns=(1, 1))  # touched: the same bytes
    assert resolve_source("csv", str(path)).fingerprint == first
    moved = tmp_path / "b" / "t.csv"
    moved.parent.mkdir()
    path.rename(moved)
    assert resolve_source("csv", str(moved)).fingerprint == first
    text = moved.read_text()
    moved.write_text(text.replace("red", "rod", 1))  # the same size, other bytes
    assert resolve_source("csv", str(moved)).fingerprint != first


def test_file_digests_are_remembered_and_read_again_only_on_change(
    tmp_path: Path, data_cache: Path, monkeypatch
) -> None:
    path = table_csv(tmp_path / "t.csv")
    resolve_source("csv", str(path))
    assert any((data_cache / MEMO_FOLDER).glob("*.json"))
    opened = []
    real_open = Path.open
    monkeypatch.setattr(
        Path, "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k)
    )
    resolve_source("csv", str(path))
    assert path not in opened  # remembered: the file is not read again
    path.write_text(path.read_text() + "99,red,big\n")
    opened.clear()
    resolve_source("csv", str(path))
    assert opened.count(path) == 1
