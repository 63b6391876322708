"""BibTeX export: a clean file that pdflatex + bibtex read without a warning.

Every value is rebuilt from the decoded text and written back as ASCII LaTeX
(:func:`cytobib.latex.to_ascii_latex`): ``Pánek`` -> ``P{\\'a}nek``, ``IFN-λ`` ->
``IFN-{$\\lambda$}``, ``%`` and ``&`` escaped, braces balanced by construction. Titles are
protected with :func:`cytobib.latex.bibtex_title` (acronyms, Greek, single capitals), and
words the user had braced in library.bib stay braced. Names are rebuilt from the parsed
people ("Family, Given"; organisations in braces). DOIs and URLs are written verbatim
(percent-encoded where needed), never LaTeX-escaped: styles print them through ``\\url``.

Only fields of the classic BibTeX world are written (the standard fields plus the de-facto
``doi``, ``url``, ``issn``, ``isbn``, ``pmid``, ``pmcid``, ``abstract``, ``keywords``,
``annote``); BibLaTeX-only fields and types (``date``, ``journaltitle``, ``@online``...) are
mapped to their BibTeX forms or dropped. The annotation goes into one ``annote`` field (Zotero
makes it a child note; a repeated field would make bibtex warn), the tags into ``keywords``,
and a retraction into ``note``, which the standard styles print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from cytobib import latex
from cytobib.exports import (
    ExportOptions,
    NotesLevel,
    note_sections,
    plain_notes,
    record_tags,
)
from cytobib.model import Entry, Person, Record

_MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                 "dec")  # fmt: skip

_BIBTEX_TYPES = frozenset({
    "article", "book", "booklet", "inbook", "incollection", "inproceedings", "manual",
    "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished",
})  # fmt: skip

# BibLaTeX (and Zotero/JabRef) types -> the nearest classic BibTeX type.
_TO_BIBTEX = {
    "conference": "inproceedings", "report": "techreport", "thesis": "phdthesis",
    "online": "misc", "www": "misc", "electronic": "misc", "webpage": "misc",
    "dataset": "misc", "software": "misc", "patent": "misc", "periodical": "misc",
    "collection": "book", "mvbook": "book", "mvcollection": "book", "reference": "book",
    "mvreference": "book", "bookinbook": "inbook", "suppbook": "inbook",
    "inreference": "incollection", "suppcollection": "incollection",
    "mvproceedings": "proceedings",
}  # fmt: skip

# Values of `type` that are BibLaTeX localisation keys, not text to print.
_TYPE_KEYS = frozenset({"phdthesis", "mathesis", "candthesis", "techreport", "resreport",
                        "software", "datacd", "audiocd"})  # fmt: skip

_COMMAND_BEFORE = re.compile(r"\\[A-Za-z]+\s*$")
_AND_WORD = re.compile(r"\band\b", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_URL_WRAPPER = re.compile(r"^\\url\s*\{(.*)\}$", re.DOTALL)
_LATEX_ESCAPED = re.compile(r"\\([_%&#$~])")
# Printable ASCII except the characters that break a BibTeX value or a LaTeX argument.
_URL_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in "{}\\")

HEADER = (
    "% {what} written by cytobib: {count} entries (notes: {notes}; tags: {tags}).\n"
    "% Plain ASCII with LaTeX commands; regenerate it rather than editing it.\n"
)


# --- values ---------------------------------------------------------------------------------


_TEXT_SYMBOLS = {"<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_TEXT_SYMBOL_RE = re.compile(r"[<>|]")


def esc(value: str) -> str:
    """Plain text -> ASCII LaTeX; also ``<``, ``>`` and ``|``, which the default OT1 font
    typesets as ¡, ¿ and — ("p<0.05" in an abstract, HTML in a note)."""
    return _symbols(latex.escape(value, ascii_only=True))


def _symbols(value: str) -> str:
    return _TEXT_SYMBOL_RE.sub(lambda m: _TEXT_SYMBOLS[m.group()], value)


def text(entry: Entry, name: str) -> str:
    """A field decoded and re-encoded as ASCII LaTeX ('' when absent)."""
    return esc(entry.text(name))


def first(entry: Entry, *names: str) -> str:
    """The first of several fields that has a value, as ASCII LaTeX."""
    for name in names:
        value = text(entry, name)
        if value:
            return value
    return ""


def verbatim(raw: str, *, doi: bool = False, encode: bool = True) -> str:
    """A DOI or URL as styles expect it: no LaTeX escapes, no spaces, ASCII only.

    ``\\_`` and ``\\%`` written for LaTeX are undone and braces dropped; with ``encode``
    anything outside printable ASCII (and backslashes) is percent-encoded, so the value is the
    same string for bibtex's ``\\url``, biber's verbatim fields and a browser. Formats that are
    not LaTeX (RIS) pass ``encode=False``.
    """
    value = raw.strip()
    wrapped = _URL_WRAPPER.match(value)
    if wrapped:
        value = wrapped.group(1)
    value = value.replace(r"\textasciitilde{}", "~").replace(r"\textasciitilde", "~")
    value = _LATEX_ESCAPED.sub(r"\1", value).replace("{", "").replace("}", "")
    value = re.sub(r"\s+", "", value)
    if doi:
        value = _DOI_PREFIX.sub("", value)
    return quote(value, safe=_URL_SAFE) if encode else value


def pmid(entry: Entry) -> str:
    value = entry.text("pmid").strip()
    return value if value.isdigit() else ""


def _protect_part(part: str) -> str:
    """Brace a name part that contains the word 'and' (it would split the name list)."""
    return "{" + part + "}" if _AND_WORD.search(part) else part


def person(p: Person) -> str:
    """One name for a BibTeX name list: ``Family, Jr, Given``; organisations braced."""
    if p.corporate:
        return "others" if p.family == "others" else "{" + esc(p.family) + "}"
    last = esc(p.last)
    if not p.given and not p.jr and " " in p.last.strip() and not p.von:
        return "{" + last + "}"  # a family-only name of several words stays one name
    parts = [_protect_part(last)]
    if p.jr:
        parts.append(_protect_part(esc(p.jr)))
    if p.given or p.jr:
        parts.append(_protect_part(esc(p.given)))
    return ", ".join(parts)


def names(people: Sequence[Person]) -> str:
    return " and ".join(person(p) for p in people)


def _user_protected(raw: str) -> set[str]:
    """Words the user put in braces in a raw title (``{Kaposi}``), excluding ``{\\'e}``-style
    special characters and command arguments such as ``\\emph{...}``."""
    words: set[str] = set()
    depth = 0
    start = 0
    skip = False
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            i += 2  # an escaped brace or a command letter is not a group delimiter
            continue
        if ch == "{":
            if depth == 0:
                start = i + 1
                skip = bool(_COMMAND_BEFORE.search(raw[:i])) or raw.startswith("\\", i + 1)
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0 and not skip:
                for word in latex.to_text(raw[start:i]).split():
                    core = latex.word_core(word)[1]
                    if core:
                        words.add(core)
        i += 1
    return words


def title(entry: Entry, name: str = "title") -> str:
    """A title protected against the case changes of BibTeX styles.

    :func:`cytobib.latex.bibtex_title` decides what to brace (the same rule as for titles
    added from Crossref); words the user braced in library.bib are braced too.
    """
    decoded = entry.text(name)
    if not decoded:
        return ""
    protected = _user_protected(entry.get(name))
    return _symbols(latex.bibtex_title(decoded, ascii_only=True, protected=protected))


def date_parts(entry: Entry) -> tuple[str, int | None, int | None]:
    """(year as written, month, day) from ``year``/``month`` or an ISO ``date``."""
    year = entry.text("year")
    month = entry.month
    day = None
    iso = re.match(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", entry.text("date"))
    if iso:
        year = year or iso.group(1)
        if month is None and iso.group(2) and 1 <= int(iso.group(2)) <= 12:
            month = int(iso.group(2))
            if iso.group(3) and 1 <= int(iso.group(3)) <= 31:
                day = int(iso.group(3))
    return esc(year), month, day


def annote_text(record: Record, options: ExportOptions) -> str:
    """The annotation as ASCII LaTeX lines (the status line goes to ``note`` instead)."""
    sections = [s for s in note_sections(record, options.notes) if s.kind != "status"]
    plain = plain_notes(sections, labelled=options.notes is NotesLevel.FULL)
    lines = [esc(line) for line in plain.split("\n") if line]
    return "\n    ".join(lines)


def status_text(record: Record) -> str:
    """The retraction or correction line as ASCII LaTeX ('' for a work without one)."""
    status = note_sections(record, NotesLevel.NONE)
    return esc(status[0].text) if status else ""


def note_text(record: Record) -> str:
    """The entry's ``note``, led by the retraction or correction line when there is one."""
    own = text(record.entry, "note")
    line = status_text(record)
    if not line:
        return own
    return f"{line}. {own}" if own else line


def keywords(record: Record, options: ExportOptions) -> str:
    return esc(", ".join(record_tags(record, options.facets)))


# `{\'\i}` (accent over a dotless i, as to_ascii_latex writes it) is decoded by biber and
# pandoc to "ı" plus a combining accent, which pdflatex cannot typeset; `{\'i}` decodes to the
# precomposed "í", and LaTeX's OT1 and T1 encodings typeset `\'i` as `\'\i` anyway.
_ACCENT_DOTLESS = re.compile(r"(\\[`'^\"~=.])\\i(?![A-Za-z])")
_ACCENT_ARG_DOTLESS = re.compile(r"(\\[uvHcdbkrt]\{)\\i\}")


def _dotted_i(text: str) -> str:
    return _ACCENT_ARG_DOTLESS.sub(r"\1i}", _ACCENT_DOTLESS.sub(r"\1i", text))


def balanced(value: str) -> str:
    """A value every reader delimits the same way.

    Text braces arrive escaped (``\\{``), which bibtex still counts and bibtexparser does not;
    a lone one ("see {ref") would end the value early for one of them. Then the escaped braces
    are written as ``\\textbraceleft{}``/``\\textbraceright{}``, which neither counts.
    """
    if "\\{" not in value and "\\}" not in value:
        return value  # no escaped brace: the braces written here balance by construction
    if latex.is_balanced(value, count_escaped=True) and latex.is_balanced(value):
        return value
    return value.replace("\\{", r"\textbraceleft{}").replace("\\}", r"\textbraceright{}")


def render_fields(entry_type: str, key: str, fields: Sequence[tuple[str, str]]) -> str:
    """``@type{key,`` + one ``name = {value},`` line per non-empty field + ``}``.

    Values are balanced (:func:`balanced`); only ``month`` is written as a bare macro.
    """
    kept = [(n, balanced(v)) for n, v in fields if v]
    width = max((len(n) for n, _ in kept), default=0)
    lines = [f"@{entry_type}{{{key},"]
    for name, value in kept:
        shown = value if name == "month" and value in _MONTH_MACROS else "{" + value + "}"
        lines.append(f"  {name.ljust(width)} = {shown},")
    lines.append("}")
    return _dotted_i("\n".join(lines))


# --- the exporter -----------------------------------------------------------------------------


class BibTeXExporter:
    """Records -> a BibTeX file for pdflatex + bibtex (and any BibTeX reader)."""

    name = "bibtex"
    aliases: tuple[str, ...] = ("bib",)
    suffixes: tuple[str, ...] = (".bib", ".bibtex")
    description = "BibTeX for pdflatex + bibtex: ASCII LaTeX, notes in annote, tags in keywords."
    label = "BibTeX"

    def render(self, records: Sequence[Record], options: ExportOptions) -> str:
        tags = ", ".join(sorted(f.value for f in options.facets)) or "none"
        head = HEADER.format(
            what=self.label, count=len(records), notes=options.notes.value, tags=tags
        )
        body = "\n\n".join(self.entry(r, options) for r in records)
        return head + ("\n" + body + "\n" if body else "")

    def entry_type(self, entry: Entry) -> str:
        kind = entry.type.lower()
        if kind in _BIBTEX_TYPES:
            return kind
        if kind == "thesis" and re.search(r"ma|master", entry.get("type"), re.IGNORECASE):
            return "mastersthesis"
        return _TO_BIBTEX.get(kind, "misc")

    def entry(self, record: Record, options: ExportOptions) -> str:
        e = record.entry
        kind = self.entry_type(e)
        year, month, _ = date_parts(e)
        thesis = kind in ("phdthesis", "mastersthesis")
        own_type = e.text("type")
        fields = [
            ("author", names(e.authors)),
            ("editor", names(e.editors)),
            ("title", title(e)),
            ("booktitle", title(e, "booktitle")),
            ("journal", first(e, "journal", "journaltitle")),
            ("year", year),
            ("month", _MONTH_MACROS[month - 1] if month else ""),
            ("volume", text(e, "volume")),
            ("number", first(e, "number", "issue")),
            ("pages", text(e, "pages")),
            ("chapter", text(e, "chapter")),
            ("edition", text(e, "edition")),
            ("series", text(e, "series")),
            ("publisher", text(e, "publisher")),
            ("address", first(e, "address", "location")),
            ("institution", "" if thesis else text(e, "institution")),
            ("school", first(e, "school", "institution") if thesis else ""),
            ("organization", text(e, "organization")),
            ("howpublished", text(e, "howpublished")),
            ("type", "" if own_type.lower() in _TYPE_KEYS else esc(own_type)),
            ("note", note_text(record)),
            ("doi", verbatim(e.get("doi"), doi=True)),
            ("url", verbatim(e.get("url"))),
            ("pmid", pmid(e)),
            ("pmcid", text(e, "pmcid")),
            ("issn", text(e, "issn")),
            ("isbn", text(e, "isbn")),
            ("abstract", text(e, "abstract")),
            ("keywords", keywords(record, options)),
            ("annote", annote_text(record, options)),
        ]
        return render_fields(kind, e.key, fields)
