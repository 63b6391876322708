"""Exporters: records -> BibTeX, BibLaTeX, CSL-JSON or RIS text, with notes and tags intact.

An exporter only serialises; what goes in (which records, how much of each annotation, which
tag facets) is decided here, once, for every format:

* :class:`ExportOptions` holds the ``--notes`` level and the ``--tags`` facets;
* :func:`record_tags` turns an annotation into facet-prefixed tags (``agent: aldesleukin``,
  ``cancer: melanoma``, ``evidence: clinical-trial``, ``status: read``, plain tags);
* :func:`note_sections` turns it into titled sections (summary, key claims, caveats, agents),
  which :func:`plain_notes` and :func:`html_note` write as text or simple HTML.

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
import html
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cytobib.errors import UsageError
from cytobib.model import Annotation, Claim, Library, Record, UpdateStatus

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
_TAG_SEPARATORS = re.compile(r"[,;]+")
_WS = re.compile(r"\s+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean_tag(tag: str) -> str:
    """One tag as every target keeps it whole: no commas or semicolons, one line.

    Zotero splits BibTeX ``keywords`` on ``,`` and ``;`` (braces do not protect them) and RIS
    ``KW`` values on ``;`` and newlines, so those characters become spaces.
    """
    if "," in tag or ";" in tag:
        tag = _TAG_SEPARATORS.sub(" ", tag)
    return one_line(tag)


def update_tag(status: UpdateStatus) -> str:
    """``status: retracted``, ``status: corrected``, ``status: expression of concern``."""
    return "status: " + _UPDATE_TAGS.get(status.kind, status.kind)


def split_keywords(value: str) -> list[str]:
    """An entry's own ``keywords`` field (decoded text) as tags."""
    return [t for t in (clean_tag(p) for p in _TAG_SEPARATORS.split(value)) if t]


def record_tags(record: Record, facets: frozenset[Facet] = ALL_FACETS) -> list[str]:
    """The record's tags in export order, deduplicated ignoring case.

    Order: the update status (always), agents, cancers, evidence levels, reading status, then
    the annotation's own tags and the entry's ``keywords`` (both under the ``tags`` facet).
    """
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
    if Facet.TAGS in facets:
        out += split_keywords(record.entry.text("keywords"))
    seen: set[str] = set()
    result: list[str] = []
    for tag in out:
        cleaned = clean_tag(tag)
        folded = cleaned.casefold()
        if cleaned and folded not in seen:
            seen.add(folded)
            result.append(cleaned)
    return result


# --- notes ----------------------------------------------------------------------------------

SECTION_TITLES = {
    "summary": "Summary",
    "claims": "Key claims",
    "caveats": "Caveats",
    "agents": "Agents",
}
"""Section headings, shared by the writers here and the note parser in cytobib.importer."""


@dataclass(frozen=True)
class NoteSection:
    """One part of the notes: a status line, the summary, or a titled list."""

    kind: str  # "status" | "summary" | "claims" | "caveats" | "agents"
    text: str = ""
    items: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return SECTION_TITLES.get(self.kind, "")


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


def claim_text(claim: Claim) -> str:
    """``text [evidence: review; p. 12; numbers: ORR 15%] “quote”`` (parsed back on import)."""
    meta = []
    if claim.evidence:
        meta.append(f"evidence: {claim.evidence}")
    if claim.page:
        meta.append(f"p. {claim.page}")
    if claim.numbers:
        meta.append(f"numbers: {claim.numbers}")
    out = one_line(claim.text)
    if meta:
        out += " [" + one_line("; ".join(meta)) + "]"
    if claim.quote:
        out += " “" + one_line(claim.quote) + "”"
    return out


def note_sections(record: Record, level: NotesLevel) -> list[NoteSection]:
    """The notes of one record at ``level``; the status section comes first and always."""
    out: list[NoteSection] = []
    if record.update_status is not None:
        out.append(NoteSection("status", status_line(record.update_status)))
    ann: Annotation | None = record.annotation
    if ann is None or level is NotesLevel.NONE:
        return out
    if ann.summary.strip():
        out.append(NoteSection("summary", one_line(ann.summary)))
    if level is NotesLevel.SUMMARY:
        return out
    if ann.claims:
        out.append(NoteSection("claims", items=tuple(claim_text(c) for c in ann.claims)))
    if ann.caveats:
        out.append(NoteSection("caveats", items=tuple(one_line(c) for c in ann.caveats)))
    if ann.agents:
        items = tuple(one_line(a.describe(a.id, labelled=True)) for a in ann.agents)
        out.append(NoteSection("agents", items=items))
    return out


def plain_notes(sections: Iterable[NoteSection], *, labelled: bool) -> str:
    """The sections as lines of plain text (BibTeX ``annote``, CSL ``note``).

    With ``labelled`` the summary starts with ``Summary:`` and lists get a heading line and
    ``- `` items; without, only status and summary lines are written (the ``summary`` level,
    where the note is what an annotated bibliography prints).
    """
    lines: list[str] = []
    for section in sections:
        if section.kind in ("status",) or (section.kind == "summary" and not labelled):
            lines.append(section.text)
        elif section.kind == "summary":
            lines.append(f"{section.title}: {section.text}")
        elif labelled:
            lines.append(f"{section.title}:")
            lines.extend(f"- {item}" for item in section.items)
    return "\n".join(lines)


def html_note(section: NoteSection) -> str:
    """One section as a single line of simple HTML (a rich note in Zotero, one per RIS N1)."""

    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    if section.kind == "status":
        label, _, rest = section.text.partition(".")
        return f"<p><strong>{esc(label)}.</strong>{esc(rest)}</p>"
    if section.kind == "summary":
        return f"<h1>{esc(section.title)}</h1><p>{esc(section.text)}</p>"
    items = "".join(f"<li>{esc(item)}</li>" for item in section.items)
    return f"<h1>{esc(section.title)}</h1><ul>{items}</ul>"


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
    """An exported file: its text, the format that wrote it and how many records it holds."""

    text: str
    format: str
    count: int


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
    """
    exporter = find_exporter(to, path=path)
    records = select(library, where, vocabulary)
    text = exporter.render(records, options or ExportOptions())
    return ExportResult(text, exporter.name, len(records))


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
    "NoteSection",
    "NotesLevel",
    "available",
    "export",
    "export_library",
    "find_exporter",
    "html_note",
    "note_sections",
    "parse_facets",
    "plain_notes",
    "record_tags",
    "select",
]
