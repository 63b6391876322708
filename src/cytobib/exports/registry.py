"""Where exporters are found: by name, alias or file suffix, built-ins first, then plug-ins.

Built-ins are listed in one literal dict and imported only when chosen, so that ``cytobib
--help`` stays fast. Third-party packages add formats through the ``cytobib.exporters``
entry point group; the entry point's object is an :class:`~cytobib.exports.Exporter` class
(instantiated without arguments) or instance::

    [project.entry-points."cytobib.exporters"]
    endnote-xml = "cytobib_endnote:EndNoteXMLExporter"

A plug-in cannot replace a built-in: names, aliases and suffixes of built-ins win.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from cytobib.errors import UnknownFormatError

if TYPE_CHECKING:
    from cytobib.exports import Exporter

ENTRY_POINT_GROUP = "cytobib.exporters"


@dataclass(frozen=True)
class FormatInfo:
    """A built-in format: what it is called and where its exporter lives (``module:Class``)."""

    name: str
    target: str
    aliases: tuple[str, ...]
    suffixes: tuple[str, ...]
    description: str


BUILTINS: dict[str, FormatInfo] = {
    "bibtex": FormatInfo(
        "bibtex",
        "cytobib.exports.bibtex:BibTeXExporter",
        aliases=("bib",),
        suffixes=(".bib", ".bibtex"),
        description="BibTeX (UTF-8; --ascii for 8-bit bibtex): notes in annote, tags in keywords.",
    ),
    "biblatex": FormatInfo(
        "biblatex",
        "cytobib.exports.biblatex:BibLaTeXExporter",
        aliases=("biber",),
        suffixes=(),  # .bib means BibTeX; choose BibLaTeX with --to biblatex
        description="BibLaTeX for biber: date, journaltitle, eprint (PubMed), notes in annote.",
    ),
    "csl-json": FormatInfo(
        "csl-json",
        "cytobib.exports.csljson:CSLJSONExporter",
        aliases=("csl", "csljson", "json"),
        suffixes=(".json",),
        description="CSL-JSON for pandoc and citeproc; cytobib's note in note (Zotero's Extra).",
    ),
    "ris": FormatInfo(
        "ris",
        "cytobib.exports.ris:RISExporter",
        aliases=(),
        suffixes=(".ris",),
        description="RIS for Zotero, EndNote, Covidence, Rayyan: notes as HTML N1, tags as KW.",
    ),
}


def _load_builtin(info: FormatInfo) -> Exporter:
    module_name, _, attr = info.target.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    return _instance(obj)


def _instance(obj: Any) -> Exporter:
    from cytobib.exports import Exporter

    exporter = obj() if isinstance(obj, type) else obj
    if not isinstance(exporter, Exporter):
        raise TypeError(f"{obj!r} does not provide the Exporter interface")
    return exporter


@lru_cache(maxsize=1)
def _plugins() -> tuple[Exporter, ...]:
    """Exporters from installed packages; a plug-in that fails to load is skipped."""
    found: list[Exporter] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found.append(_instance(ep.load()))
        except Exception:  # noqa: S112 - a broken plug-in must not break the built-ins
            continue
    return tuple(found)


def _builtin_for(name: str) -> FormatInfo | None:
    wanted = name.strip().lower()
    for info in BUILTINS.values():
        if wanted == info.name or wanted in info.aliases:
            return info
    return None


def _builtin_for_suffix(suffix: str) -> FormatInfo | None:
    for info in BUILTINS.values():
        if suffix in info.suffixes:
            return info
    return None


def known_names() -> list[str]:
    """Every format name, built-ins first (for messages and ``--help``)."""
    names = list(BUILTINS)
    names += [p.name for p in _plugins() if p.name not in names]
    return names


def available() -> Iterator[tuple[str, tuple[str, ...], tuple[str, ...], str]]:
    """``(name, aliases, suffixes, description)`` of every format, without importing them."""
    for info in BUILTINS.values():
        yield info.name, info.aliases, info.suffixes, info.description
    for plugin in _plugins():
        if plugin.name not in BUILTINS:
            yield plugin.name, tuple(plugin.aliases), tuple(plugin.suffixes), plugin.description


def find_exporter(
    name: str | None = None, *, path: str | os.PathLike[str] | None = None
) -> Exporter:
    """The exporter named ``name`` (name or alias), else the one for ``path``'s suffix.

    Raises:
        UnknownFormatError: no exporter has that name, or the suffix of ``path`` is not one
            any exporter claims; the message lists the known formats.
    """
    if name:
        info = _builtin_for(name)
        if info is not None:
            return _load_builtin(info)
        wanted = name.strip().lower()
        for plugin in _plugins():
            if wanted == plugin.name.lower() or wanted in (a.lower() for a in plugin.aliases):
                return plugin
        raise UnknownFormatError(
            f"There is no export format called '{name}'.",
            hint=f"Known formats: {', '.join(known_names())}.",
        )
    if path is not None:
        suffix = os.path.splitext(os.fspath(path))[1].lower()
        info = _builtin_for_suffix(suffix)
        if info is not None:
            return _load_builtin(info)
        for plugin in _plugins():
            if suffix in ("." + s.lstrip(".").lower() for s in plugin.suffixes):
                return plugin
        shown = suffix or "no suffix"
        raise UnknownFormatError(
            f"Cannot tell the export format from the file name '{os.fspath(path)}' ({shown}).",
            hint=f"Pass --to with one of: {', '.join(known_names())}.",
        )
    raise UnknownFormatError(
        "No export format was given.",
        hint=f"Pass --to FORMAT (one of {', '.join(known_names())}) or -o FILE with a known "
        "suffix (.bib, .json, .ris).",
    )
