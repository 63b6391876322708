"""Project settings from cytobib.toml, found by walking up from the working directory.

Environment variables override the file for what differs per person rather than per project:
``CYTOBIB_MAILTO`` (Crossref contact), ``CYTOBIB_CROSSREF_URL`` and ``CYTOBIB_CACHE_DIR``.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cytobib.errors import ConfigError, Where

CONFIG_NAME = "cytobib.toml"

DEFAULT_TOML = """\
# cytobib project settings. Paths are relative to this file.

[library]
bib = "library.bib"
annotations = "annotations"
# Larger .bib files are refused with a message (protects against pointing at the wrong file).
max_bib_mb = 64

[crossref]
# Your e-mail address: Crossref routes identified clients to its "polite" pool (3 requests in
# flight, 10/s instead of 1 and 5/s). Or set CYTOBIB_MAILTO in the environment.
mailto = ""

[output]
style = "vancouver"          # a CSL style name or .csl path, or plain/unsrt/alpha (pybtex)
build_dir = "build"
reading_list = ["md", "html"]
review_table = ["md", "csv", "xlsx"]
group_by = "agent"

# Extend the agent vocabulary (see docs/agents.md):
# [[agents]]
# id = "bempegaldesleukin"
# label = "Bempegaldesleukin (NKTR-214)"
# class = "cytokine"
# parent = "aldesleukin"
# synonyms = ["NKTR-214", "bempeg"]

# Extend the cancer vocabulary (see docs/cancers.md):
# [[cancers]]
# id = "anal-cancer"
# label = "Anal cancer"
# class = "solid"
# site = "anal canal"
# parent = "solid-tumours"
# synonyms = ["anal carcinoma", "anal SCC"]
"""


@dataclass(frozen=True)
class Config:
    """Resolved settings; ``root`` is the folder holding cytobib.toml (or the cwd)."""

    root: Path
    bib: Path
    annotations: Path
    max_bib_mb: int = 64
    mailto: str | None = None
    crossref_url: str | None = None
    style: str = "vancouver"
    build_dir: Path = Path("build")
    reading_list_formats: tuple[str, ...] = ("md", "html")
    review_table_formats: tuple[str, ...] = ("md", "csv", "xlsx")
    group_by: str | None = "agent"
    agents: tuple[Mapping[str, Any], ...] = ()
    agents_file: Path | None = None
    cancers: tuple[Mapping[str, Any], ...] = ()
    cancers_file: Path | None = None
    review_columns: tuple[str, ...] | None = None
    column_headings: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def cache_dir(self) -> Path:
        """The cache folder (``cytobib.store.cache_root``): the stores and Crossref's answers."""
        from cytobib.store import cache_root

        return cache_root()

    def own_input(self, path: Path) -> str | None:
        """What ``path`` is, if it is one of the project's own inputs (library.bib,
        cytobib.toml, a vocabulary file, anything under annotations/, templates/ or .cytobib/):
        an output written there would destroy it. None for any other path."""
        target = Path(path).expanduser().resolve()
        files = {self.bib: "library file", self.path: "settings file"}
        files.update({self.agents_file: "agents file", self.cancers_file: "cancers file"})
        for own, what in files.items():
            if own is not None and target == own.resolve():
                return f"the project's {what} {own.name}"
        folders = {
            self.annotations: "annotations folder",
            self.root / "templates": "templates folder",
            self.root / ".cytobib": ".cytobib folder",
        }
        for folder, what in folders.items():
            if target.is_relative_to(folder.resolve()):
                return f"inside the project's {what}"
        return None


def template_files(root: Path | None) -> list[tuple[str, bytes]]:
    """Every file under ``<project>/templates`` by name and bytes (any file a template may
    include; bytes, so that a stray binary file is no problem): what a project's own templates
    are, for the caches of rendered items and outputs. The packaged templates are part of
    cytobib's code."""
    folder = root / "templates" if root is not None else None
    if folder is None or not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        with contextlib.suppress(OSError):
            if path.is_file():
                out.append((path.relative_to(folder).as_posix(), path.read_bytes()))
    return out


def find_config(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Read cytobib.toml (explicit path, or the nearest one above ``start``)."""
    cfg_path = path or find_config(start)
    data: dict[str, Any] = {}
    root = (start or Path.cwd()).resolve()
    if cfg_path is not None:
        root = cfg_path.resolve().parent
        try:
            data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            line = _toml_line(str(exc))
            raise ConfigError(
                f"cytobib.toml is not valid TOML: {exc}.",
                where=Where(str(cfg_path), line),
                hint="Fix the line named above; strings need quotes, tables [brackets].",
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(
                "cytobib.toml is not UTF-8.", where=Where(str(cfg_path)), hint="Save it as UTF-8."
            ) from None
    shown = str(cfg_path or CONFIG_NAME)
    lib = _table(data, "library", shown)
    cref = _table(data, "crossref", shown)
    out = _table(data, "output", shown)
    review = _table(data, "review_table", shown)

    def path_of(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else root / p

    mailto = os.environ.get("CYTOBIB_MAILTO") or _str(cref, "mailto", shown) or None
    agents_file = _str(lib, "agents_file", shown)
    cancers_file = _str(lib, "cancers_file", shown)
    group_by = _str(out, "group_by", shown, "agent")
    return Config(
        root=root,
        bib=path_of(_str(lib, "bib", shown, "library.bib")),
        annotations=path_of(_str(lib, "annotations", shown, "annotations")),
        max_bib_mb=_int(lib, "max_bib_mb", shown, 64),
        mailto=mailto,
        crossref_url=os.environ.get("CYTOBIB_CROSSREF_URL") or _str(cref, "url", shown) or None,
        style=_str(out, "style", shown, "vancouver"),
        build_dir=path_of(_str(out, "build_dir", shown, "build")),
        reading_list_formats=_strs(out, "reading_list", shown, ("md", "html")),
        review_table_formats=_strs(out, "review_table", shown, ("md", "csv", "xlsx")),
        group_by=group_by if group_by not in ("", "none") else None,
        agents=_tables(data, "agents", "agent", shown),
        agents_file=path_of(agents_file) if agents_file else None,
        cancers=_tables(data, "cancers", "cancer", shown),
        cancers_file=path_of(cancers_file) if cancers_file else None,
        review_columns=_strs(review, "columns", shown, ()) or None,
        column_headings=_str_map(review, "headings", shown),
        path=cfg_path,
    )


def _toml_line(message: str) -> int | None:
    import re

    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _table(data: Mapping[str, Any], name: str, shown: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table.", where=Where(shown), hint=f"Write [{name}].")
    return value


def _tables(
    data: Mapping[str, Any], name: str, singular: str, shown: str
) -> tuple[Mapping[str, Any], ...]:
    """``[[agents]]``/``[[cancers]]``: the project's additions to a vocabulary."""
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(
            f"[[{name}]] must be a list of tables.",
            where=Where(shown),
            hint=f'Write each {singular} as a [[{name}]] table with id = "..." and label = "...".',
        )
    return tuple(value)


def _str(table: Mapping[str, Any], name: str, shown: str, default: str = "") -> str:
    value = table.get(name, default)
    if not isinstance(value, str):
        raise ConfigError(
            f"'{name}' must be a string, not {type(value).__name__}.",
            where=Where(shown),
            hint=f'Write {name} = "...".',
        )
    return value


def _int(table: Mapping[str, Any], name: str, shown: str, default: int) -> int:
    value = table.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(
            f"'{name}' must be a positive whole number.", where=Where(shown), hint=f"{name} = 64"
        )
    return value


def _strs(
    table: Mapping[str, Any], name: str, shown: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = table.get(name, list(default))
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"'{name}' must be a list of strings.", where=Where(shown), hint=f'{name} = ["md"]'
        )
    return tuple(value)


def _str_map(table: Mapping[str, Any], name: str, shown: str) -> Mapping[str, str]:
    value = table.get(name, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(
            f"'{name}' must be a table of strings.", where=Where(shown), hint=f"[{name}]"
        )
    return dict(value)
