"""`experiments-train --help`: the config groups and the root options, read from the config
folders without composing a config.

Hydra's own help composes the default config, then lists the groups through a fresh copy
of its config repository for every group: about 0.8 s here, five times the command's own
start-up (issue 32). This help reads the same folders directly: each group with its
options (the primary config's default marked), then the root keys with what they do, as
the primary config's comments say. The composed config is one command away
(``--cfg job``); Hydra's help answers when overrides come with ``--help`` (it then shows
the config they compose) and with ``--hydra-help``.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import yaml

SHIPPED_CONFIGS = Path(__file__).resolve().parent.parent / "conf"
PRIMARY_CONFIG = "train.yaml"
HELP_FLAGS = ("--help", "-h")
CONFIG_DIR_FLAGS = ("--config-dir", "-cd")
MAX_WIDTH = 100
# A root key of the primary config, its value and its comment: `seed: 0   # seeds torch...`
ROOT_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):(?P<value>[^#]*?)\s*(?:#\s?(?P<doc>.*))?$")
NOT_OPTIONS = ("defaults", "hydra")  # root keys that are Hydra's, not the run's

USAGE = """\
usage: experiments-train [-m] [group=option ...] [key=value ...]

One run, or with -m a sweep, from a config composed of the groups below (Hydra).

  experiments-train model=svm_rbf dataset=breast_cancer        one run
  experiments-train -m model=mlp,svm_linear seed=0,1,2         a sweep: every combination
  experiments-train -m experiment=svm_vs_deep protocol=fair    the fair comparison
  experiments-train --cfg job model=cnn                        the composed config; runs nothing
"""
FOOTER = """\
Hydra's help with the config that overrides compose: --help model=cnn (any override).
Hydra's own flags (--cfg, --resolve, -m, --config-dir, ...): --hydra-help.
"""


def help_request(argv: list[str]) -> list[Path] | None:
    """The config folders of a plain help request: ``--help`` (or ``-h``), with
    ``--config-dir DIR`` if given, first (Hydra searches them before the shipped folder).
    None when ``argv`` asks for anything else: no help flag, an override, another flag, or a
    folder that is missing or does not exist (Hydra answers those, with its own messages)."""
    words = iter(argv[1:])
    folders, asked = [], False
    for word in words:
        name, equals, value = word.partition("=")
        if word in HELP_FLAGS:
            asked = True
        elif name in CONFIG_DIR_FLAGS:
            folders.append(value if equals else next(words, ""))
        else:
            return None
    if not asked or not all(folder and Path(folder).is_dir() for folder in folders):
        return None
    return [*map(Path, folders), SHIPPED_CONFIGS]


def help_text(folders: list[Path], width: int | None = None) -> str:
    """The help for config ``folders`` (searched in this order), wrapped at ``width``
    (default: the terminal's, at most 100 columns)."""
    width = width or min(shutil.get_terminal_size().columns, MAX_WIDTH)
    primary = next(f / PRIMARY_CONFIG for f in folders if (f / PRIMARY_CONFIG).is_file())
    defaults = primary_defaults(primary)
    sections = [
        USAGE,
        "== Configuration groups ==\nOne option per group (group=option); * marks the default.\n",
        *(
            _group_line(group, options, defaults.get(group), width)
            for group, options in config_groups(folders).items()
        ),
        "\n== Root options ==\nOverride any key (key=value; nested keys: optimizer.lr=3e-3).\n",
        *(_root_option(key, value, doc, width) for key, value, doc in root_options(primary)),
        "",
        FOOTER,
    ]
    return "\n".join(sections)


def config_groups(folders: list[Path]) -> dict[str, list[str]]:
    """Every config group of ``folders`` (subfolders holding ``.yaml`` files, Hydra's own
    ``hydra/`` groups aside) with its options, sorted. Files named ``_*`` are bases that
    other files of their group build on, not options, and are left out."""
    groups: dict[str, set[str]] = defaultdict(set)
    for folder in folders:
        for config in folder.rglob("*.yaml"):
            group = config.parent.relative_to(folder).as_posix()
            if group != "." and group.split("/")[0] != "hydra" and config.stem[0] != "_":
                groups[group].add(config.stem)
    return {group: sorted(groups[group]) for group in sorted(groups)}


def primary_defaults(primary: Path) -> dict[str, str]:
    """The option the primary config's defaults list chooses per group (None ones left out)."""
    defaults = (yaml.safe_load(primary.read_text()) or {}).get("defaults", [])
    return {
        str(group): str(option)
        for entry in defaults
        if isinstance(entry, dict)
        for group, option in entry.items()
        if option is not None
    }


def root_options(primary: Path) -> Iterator[tuple[str, str, str]]:
    """Each root key of the primary config with its value and its comment, in file order;
    a key whose value is a block below it has the value ``...``."""
    for line in primary.read_text().splitlines():
        match = ROOT_KEY.match(line)
        if match and match["key"] not in NOT_OPTIONS:
            yield match["key"], match["value"].strip() or "...", (match["doc"] or "").strip()


def _group_line(group: str, options: list[str], default: str | None, width: int) -> str:
    marked = (f"*{option}" if option == default else option for option in options)
    return _wrapped(f"{group}: {', '.join(marked)}", width)


def _root_option(key: str, value: str, doc: str, width: int) -> str:
    line = f"{key}: {value}"
    if not doc:
        return line
    return f"{line}\n{_wrapped(doc, width, first='    ')}"


def _wrapped(text: str, width: int, first: str = "") -> str:
    return textwrap.fill(
        text, width, initial_indent=first, subsequent_indent="    ",
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
