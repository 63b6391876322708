"""Where exporters are found: by name, alias or file suffix, built-ins first, then plug-ins.

Built-ins are listed in one literal table and imported only when chosen, so that ``cytobib
--help`` stays fast. Third-party packages add formats through the ``cytobib.exporters``
entry point group; the entry point's object is an :class:`~cytobib.exports.Exporter` class
(instantiated without arguments) or instance::

    [project.entry-points."cytobib.exporters"]
    endnote-xml = "cytobib_endnote:EndNoteXMLExporter"

A plug-in cannot replace a built-in: names, aliases and suffixes of built-ins win. Finding,
laziness and the policy for a broken plug-in are :class:`cytobib.registry.Registry`'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cytobib.errors import UnknownFormatError
from cytobib.registry import Builtin, Registry

if TYPE_CHECKING:
    from cytobib.exports import Exporter

ENTRY_POINT_GROUP = "cytobib.exporters"

FormatInfo = Builtin  # the name this table's rows have always had

BUILTINS: dict[str, Builtin] = {
    "bibtex": Builtin(
        "bibtex",
        "cytobib.exports.bibtex:BibTeXExporter",
        aliases=("bib",),
        suffixes=(".bib", ".bibtex"),
        description="BibTeX (UTF-8; --ascii for 8-bit bibtex): notes in annote, tags in keywords.",
    ),
    "biblatex": Builtin(
        "biblatex",
        "cytobib.exports.biblatex:BibLaTeXExporter",
        aliases=("biber",),
        suffixes=(),  # .bib means BibTeX; choose BibLaTeX with --to biblatex
        description="BibLaTeX for biber: date, journaltitle, eprint (PubMed), notes in annote.",
    ),
    "csl-json": Builtin(
        "csl-json",
        "cytobib.exports.csljson:CSLJSONExporter",
        aliases=("csl", "csljson", "json"),
        suffixes=(".json",),
        description="CSL-JSON for pandoc and citeproc; cytobib's note in note (Zotero's Extra).",
    ),
    "ris": Builtin(
        "ris",
        "cytobib.exports.ris:RISExporter",
        aliases=(),
        suffixes=(".ris",),
        description="RIS for Zotero, EndNote, Covidence, Rayyan: notes as HTML N1, tags as KW.",
    ),
}


def _instance(obj: Any) -> Exporter:
    from cytobib.exports import Exporter

    exporter = obj() if isinstance(obj, type) else obj
    if not isinstance(exporter, Exporter):
        raise TypeError(f"{obj!r} does not provide the Exporter interface")
    return exporter


def _describe(name: str, exporter: Exporter) -> Builtin:
    del name  # an exporter names itself
    return Builtin(
        exporter.name,
        f"{type(exporter).__module__}:{type(exporter).__qualname__}",
        tuple(exporter.aliases),
        tuple(exporter.suffixes),
        exporter.description,
    )


REGISTRY: Registry[Exporter] = Registry(
    group=ENTRY_POINT_GROUP,
    noun="export format",
    builtins=BUILTINS.values(),
    make=_instance,
    describe=_describe,
)


def known_names() -> list[str]:
    """Every format name, built-ins first (for messages and ``--help``)."""
    return REGISTRY.names()


def available() -> Iterator[tuple[str, tuple[str, ...], tuple[str, ...], str]]:
    """``(name, aliases, suffixes, description)`` of every format that loads."""
    for info in REGISTRY.available():
        yield info.name, info.aliases, info.suffixes, info.description


def find_exporter(
    name: str | None = None, *, path: str | os.PathLike[str] | None = None
) -> Exporter:
    """The exporter named ``name`` (name or alias), else the one for ``path``'s suffix.

    Raises:
        UnknownFormatError: no exporter has that name, or the suffix of ``path`` is not one
            any exporter claims; the message lists the known formats.
        PluginError: ``name`` is a plug-in's, and it fails to load.
    """
    if name:
        found = REGISTRY.get(name)
        if found is None:
            raise UnknownFormatError(
                f"There is no export format called '{name}'.",
                hint=f"Known formats: {', '.join(known_names())}.",
            )
        return found
    if path is not None:
        suffix = os.path.splitext(os.fspath(path))[1].lower()
        found = REGISTRY.for_suffix(suffix) if suffix else None
        if found is None:
            shown = suffix or "no suffix"
            raise UnknownFormatError(
                f"Cannot tell the export format from the file name '{os.fspath(path)}' ({shown}).",
                hint=f"Pass --to with one of: {', '.join(known_names())}.",
            )
        return found
    raise UnknownFormatError(
        "No export format was given.",
        hint=f"Pass --to FORMAT (one of {', '.join(known_names())}) or -o FILE with a known "
        "suffix (.bib, .json, .ris).",
    )
