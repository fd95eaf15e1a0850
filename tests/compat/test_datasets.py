"""Each `datasets` internal this package uses (experiments/compat/datasets.py) still means
what it expects: an upgrade that changes one fails here, by name."""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset

from experiments.compat.datasets import fingerprint


def test_a_fingerprint_follows_the_files_and_data_a_split_was_read_from(tmp_path: Path) -> None:
    split = Dataset.from_dict({"x": [1, 2]})
    assert isinstance(getattr(split, "_fingerprint", None), str), (
        "datasets.Dataset has no str _fingerprint any more: see compat/datasets.py"
    )
    assert fingerprint(split) == fingerprint(Dataset.from_dict({"x": [1, 2]}))
    assert fingerprint(split) != fingerprint(Dataset.from_dict({"x": [1, 3]}))
    split.save_to_disk(tmp_path / "saved")
    (arrow,) = (tmp_path / "saved").glob("*.arrow")
    assert fingerprint(Dataset.from_file(str(arrow))) == fingerprint(
        Dataset.from_file(str(arrow))
    ), "the same files no longer give the same fingerprint: the data cache would never hit"
