"""RIS export: the format that carries notes and tags into Zotero, EndNote, Covidence, Rayyan.

Layout follows the RIS specification (Research Information Systems, 2011 revision) as Zotero's
RIS translator reads it: every line is ``TAG  - value`` (two capitals, two spaces, hyphen,
space), lines end in CRLF, a record starts with ``TY`` and ends with ``ER  - `` and a blank
line. No value spans lines: newlines, tabs and other separators inside a value become spaces,
so a hostile abstract containing "\\nER  - " cannot end a record early or inject a tag.

Mapping (Zotero ``RIS.js``): ``T2`` is the journal (``publicationTitle``) or the book or
conference; ``J2`` and ``JO`` both hold the journal abbreviation, written only when the entry
has one, because Zotero reads ``JO`` as the abbreviation and turns a second, different
journal value into a stray note. The citation key, PMID and PMCID go to ``M2`` as
``Citation Key: …``, ``PMID: …``, ``PMCID: …`` lines, which Zotero keeps in Extra (and its
BibTeX export writes back as the entry key, ``pmid`` and ``pmcid``); the entry's own note
follows them there. ``ST`` is the short title, ``Y2`` the access date, ``L1`` a file link.
cytobib's note on the work (:mod:`cytobib.zotero_note`) is one ``N1`` of HTML, which Zotero keeps
byte for byte as a rich child note; tags become one ``KW`` line each, whole (``Muscle,
Skeletal``), with facet prefixes (``agent: aldesleukin``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence

from cytobib import zotero_note
from cytobib.exports import (
    ExportOptions,
    one_line,
    record_status_line,
    record_tags,
    summary_note,
    work_note,
)
from cytobib.exports.bibtex import date_parts, iso_date, verbatim
from cytobib.model import Entry, Person, Record

NEWLINE = "\r\n"
END = "ER  - "

# BibTeX/BibLaTeX type -> RIS TY.
RIS_TYPES = {
    "article": "JOUR",
    "book": "BOOK",
    "mvbook": "BOOK",
    "collection": "EDBOOK",
    "booklet": "PAMP",
    "inbook": "CHAP",
    "incollection": "CHAP",
    "bookinbook": "CHAP",
    "inproceedings": "CPAPER",
    "conference": "CPAPER",
    "proceedings": "CONF",
    "techreport": "RPRT",
    "report": "RPRT",
    "manual": "RPRT",
    "phdthesis": "THES",
    "mastersthesis": "THES",
    "thesis": "THES",
    "unpublished": "UNPB",
    "online": "ELEC",
    "www": "ELEC",
    "electronic": "ELEC",
    "webpage": "ELEC",
    "dataset": "DATA",
    "software": "COMP",
    "patent": "PAT",
    "misc": "GEN",
}

_PAGE_RANGE = re.compile(r"^\s*([^\s–—-]+)\s*[–—-]+\s*([^\s–—-]+)\s*$")


def tag_line(tag: str, value: str) -> str | None:
    """``TAG  - value`` or None for an empty value; the value is forced onto one line."""
    value = one_line(value)
    return f"{tag}  - {value}" if value else None


def ris_name(p: Person) -> str:
    """``Family, Given`` (``Family, Given, Jr``); organisations as one unsplit name."""
    if p.corporate:
        return p.family
    parts = [p.last]
    if p.given or p.jr:
        parts.append(p.given)
    if p.jr:
        parts.append(p.jr)
    return ", ".join(parts)


def ris_type(entry: Entry) -> str:
    return RIS_TYPES.get(entry.type.lower(), "GEN")


def _pages(entry: Entry) -> tuple[str, str]:
    pages = entry.text("pages")
    match = _PAGE_RANGE.match(pages)
    return (match.group(1), match.group(2)) if match else (pages, "")


def _fields(record: Record, options: ExportOptions) -> Iterator[tuple[str, str]]:
    e = record.entry
    ty = ris_type(e)
    yield "TY", ty
    yield "ID", e.key
    for p in e.authors:
        if p.family != "others":
            yield "AU", ris_name(p)
    for p in e.editors:
        if p.family != "others":
            yield "A2", ris_name(p)
    yield "TI", e.title
    yield "ST", e.text("shorttitle")
    journal = e.text("journal") or e.text("journaltitle")
    short = e.text("shortjournal") or e.text("journalabbrev") or e.text("journal-iso")
    if ty in ("JOUR", "GEN", "ELEC"):
        yield "T2", journal
    elif ty in ("CHAP", "CPAPER"):
        yield "T2", e.text("booktitle") or journal
        yield "T3", e.text("series")
    else:
        yield "T2", e.text("series")
    if short:
        yield "J2", short
        yield "JO", short
    _, month, day = date_parts(e)
    yield "PY", str(e.year) if e.year else e.text("year")
    if e.year and month:
        yield "DA", f"{e.year}/{month:02d}/{day:02d}/" if day else f"{e.year}/{month:02d}//"
    yield "VL", e.text("volume")
    number = e.text("number") or e.text("issue")
    yield "IS", "" if ty == "RPRT" else number  # a report's number is its SN (Zotero)
    start, end = _pages(e)
    yield "SP", start
    yield "EP", end
    if ty == "THES":
        yield "PB", e.text("school") or e.text("institution") or e.text("publisher")
        kind = e.type.lower()
        if kind == "mastersthesis":
            yield "M3", "Master's thesis"
        elif kind == "phdthesis":
            yield "M3", "PhD thesis"
        else:
            yield "M3", e.text("type")
    elif ty == "RPRT":
        yield "PB", e.text("institution") or e.text("publisher") or e.text("organization")
        yield "M3", e.text("type")
    else:
        yield "PB", e.text("publisher") or e.text("organization")
    yield "CY", e.text("address") or e.text("location")
    yield "ET", e.text("edition")
    issn, isbn = e.text("issn"), e.text("isbn")
    if ty == "RPRT":
        yield "SN", number or isbn or issn
    elif ty in ("JOUR", "GEN"):
        yield "SN", issn or isbn
    else:
        yield "SN", isbn or issn
    yield "DO", verbatim(e.get("doi"), doi=True, encode=False)
    yield "UR", verbatim(e.get("url"), encode=False)
    yield "Y2", iso_date(e.text("urldate")) or e.text("urldate")
    yield "LA", e.text("language")
    yield "L1", e.get("file")
    yield "AB", e.text("abstract")
    for tag in record_tags(record, options.facets):
        yield "KW", tag
    # Zotero's Extra: the identifiers it knows by these labels, then the entry's own note.
    yield "M2", f"Citation Key: {e.key}"
    pmid = e.text("pmid")
    if pmid.isdigit():
        yield "M2", f"PMID: {pmid}"
    yield "M2", f"PMCID: {e.text('pmcid')}" if e.text("pmcid") else ""
    yield "M2", e.text("note")
    yield "N1", _paragraph(record_status_line(record))
    note = work_note(record, options.notes)
    yield (
        "N1",
        zotero_note.to_html(note) if note else _paragraph(summary_note(record, options.notes)),
    )


def _paragraph(text: str) -> str:
    """Plain text as one HTML paragraph (Zotero would wrap it so, and a ``<`` in it stays text)."""
    return f"<p>{html.escape(text, quote=False)}</p>" if text.strip() else ""


def render_record(record: Record, options: ExportOptions) -> str:
    """One RIS record, ``TY`` to ``ER``, CRLF line endings, followed by a blank line."""
    lines = [line for tag, value in _fields(record, options) if (line := tag_line(tag, value))]
    lines.append(END)
    return NEWLINE.join(lines) + NEWLINE + NEWLINE


class RISExporter:
    """Records -> a RIS file (UTF-8 without BOM, CRLF)."""

    name = "ris"
    aliases: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = (".ris",)
    description = "RIS for Zotero, EndNote, Covidence, Rayyan: notes as HTML N1, tags as KW."

    def render(self, records: Sequence[Record], options: ExportOptions) -> str:
        return "".join(render_record(r, options) for r in records)
