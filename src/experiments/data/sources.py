"""Where rows come from: built-in offline sets, Hugging Face hub ids, or local files.

Every source is loaded as a Hugging Face `DatasetDict` of the source's own splits, and has a
fingerprint that changes when its rows can have changed (`experiments.data.fingerprint`):
part of a run's identity and of the key of the processed-data cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from datasets import Array2D, ClassLabel, Dataset, DatasetDict, Features

from experiments.compat.datasets import fingerprint
from experiments.config.errors import ConfigError
from experiments.data.checks import warn_about_duplicate_columns
from experiments.data.delimiter import delimiter_of
from experiments.data.fingerprint import code_digest, files_digest

BUILTIN_PREFIX = "builtin:"
# dataset.source values that mean "local files of this format at dataset.path".
LOCAL_FORMATS = {
    "csv": ("csv", {}),
    "tsv": ("csv", {"sep": "\t"}),
    "parquet": ("parquet", {}),
    "json": ("json", {}),
    "imagefolder": ("imagefolder", {}),
}
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".json": "json"}
EXTENSIONS |= {".jsonl": "json"}
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
# Seconds to wait for the hub before giving up: the client's own retry loop takes minutes.
HUB_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Source:
    """A resolved ``dataset.source``: how to load it, and its fingerprint.

    ``fingerprint`` is None when it is only known after loading (hub data sets: the
    fingerprints `datasets` gives the loaded splits); before loading, such a source is known
    by its description (`identity`).
    """

    description: str
    fingerprint: str | None
    load: Callable[[], DatasetDict]

    @property
    def identity(self) -> str:
        """What names the rows before they are loaded: the fingerprint, or for a hub data
        set its id and files (a hub set is not pinned to a revision)."""
        return self.fingerprint or self.description


def _digits() -> DatasetDict:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    features = Features(
        {
            "image": Array2D(shape=(8, 8), dtype="float32"),
            "label": ClassLabel(names=[str(d) for d in range(10)]),
        }
    )
    table = {"image": bunch.images.astype(np.float32), "label": bunch.target.tolist()}
    return DatasetDict({"all": Dataset.from_dict(table, features=features)})


def _frame(loader: Callable, classes: bool) -> DatasetDict:
    """A scikit-learn bundled table (``as_frame=True``) with its target in column ``target``."""
    bunch = loader(as_frame=True)
    dataset = Dataset.from_pandas(bunch.frame, preserve_index=False)
    if classes:
        names = [str(name) for name in bunch.target_names]
        dataset = dataset.cast_column("target", ClassLabel(names=names))
    return DatasetDict({"all": dataset})


def _breast_cancer() -> DatasetDict:
    from sklearn.datasets import load_breast_cancer

    return _frame(load_breast_cancer, classes=True)


def _diabetes() -> DatasetDict:
    from sklearn.datasets import load_diabetes

    return _frame(load_diabetes, classes=False)


# Bundled with scikit-learn (no download; its fetch_* loaders download and fail offline).
BUILTIN_SOURCES = {"digits": _digits, "breast_cancer": _breast_cancer, "diabetes": _diabetes}


def resolve_source(
    source: str | Callable[[], Any],
    path: str | None = None,
    data_files: str | list[str] | None = None,
    delimiter: str | None = None,
) -> Source:
    """Resolve ``dataset.source`` (and ``dataset.path``) to a loadable `Source`.

    Args:
        source: ``builtin:<name>``; a hub id (``ucirvine/sms_spam``); a local format, one
            of `LOCAL_FORMATS`, read from ``path``; or your own loader, a callable (a
            ``_target_`` with ``_partial_: true`` in the config) that returns a Hugging Face
            ``Dataset`` or ``DatasetDict``, a pandas ``DataFrame``, or a dict of equal-length
            columns (arrays or lists); see `callable_source`.
        path: a local file or folder. With a hub id it replaces the hub: the files there
            are read in the same schema (format from their extensions), so that the same
            config runs offline.
        data_files: which files of the hub repo or of ``path`` to read (relative names or
            glob patterns); None reads all, with splits from the file names.
        delimiter: the cell delimiter of local CSV files; None: detected from the first
            file's head (`experiments.data.delimiter`), and logged when not the format's own.

    Raises:
        ConfigError: unknown built-in, a missing path, or a local format without a path.
    """
    if callable(source):
        return callable_source(source)
    if source.startswith(BUILTIN_PREFIX):
        name = source.removeprefix(BUILTIN_PREFIX)
        if name not in BUILTIN_SOURCES:
            known = ", ".join(BUILTIN_PREFIX + n for n in sorted(BUILTIN_SOURCES))
            raise ConfigError(
                f"dataset.source: unknown built-in '{source}'; expected one of {known}"
            )
        if path is not None:
            raise ConfigError(
                f"dataset.path: built-in '{source}' reads no files; for your own files use "
                "dataset=csv (or tsv, parquet, json, imagefolder) with dataset.path=..."
            )
        import sklearn

        return Source(source, f"{source}@sklearn-{sklearn.__version__}", BUILTIN_SOURCES[name])
    if path is not None:
        return _local(source, Path(path), data_files, delimiter)
    if source in LOCAL_FORMATS:
        raise ConfigError(
            f"dataset.path: dataset.source '{source}' reads local files; expected "
            f"dataset.path=<a .{source} file or a folder of them>"
        )
    hub = f"hub:{source}" + (f":{data_files}" if data_files is not None else "")
    return Source(hub, None, lambda: _load_hub(source, data_files))


def callable_source(loader: Callable[[], Any]) -> Source:
    """A user's loader as a `Source`. Its fingerprint is the function's import path, its
    arguments (a `functools.partial`'s keywords) and the digest of the source file that
    defines it (`code_digest`), so the cache is reused for the same arguments and code: a
    loader whose rows change for the same arguments and code (it reads a file or a
    database) must be given a new argument (e.g. a version) or ``dataset.cache=false``.

    Raises:
        ConfigError: (when loaded) the loader returns something that is not rows.
    """
    function = getattr(loader, "func", loader)
    arguments = (getattr(loader, "args", ()), getattr(loader, "keywords", {}))
    name = f"{function.__module__}.{function.__qualname__}"

    def load() -> DatasetDict:
        rows = loader()
        if isinstance(rows, DatasetDict):
            return rows
        if isinstance(rows, Dataset):
            return DatasetDict({"all": rows})
        if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a pandas DataFrame
            return DatasetDict({"all": Dataset.from_pandas(rows, preserve_index=False)})
        if isinstance(rows, dict):
            columns = {key: np.asarray(value).tolist() for key, value in rows.items()}
            return DatasetDict({"all": Dataset.from_dict(columns)})
        raise ConfigError(
            f"dataset.source: {name} returned {type(rows).__name__}; expected a Hugging Face "
            "Dataset or DatasetDict, a pandas DataFrame, or a dict of equal-length columns"
        )

    fingerprint = f"callable:{name}:{arguments!r}:code-{code_digest(function)[:16]}"
    return Source(f"callable:{name}", fingerprint, load)


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
    )  # hidden files are tool droppings (.DS_Store, .gitattributes), not data


def _local_format(source: str, path: Path, files: list[Path]) -> str:
    if source in LOCAL_FORMATS:
        return source
    suffixes = {p.suffix.lower() for p in files}
    if suffixes and suffixes <= IMAGE_EXTENSIONS:
        return "imagefolder"
    formats = {EXTENSIONS[s] for s in suffixes if s in EXTENSIONS}
    if len(formats) != 1:
        raise ConfigError(
            f"dataset.path: cannot tell the format of '{path}' from its files "
            f"({', '.join(sorted(suffixes)) or 'none'}); expected .csv, .tsv, .parquet, "
            ".json/.jsonl or images, or set dataset.source to one of "
            f"{', '.join(LOCAL_FORMATS)}"
        )
    return formats.pop()


def _local(
    source: str, path: Path, data_files: str | list[str] | None, delimiter: str | None
) -> Source:
    if not path.exists():
        raise ConfigError(f"dataset.path: '{path}' does not exist (working folder {Path.cwd()})")
    files = _files(path)
    if not files:
        raise ConfigError(f"dataset.path: '{path}' holds no files")
    fmt = _local_format(source, path, files)
    builder, options = LOCAL_FORMATS[fmt]
    # The files' bytes, by name: the same rows wherever the folder lies.
    fingerprint = f"{fmt}:{data_files}:sha256-{files_digest(path, files)[:32]}"
    if delimiter is not None:  # other cells from the same bytes
        fingerprint += f":sep={delimiter!r}"

    def load() -> DatasetDict:
        if path.is_file():
            where = {"data_files": {"train": str(path)}}
        else:
            where = {"data_dir": str(path), "data_files": data_files}
        read = dict(options)
        if builder == "csv":
            tables = [p for p in files if path.is_file() or EXTENSIONS.get(p.suffix.lower()) == fmt]
            default = options.get("sep", ",")
            read["sep"] = delimiter_of(tables[0], delimiter, "dataset.path", default)
            warn_about_duplicate_columns(tables, read["sep"])
        try:
            return datasets.load_dataset(builder, **where, **read)
        except (OSError, ValueError, datasets.exceptions.DatasetGenerationError) as error:
            cause = error.__cause__ or error
            empty = re.search(r'Instruction "(\w+)" corresponds to no data', str(cause))
            if empty:  # `datasets`' words for a split file without rows
                cause = f"split '{empty.group(1)}' has no rows (a file with a header only?)"
            raise ConfigError(f"dataset.path: cannot read '{path}' as {fmt}: {cause}") from error

    return Source(f"{fmt}:{path.resolve()}", fingerprint, load)


def _load_hub(repo_id: str, data_files: str | list[str] | None) -> DatasetDict:
    """Load a hub data set, failing within `HUB_TIMEOUT_S` when the hub is unreachable.

    In offline mode (``HF_DATASETS_OFFLINE=1``) `datasets` reads its local cache and fails
    at once when the set is not there; online, a quick probe replaces the client's retry
    loop of several minutes.
    """
    hint = (
        f"To run offline, point the config at local files in the same schema: "
        f"dataset.path=<folder with train/test files> (e.g. dataset.source={repo_id} "
        "dataset.path=../shared/data/<name>)"
    )
    if not datasets.config.HF_HUB_OFFLINE:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import RepositoryNotFoundError

        try:
            HfApi().dataset_info(repo_id, timeout=HUB_TIMEOUT_S)
        except RepositoryNotFoundError as error:
            raise ConfigError(
                f"dataset.source: no data set '{repo_id}' on the Hugging Face hub (or it is "
                f"private). {hint}"
            ) from error
        except Exception as error:  # network libraries raise many types; all mean "unreachable"
            raise ConfigError(
                f"dataset.source: cannot reach the Hugging Face hub for '{repo_id}' within "
                f"{HUB_TIMEOUT_S:.0f} s ({type(error).__name__}: {error}). {hint}"
            ) from error
    try:
        return datasets.load_dataset(repo_id, data_files=data_files)
    except (ConnectionError, FileNotFoundError) as error:
        raise ConfigError(
            f"dataset.source: cannot load '{repo_id}' from the Hugging Face hub or its local "
            f"cache ({error}). {hint}"
        ) from error


def hub_fingerprint(loaded: DatasetDict) -> str:
    """The fingerprint of loaded hub splits: `datasets` derives it from the repo revision and
    files (`experiments.compat.datasets.fingerprint`)."""
    return ";".join(f"{name}:{fingerprint(split)}" for name, split in sorted(loaded.items()))
