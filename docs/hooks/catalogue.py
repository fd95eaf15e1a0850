"""The catalogue pages of the docs site, generated from the shipped configs at every build
(an mkdocs hook: ``hooks:`` in ``mkdocs.yml``), so that they cannot drift from the files.

Every option of every config group under ``src/experiments/conf/`` (but Hydra's own
``hydra/`` folder) gets a row: its file's header comment, and for models and datasets the
settings a reader chooses between (family, kind, what it builds, source, task). The pages are
not written to ``docs/``: they exist only in the built site. ``tests/test_docs.py`` checks
that every option appears.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from mkdocs.structure.files import File, Files

from experiments.config import CONF_DIR, config_options

# The generated pages, by path inside the site: models, datasets (with their featurizers and
# augmentations), and every other group.
MODELS, DATASETS, OTHERS = "catalogue/models.md", "catalogue/datasets.md", "catalogue/options.md"
SKIPPED_FOLDERS = ("hydra",)  # Hydra's own sweeper/launcher groups: chosen by other options

TITLES = {
    MODELS: "Models",
    DATASETS: "Datasets and featurizers",
    OTHERS: "Every other option",
}
INTROS = {
    MODELS: (
        "Every model file under `src/experiments/conf/model/`, chosen with `model=<name>`. "
        "`family` is the model's side in *does a deep net beat the baselines?*; `kind` is how "
        "it trains (network: the Lightning Trainer; estimator: scikit-learn's `fit`); "
        "`searched` are the keys `protocol=fair` tunes. What the kinds do: "
        "[Models](../guides/models.md)."
    ),
    DATASETS: (
        "Every dataset file under `src/experiments/conf/dataset/`, chosen with `dataset=<name>`, "
        "and the featurizers (`dataset/features=<name>`) and augmentations "
        "(`+dataset/augment=<name>`). Your own files: [Your data](../guides/data.md)."
    ),
    OTHERS: (
        "The other config groups, one file per option under `src/experiments/conf/<group>/`, "
        "chosen with `<group>=<option>`."
    ),
}


def config_groups() -> list[str]:
    """Every config group under the config folder (``model``, ``dataset/features``), sorted:
    the folders holding at least one option, less Hydra's own."""
    folders = {path.parent for path in CONF_DIR.rglob("*.yaml")} - {CONF_DIR}
    groups = (folder.relative_to(CONF_DIR).as_posix() for folder in folders)
    return sorted(g for g in groups if g.split("/")[0] not in SKIPPED_FOLDERS and config_options(g))


def header(path: Path) -> str:
    """The file's leading comment as one Markdown paragraph: prose lines joined, indented
    lines (usage examples) as code, Hydra's ``# @package`` line left out."""
    parts = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        text = line[1:]
        if text.strip().startswith("@package"):
            continue
        parts.append(f"`{text.strip()}`" if text.startswith("  ") else text.strip())
    return " ".join(part for part in parts if part)


def summary(path: Path) -> str:
    """What an option is: its file's leading comment, or else (a file of one callback, say)
    the first comment on a line and the class the file builds."""
    if text := header(path):
        return text
    lines = path.read_text().splitlines()
    comment = next((line.split(" # ", 1)[1].strip() for line in lines if " # " in line), "")
    built = first_target(yaml.safe_load(path.read_text()))
    return f"{comment} (`{built}`)" if comment and built else comment or f"`{built}`"


def first_target(node: Any) -> str | None:
    """The first ``_target_`` in a config node, breadth first."""
    queue = [node]
    while queue:
        item = queue.pop(0)
        if isinstance(item, dict):
            if "_target_" in item:
                return str(item["_target_"])
            queue.extend(item.values())
    return None


def cell(value: Any) -> str:
    """A value as one table cell: pipes escaped, ``<`` and ``>`` outside code spans as HTML
    entities (``<run dir>`` would read as a tag), nothing for None."""
    if value is None:
        return ""
    parts = str(value).replace("|", "\\|").replace("\n", " ").split("`")
    prose = (part.replace("<", "&lt;").replace(">", "&gt;") for part in parts[::2])
    parts[::2] = list(prose)
    return "`".join(parts)


def target(node: dict[str, Any]) -> str | None:
    """The ``_target_`` of a model's network or estimator node, as code."""
    for key in ("net", "estimator"):
        if isinstance(node.get(key), dict) and "_target_" in node[key]:
            return f"`{node[key]['_target_']}`"
    return None


def default_features(node: dict[str, Any]) -> str | None:
    """The featurizer a dataset file chooses in its defaults list."""
    for entry in node.get("defaults") or []:
        if isinstance(entry, dict) and "features" in entry:
            return f"`{entry['features']}`"
    return None


def options(group: str) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """Each option of ``group``: its name, its file and the file's YAML, read as written
    (its defaults list unresolved)."""
    for option in config_options(group):
        path = CONF_DIR / group / f"{option}.yaml"
        yield option, path, yaml.safe_load(path.read_text()) or {}


def table(columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> list[str]:
    """A Markdown table's lines."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]


def model_table() -> list[str]:
    """Every model: family, kind, what it builds, the keys the protocol searches."""
    rows = (
        (
            f"`model={option}`",
            node.get("family"),
            node.get("kind") or ("estimator" if "estimator" in node else "network"),
            target(node),
            ", ".join(f"`{key}`" for key in node.get("search_space") or {}),
            summary(path),
        )
        for option, path, node in options("model")
    )
    return table(("option", "family", "kind", "builds", "searched", "what it is"), rows)


def dataset_table() -> list[str]:
    """Every dataset: source, task, the column to predict, the default featurizer."""
    rows = (
        (
            f"`dataset={option}`",
            f"`{node['source']}`" if node.get("source") else None,
            node.get("task") or node.get("objective"),
            f"`{column}`"
            if (column := node.get("target_column") or node.get("rating_column"))
            else None,
            default_features(node),
            summary(path),
        )
        for option, path, node in options("dataset")
    )
    return table(("option", "source", "task", "target column", "features", "what it is"), rows)


def option_table(group: str) -> list[str]:
    """A group's section: each option and what it is."""
    rows = ((f"`{group}={option}`", summary(path)) for option, path, _ in options(group))
    return [f"## `{group}`", "", *table(("option", "what it is"), rows), ""]


def pages() -> dict[str, str]:
    """The Markdown of each generated page, by its path inside the site."""
    own_pages = ("model", "dataset", "dataset/features", "dataset/augment")
    body = {
        MODELS: model_table(),
        DATASETS: [
            "## `dataset`",
            "",
            *dataset_table(),
            "",
            *option_table("dataset/features"),
            *option_table("dataset/augment"),
        ],
        OTHERS: [line for g in config_groups() if g not in own_pages for line in option_table(g)],
    }
    return {
        page: "\n".join([f"# {TITLES[page]}", "", INTROS[page], "", *lines, ""])
        for page, lines in body.items()
    }


def on_files(files: Files, config: Any) -> Files:
    """mkdocs hook: add the generated pages to the site's files."""
    for page, content in pages().items():
        files.append(File.generated(config, page, content=content))
    return files
