"""The processed-data cache: hit on the second load, keyed by source, settings and split,
never poisoned by a crash, nor by others who can write its folder."""

from __future__ import annotations

import hashlib
import io
import logging
import os
from pathlib import Path

import pytest
import torch

from experiments.data import TableFeatures

from .conftest import table_csv


class CountingFeatures(TableFeatures):
    """A table featurizer that counts its fits and can crash halfway."""

    fits = 0
    crash = False

    def fit_transform(self, splits):
        type(self).fits += 1
        if self.crash:
            raise KeyboardInterrupt("killed while featurizing")
        return super().fit_transform(splits)


@pytest.fixture
def counting():
    CountingFeatures.fits, CountingFeatures.crash = 0, False
    return CountingFeatures


def test_second_load_is_a_cache_hit_with_equal_tensors(make_data, tmp_path: Path, counting) -> None:
    path = str(table_csv(tmp_path / "t.csv"))
    first = make_data(path=path, features=counting())
    first.load()
    again = make_data(path=path, features=counting())
    assert again.load() == first.load()
    assert counting.fits == 1
    for split, (inputs, targets) in first.tensors.items():
        assert torch.equal(inputs, again.tensors[split][0])
        assert torch.equal(targets, again.tensors[split][1])
    assert len(list((tmp_path / "cache").glob("test-*.pt"))) == 1


def test_key_changes_with_settings_split_seed_and_file(make_data, tmp_path: Path, counting) -> None:
    path = table_csv(tmp_path / "t.csv")
    make_data(path=str(path), features=counting()).load()
    make_data(path=str(path), features=counting(scale=False)).load()
    make_data(path=str(path), features=counting(), split_seed=1).load()
    table_csv(path, rows=44)  # the file changes
    make_data(path=str(path), features=counting()).load()
    assert counting.fits == 4


def test_crash_while_featurizing_leaves_no_entry(make_data, tmp_path: Path, counting) -> None:
    path = str(table_csv(tmp_path / "t.csv"))
    counting.crash = True
    with pytest.raises(KeyboardInterrupt):
        make_data(path=path, features=counting()).load()
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
    counting.crash = False
    make_data(path=path, features=counting()).load()
    assert counting.fits == 2 and len(list((tmp_path / "cache").iterdir())) == 1


def test_full_disk_runs_without_the_cache_and_leaves_no_entry(
    make_data, tmp_path: Path, monkeypatch, caplog
) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # the entry's bytes are written, not synced
    with caplog.at_level(logging.WARNING):
        data = make_data(path=str(table_csv(tmp_path / "t.csv")))
        data.load()
    assert data.tensors["train"][0].shape[0] > 0
    assert "running without the data cache" in caplog.text
    assert list((tmp_path / "cache").iterdir()) == []  # not even the temporary file


def test_cache_folder_that_is_a_file_is_warned_once(make_data, tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        data = make_data(path=str(table_csv(tmp_path / "t.csv")))
        data.load()
        data.cache.write("test", "another", {"x": torch.zeros(1)})
    assert caplog.text.count("running without the data cache") == 1
    assert blocker.read_text() == "not a folder"


def test_garbled_entry_is_a_miss_not_a_result(make_data, tmp_path: Path, counting, caplog) -> None:
    path = str(table_csv(tmp_path / "t.csv"))
    first = make_data(path=path, features=counting())
    first.load()
    (entry,) = (tmp_path / "cache").glob("test-*.pt")
    data = bytearray(entry.read_bytes())
    data[-200:-100] = bytes(100)  # same size, tensor bytes zeroed: loads, but wrong numbers
    entry.write_bytes(bytes(data))
    again = make_data(path=path, features=counting())
    with caplog.at_level(logging.WARNING):
        again.load()
    assert "does not match its checksum" in caplog.text
    assert counting.fits == 2  # featurized again, not a cache hit
    for split, (inputs, _) in first.tensors.items():
        assert torch.equal(inputs, again.tensors[split][0])


def test_truncated_entry_is_rebuilt(make_data, tmp_path: Path, counting) -> None:
    path = str(table_csv(tmp_path / "t.csv"))
    make_data(path=path, features=counting()).load()
    (entry,) = (tmp_path / "cache").glob("test-*.pt")
    entry.write_bytes(entry.read_bytes()[:100])  # e.g. a disk filled up by someone else
    make_data(path=path, features=counting()).load()
    assert counting.fits == 2 and entry.stat().st_size > 100


def test_cache_off_writes_nothing(make_data, tmp_path: Path) -> None:
    make_data(path=str(table_csv(tmp_path / "t.csv")), cache=False).load()
    assert not (tmp_path / "cache").exists()


def _relabel_test_split(entry: Path) -> None:
    """Rewrite ``entry`` as someone who can write the cache folder can: its test targets
    flipped, the checksum recomputed (a checksum only says an entry is whole)."""
    payload = torch.load(io.BytesIO(entry.read_bytes()[65:]), weights_only=True)
    payload["targets"]["test"] = 1 - payload["targets"]["test"]
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    entry.write_bytes(
        hashlib.sha256(buffer.getvalue()).hexdigest().encode() + b"\n" + buffer.getvalue()
    )


def test_cache_folder_others_can_write_is_not_read(
    make_data, tmp_path: Path, counting, caplog
) -> None:
    path = str(table_csv(tmp_path / "t.csv"))
    first = make_data(path=path, features=counting())
    first.load()
    (entry,) = (tmp_path / "cache").glob("test-*.pt")
    _relabel_test_split(entry)
    (tmp_path / "cache").chmod(0o775)  # a lab's shared folder
    again = make_data(path=path, features=counting())
    with caplog.at_level(logging.WARNING):
        again.load()
    assert "others can write to it (mode 775)" in caplog.text
    assert counting.fits == 2  # featurized again, the shared entry not read
    assert torch.equal(again.tensors["test"][1], first.tensors["test"][1])
    # An entry in a folder only its user can write is read: a hit, as the cache is for.
    (tmp_path / "cache").chmod(0o700)
    make_data(path=path, features=counting()).load()
    assert counting.fits == 2


def test_sticky_folder_reads_only_its_users_entries(make_data, tmp_path: Path, caplog) -> None:
    path = str(table_csv(tmp_path / "t.csv"))
    make_data(path=path).load()
    (tmp_path / "cache").chmod(0o1777)  # as /tmp: others add files, never change this user's
    (entry,) = (tmp_path / "cache").glob("test-*.pt")
    assert make_data(path=path).cache.read("test", entry.stem.split("-", 1)[1]) is not None
    entry.chmod(0o666)  # an entry that others could have rewritten
    with caplog.at_level(logging.WARNING):
        assert make_data(path=path).cache.read("test", entry.stem.split("-", 1)[1]) is None
    assert f"ignoring {entry}: others can write to it (mode 666)" in caplog.text


def test_cache_folder_is_created_for_its_user_alone(make_data, tmp_path: Path) -> None:
    previous = os.umask(0o002)  # a umask that makes group-writable folders
    try:
        make_data(path=str(table_csv(tmp_path / "t.csv"))).load()
    finally:
        os.umask(previous)
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
