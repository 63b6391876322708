"""Exporters: records -> BibTeX, BibLaTeX, CSL-JSON or RIS text, with notes and tags intact.

An exporter only serialises; what goes in (which records, how much of each annotation, which
tag facets) is decided here, once, for every format:

* :class:`ExportOptions` holds the ``--notes`` level and the ``--tags`` facets;
* :func:`record_tags` turns an annotation into facet-prefixed tags (``agent: aldesleukin``,
  ``cancer: melanoma``, ``evidence: clinical-trial``, ``status: read``, plain tags) followed by
  the entry's own keywords, each tag whole and case kept;
* :func:`work_note` is cytobib's one note per work (:mod:`cytobib.zotero_note`), written as
  HTML (RIS) or lines (BibTeX ``annote``, CSL ``note``), which ``cytobib import`` rebuilds the
  annotation from after any Zotero route; :func:`summary_note` is the ``summary`` level.

A retraction, correction or expression of concern (:attr:`Record.update_status`) always
travels, whatever the options: as the tag ``status: retracted`` and as a note line, so that a
retracted work cannot leave the library unmarked. See docs/exports.md for what each target
(Zotero, EndNote, pdflatex+bibtex, biber, pandoc) makes of each format.

Use it as a library::

    from cytobib.exports import export
    text = export(project.library, "ris", ExportOptions(notes=NotesLevel.SUMMARY))
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cytobib import latex, zotero_note
from cytobib.errors import UsageError
from cytobib.model import Library, Record, UpdateStatus

if TYPE_CHECKING:
    from cytobib.vocabulary import Vocabulary


class NotesLevel(enum.StrEnum):
    """How much of the annotation goes into the notes of an export."""

    NONE = "none"
    SUMMARY = "summary"
    FULL = "full"


class Facet(enum.StrEnum):
    """A group of tags that ``--tags`` can switch on or off."""

    AGENTS = "agents"
    CANCERS = "cancers"
    EVIDENCE = "evidence"
    TAGS = "tags"
    STATUS = "status"


ALL_FACETS: frozenset[Facet] = frozenset(Facet)


def parse_facets(value: str | None) -> frozenset[Facet]:
    """``"agents,cancers"`` -> facets; ``None``/``"all"`` -> all; ``""``/``"none"`` -> none.

    Raises:
        UsageError: for a name that is not a facet (the message lists the known ones).
    """
    if value is None or value.strip().lower() == "all":
        return ALL_FACETS
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if names == ["none"] or not names:
        return frozenset()
    known = {f.value: f for f in Facet}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"Unknown tag facet {', '.join(map(repr, unknown))}.",
            hint=f"Use a comma-separated list of {', '.join(known)} (or 'all', 'none').",
        )
    return frozenset(known[n] for n in names)


@dataclass(frozen=True)
class ExportOptions:
    """What every exporter puts in besides the bibliographic data."""

    notes: NotesLevel = NotesLevel.FULL
    facets: frozenset[Facet] = field(default=ALL_FACETS)
    ascii: bool = False
    """BibTeX/BibLaTeX only: escape what every reader decodes alike, keep the rest UTF-8."""


@runtime_checkable
class Exporter(Protocol):
    """What a format (built-in or from the ``cytobib.exporters`` entry point group) provides.

    ``render`` returns the whole file as text, with the line endings the format wants (RIS
    uses CRLF); callers write it without newline translation.
    """

    name: str
    aliases: tuple[str, ...]
    suffixes: tuple[str, ...]
    description: str

    def render(self, records: Sequence[Record], options: ExportOptions) -> str:
        """The exported file for ``records``."""
        ...


# --- tags -----------------------------------------------------------------------------------

_UPDATE_TAGS = {"retracted": "retracted", "concern": "expression of concern"}
_SEPARATORS = re.compile(r"[,;]")
_WS = re.compile(r"\s+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean_tag(tag: str) -> str:
    """One tag on one line. Commas and case are kept: Zotero keeps ``Muscle, Skeletal`` and
    ``IL-2`` beside ``il-2`` as tags of their own (RIS ``KW``; the BibTeX export braces it)."""
    return one_line(tag)


def update_tag(status: UpdateStatus) -> str:
    """``status: retracted``, ``status: corrected``, ``status: expression of concern``."""
    return "status: " + _UPDATE_TAGS.get(status.kind, status.kind)


def split_keywords(value: str) -> list[str]:
    """An entry's own ``keywords`` field (as written: LaTeX) as tags, in order.

    Separated by ``,`` or ``;`` outside braces, as biblatex reads the field; a braced tag
    (``{Muscle, Skeletal}``) stays whole.
    """
    if not value.strip():
        return []
    if "{" not in value:  # no braced tag: a plain split
        return list(
            dict.fromkeys(
                t for t in (clean_tag(latex.to_text(p)) for p in _SEPARATORS.split(value)) if t
            )
        )
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif ch in ",;" and depth == 0:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    parts.append(value[start:])
    out: list[str] = []
    for part in parts:
        tag = clean_tag(latex.to_text(part))
        if tag and tag not in out:
            out.append(tag)
    return out


def entry_keywords(record: Record) -> list[str]:
    """The entry's own tags (its ``keywords`` field, or BibLaTeX's ``keyword``)."""
    fields = record.entry.fields
    return split_keywords(fields.get("keywords") or fields.get("keyword", ""))


def facet_tags(record: Record, facets: frozenset[Facet] = ALL_FACETS) -> list[str]:
    """The tags cytobib makes from the annotation (and the update status), in export order:
    update status (always), agents, cancers, evidence levels, reading status, own tags."""
    out: list[str] = []
    if record.update_status is not None:
        out.append(update_tag(record.update_status))
    ann = record.annotation
    if ann is not None:
        if Facet.AGENTS in facets:
            out += [f"agent: {a.id}" for a in ann.agents]
        if Facet.CANCERS in facets:
            out += [f"cancer: {c}" for c in ann.cancers]
        if Facet.EVIDENCE in facets:
            out += [f"evidence: {e}" for e in ann.evidence]
        if Facet.STATUS in facets and ann.status:
            out.append(f"status: {ann.status}")
        if Facet.TAGS in facets:
            out += list(ann.tags)
    return out


def record_tags(record: Record, facets: frozenset[Facet] = ALL_FACETS) -> list[str]:
    """The record's tags in export order: :func:`facet_tags`, then the entry's keywords (under
    the ``tags`` facet); a tag written twice is written once, case variants are kept."""
    out = facet_tags(record, facets)
    if Facet.TAGS in facets:
        out += entry_keywords(record)
    return list(dict.fromkeys(t for t in (clean_tag(t) for t in out) if t))


# --- notes ----------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Whitespace (newlines, tabs, Unicode line separators) collapsed to single spaces.

    Control characters become spaces and lone surrogates are dropped: no value an exporter
    writes can span lines, so none can end a RIS record early or start a BibTeX entry.
    """
    if text.isprintable():  # the common case: no control, line break or non-ASCII space
        return text.strip() if "  " not in text else _WS.sub(" ", text).strip()
    text = _SURROGATES.sub("", _CONTROLS.sub(" ", text))
    return _WS.sub(" ", text).strip()


def status_line(status: UpdateStatus) -> str:
    """``RETRACTED. Notice: doi:10.x/y; 2020-05-01; source: Crossref`` (no final period, which
    bibliography styles add themselves)."""
    details = []
    if status.notice_doi:
        details.append(f"doi:{status.notice_doi}")
    if status.date:
        details.append(status.date)
    if status.source:
        details.append(f"source: {status.source}")
    tail = f" Notice: {'; '.join(details)}" if details else ""
    return one_line(f"{status.label}.{tail}")


def record_status_line(record: Record) -> str:
    """The retraction or correction line of a record ('' for a work without one)."""
    return status_line(record.update_status) if record.update_status is not None else ""


def work_note(record: Record, level: NotesLevel) -> list[zotero_note.Block]:
    """cytobib's note on the work at ``level`` (:mod:`cytobib.zotero_note`): at ``full`` every
    work has one (marker, key, the annotation, the entry's keywords and own note, ``and
    others``), which ``cytobib import`` rebuilds the annotation from; otherwise none."""
    if level is not NotesLevel.FULL:
        return []
    return zotero_note.blocks(
        record, keywords=entry_keywords(record), entry_note=record.entry.text("note")
    )


def summary_note(record: Record, level: NotesLevel) -> str:
    """The note at the ``summary`` level: the summary alone, what an annotated bibliography
    prints ('' at the other levels or without a summary)."""
    ann = record.annotation
    if level is not NotesLevel.SUMMARY or ann is None:
        return ""
    return one_line(ann.summary)


# --- selection and the one-call API ---------------------------------------------------------


def select(
    records: Iterable[Record], where: str | None, vocabulary: Vocabulary | None
) -> list[Record]:
    """Records matching a ``--where`` expression (all when ``where`` is empty).

    Raises:
        FilterError: the expression does not parse (from :func:`cytobib.query.compile_filter`).
    """
    records = list(records)
    if not where or not where.strip():
        return records
    from cytobib.query import compile_filter
    from cytobib.vocabulary import build

    predicate = compile_filter(where, vocabulary or build())
    return [r for r in records if predicate(r)]


@dataclass(frozen=True)
class ExportResult:
    """An exported file: its text, the format that wrote it, how many records it holds, and
    what some reader will not get back exactly (sentences for the user)."""

    text: str
    format: str
    count: int
    warnings: tuple[str, ...] = ()


ASCII_FORMATS = ("bibtex", "biblatex")
"""The formats ``ExportOptions.ascii`` applies to (LaTeX text; the others are UTF-8)."""


def export_library(
    library: Library,
    *,
    to: str | None = None,
    path: str | os.PathLike[str] | None = None,
    where: str | None = None,
    vocabulary: Vocabulary | None = None,
    options: ExportOptions | None = None,
) -> ExportResult:
    """What ``cytobib export`` does: pick the format (``to``, else ``path``'s suffix), filter
    with ``where``, render.

    Raises:
        UnknownFormatError: no format by that name or suffix.
        FilterError: ``where`` does not parse.
        UsageError: ``ascii`` asked of a format that is not BibTeX or BibLaTeX.
    """
    exporter = find_exporter(to, path=path)
    options = options or ExportOptions()
    if options.ascii and exporter.name not in ASCII_FORMATS:
        from cytobib.errors import UsageError

        raise UsageError(
            f"--ascii applies to BibTeX and BibLaTeX exports, not {exporter.name}.",
            hint=f"{exporter.name} files are UTF-8, which every reader takes; drop --ascii.",
        )
    records = select(library, where, vocabulary)
    text = exporter.render(records, options)
    check = getattr(exporter, "warnings", None)  # optional: plug-ins need not have it
    warnings = tuple(check(text, options)) if callable(check) else ()
    return ExportResult(text, exporter.name, len(records), warnings)


def export(
    records: Iterable[Record],
    fmt: str | Exporter,
    options: ExportOptions | None = None,
) -> str:
    """Render ``records`` in a format given by name, alias or exporter object.

    Raises:
        UnknownFormatError: no exporter has that name.
    """
    exporter = find_exporter(fmt) if isinstance(fmt, str) else fmt
    return exporter.render(list(records), options or ExportOptions())


from cytobib.exports.registry import available, find_exporter  # noqa: E402

__all__ = [
    "ALL_FACETS",
    "ExportOptions",
    "ExportResult",
    "Exporter",
    "Facet",
    "NotesLevel",
    "available",
    "entry_keywords",
    "export",
    "export_library",
    "find_exporter",
    "parse_facets",
    "record_tags",
    "select",
    "summary_note",
    "work_note",
]
