"""Reading a RIS file (Zotero, EndNote, PubMed, cytobib's own export) into works to import.

rispy parses the records; each becomes an :class:`Incoming` whose text is escaped for
BibTeX (titles protected as :func:`cytobib.latex.bibtex_title` does). ``N1`` notes (HTML or
plain text) are read as text, cytobib's note among them; ``KW`` lines are the tags (one each,
split on ``;`` and line breaks as Zotero splits them); ``M2`` lines are Zotero's Extra
(``Citation Key:``, ``PMID:``, ``PMCID:``, then the entry's note); ``ST``, ``Y2``, ``LA`` and
``L1`` are the short title, access date, language and file link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from cytobib import latex, zotero_note
from cytobib.errors import InputError
from cytobib.importer.incoming import MONTHS, Incoming, read_extra, repair_text, split_notes
from cytobib.model import Issue, Location, Severity

_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)

# RIS TY -> BibTeX type.
_FROM_RIS = {
    "JOUR": "article", "EJOUR": "article", "JFULL": "article", "ABST": "article",
    "MGZN": "article", "NEWS": "article", "INPR": "article",
    "BOOK": "book", "EBOOK": "book", "EDBOOK": "book", "CHAP": "incollection",
    "ECHAP": "incollection", "CONF": "proceedings", "CPAPER": "inproceedings",
    "RPRT": "techreport", "GOVDOC": "techreport", "STAND": "techreport", "THES": "phdthesis",
    "UNPB": "unpublished", "MANSCPT": "unpublished", "PAMP": "booklet", "ELEC": "online",
    "WEB": "online", "BLOG": "online", "DATA": "dataset", "COMP": "software", "PAT": "patent",
    "GEN": "misc",
}  # fmt: skip


def read_ris(text: str, path: str) -> tuple[list[Incoming], list[Issue]]:
    """Every record of a RIS text, and a warning when some could not be read.

    Raises:
        InputError: rispy cannot read the file at all.
    """
    import rispy

    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    try:
        records = rispy.loads(text, skip_unknown_tags=False, delimiter_tags_mapping={})
    except Exception as exc:  # rispy raises plain exceptions on malformed files
        raise InputError(
            f"{path} cannot be read as RIS: {exc}.",
            hint="Check that every record starts with 'TY  - ' and ends with 'ER  - '.",
        ) from None
    issues: list[Issue] = []
    if text.count("\nER  -") + text.startswith("ER  -") > len(records):
        issues.append(
            Issue(
                Severity.WARNING,
                "ris-unterminated",
                "Some RIS records could not be read (an ER line without a TY line).",
                location=Location(path),
            )
        )
    issues += [
        Issue(
            Severity.ERROR,
            "ris-unterminated",
            "This RIS record has no ER line before the next TY line or the end of the file (the "
            "file may be cut off): what it holds is not imported, or not all of it.",
            location=Location(path, line),
            hint="Export the file again, or end the record with a line 'ER  - '.",
        )
        for line in _unterminated(text)
    ]
    return [from_ris(r, f"{path}, record {i}") for i, r in enumerate(records, 1)], issues


def _unterminated(text: str) -> list[int]:
    """The lines of ``TY`` tags whose record ends (next ``TY`` or end of file) before an
    ``ER``: rispy drops such a record without a word."""
    lines, open_at = [], None
    for number, line in enumerate(text.split("\n"), 1):
        if re.match(r"^TY {1,2}- ", line):
            if open_at is not None:
                lines.append(open_at)
            open_at = number
        elif re.match(r"^ER {1,2}-", line):
            open_at = None
    return lines if open_at is None else [*lines, open_at]


class _Record:
    """A rispy record read one tag at a time, and the BibTeX fields built from it."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = record
        self.fields: dict[str, str] = {}

    def one(self, *names: str) -> str:
        """The first non-empty value among ``names`` (the first item of a list), stripped."""
        for name in names:
            value = self.record.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            if isinstance(value, str) and value.strip():
                return repair_text(value.strip())
        return ""

    def put(self, name: str, value: str, *, protect: bool = False) -> None:
        """Set a field from plain text (escaped; a title protected), unless it is empty."""
        if value:
            self.fields[name] = latex.bibtex_title(value) if protect else latex.escape(value)

    def texts(self, name: str) -> list[str]:
        """A list-valued tag's strings (notes, keywords)."""
        values = self.record.get(name) or []
        return [repair_text(v) for v in values if isinstance(v, str)]


def from_ris(record: Mapping[str, Any], where: str = "") -> Incoming:
    """A rispy record as a work to import: text escaped for BibTeX, titles protected."""
    rec = _Record(record)
    kind = _kind(rec)
    authors = list(record.get("authors") or []) + list(record.get("first_authors") or [])
    put_names(rec.fields, "author", authors)
    put_names(rec.fields, "editor", list(record.get("secondary_authors") or []))
    rec.put("title", rec.one("title", "primary_title"), protect=True)
    _container(rec, kind)
    _date(rec)
    rec.put("volume", rec.one("volume"))
    _pages(rec)
    _publisher(rec, kind)
    rec.put("address", rec.one("place_published"))
    rec.put("edition", rec.one("edition"))
    rec.put("language", rec.one("language"))
    rec.put("shorttitle", rec.one("short_title"), protect=True)
    rec.put("abstract", rec.one("abstract", "notes_abstract"))
    _access_date(rec)
    file = rec.one("file_attachments1")
    if file and latex.is_balanced(file, count_escaped=True):
        rec.fields["file"] = file
    _identifiers(rec)
    unknown = record.get("unknown_tag") or {}
    m2 = [line for value in unknown.get("M2", []) for line in str(value).split("\n")]
    extra = read_extra((line, line) for line in m2)
    for name, value in extra.fields.items():
        rec.fields.setdefault(name, latex.escape(value))
    if extra.note_lines:
        rec.put("note", "\n".join(extra.note_lines))
    notes = split_notes(_note_text(n) for n in [*rec.texts("notes"), *rec.texts("research_notes")])
    for name, value in notes.extra.fields.items():
        rec.fields.setdefault(name, latex.escape(value))
    tags = tuple(t.strip() for kw in record.get("keywords") or [] for t in _split_ris_tags(kw))
    key = rec.one("id") or extra.key or notes.extra.key
    return Incoming(key, kind, rec.fields, notes.free, tags, notes.cytobib, where=where)


def _note_text(note: str) -> str:
    """An ``N1`` as plain text: HTML (anything like a tag, as Zotero decides) converted."""
    return zotero_note.html_text(note) if zotero_note.looks_like_html(note) else note.strip()


def _access_date(rec: _Record) -> None:
    """``Y2`` (``2024/03/15/`` as Zotero writes it, or ISO) as an ISO ``urldate``."""
    value = rec.one("access_date")
    match = re.match(r"^\s*(\d{4})[/-](\d{1,2})?(?:[/-](\d{1,2}))?", value)
    if match:
        parts = [match.group(1)] + [f"{int(p):02d}" for p in match.groups()[1:] if p]
        rec.fields["urldate"] = "-".join(parts)
    elif value:
        rec.put("urldate", value)


def _kind(rec: _Record) -> str:
    """The BibTeX type of a record's ``TY`` (a master's thesis by its ``M3``)."""
    kind = _FROM_RIS.get(rec.one("type_of_reference").upper(), "misc")
    if kind == "phdthesis" and re.search(r"master", rec.one("type_of_work"), re.IGNORECASE):
        return "mastersthesis"
    return kind


def _container(rec: _Record, kind: str) -> None:
    """Journal and its abbreviation, a book's title, or a series."""
    container = rec.one("secondary_title", "alternate_title3", "journal_name")
    short = rec.one("alternate_title1", "alternate_title2")
    if not short and rec.one("journal_name") != container:
        short = rec.one("journal_name")  # Zotero and PubMed use JO for the abbreviation
    if short == container:
        short = ""
    if kind in ("article", "misc", "online"):
        rec.put("journal", container)
        rec.put("shortjournal", short)
    elif kind in ("incollection", "inproceedings"):
        rec.put("booktitle", container, protect=True)
        rec.put("series", rec.one("tertiary_title"))
    else:
        rec.put("series", container)


def _date(rec: _Record) -> None:
    """``year`` from ``PY``/``Y1``/``DA``; ``month`` from a ``YYYY/MM`` date."""
    year_text = rec.one("year", "publication_year", "date")
    year = re.search(r"\d{4}", year_text)
    if year:
        rec.fields["year"] = year.group()
    month = re.match(r"^\s*\d{4}/(\d{1,2})", rec.one("date") or year_text)
    if month and 1 <= int(month.group(1)) <= 12:
        rec.fields["month"] = MONTHS[int(month.group(1)) - 1]


def _pages(rec: _Record) -> None:
    start, end = rec.one("start_page"), rec.one("end_page")
    if start and end:
        rec.fields["pages"] = f"{latex.escape(start)}--{latex.escape(end)}"
    else:
        rec.put("pages", start or end)


def _publisher(rec: _Record, kind: str) -> None:
    """``PB`` as the school, institution or publisher; ``SN`` as report number, ISBN or ISSN."""
    publisher = rec.one("publisher")
    if kind in ("phdthesis", "mastersthesis"):
        rec.put("school", publisher)
        return
    if kind == "techreport":
        rec.put("institution", publisher)
        rec.put("number", rec.one("issn") or rec.one("number"))
        return
    rec.put("publisher", publisher)
    rec.put("number", rec.one("number"))
    sn = rec.one("issn")
    digits = re.sub(r"[^0-9Xx]", "", sn)
    if sn:
        rec.put("isbn" if len(digits) in (10, 13) else "issn", sn)


def _identifiers(rec: _Record) -> None:
    """DOI and URL verbatim (when their braces balance); a PMID from ``AN``, ``M2`` or a note."""
    doi = _DOI_PREFIX.sub("", rec.one("doi"))
    if doi and latex.is_balanced(doi):
        rec.fields["doi"] = doi
    url = rec.one("urls")
    if url and latex.is_balanced(url):
        rec.fields["url"] = url
    accession = re.sub(r"^\s*PMID:\s*", "", rec.one("accession_number"))
    if accession.isdigit():
        rec.fields["pmid"] = accession
    found = re.match(r"^\s*PMID:\s*(\d+)", rec.one("note"))
    if found:
        rec.fields.setdefault("pmid", found.group(1))


def _split_ris_tags(value: str) -> list[str]:
    return [t for t in re.split(r"[;\n]", value) if t.strip()]


# What RIS's third name part holds: Jr, Sr, II, III, IV ...
_SUFFIX = re.compile(r"^(?:Jr|Sr|Jnr|Snr|[IVX]{1,4}|\d(?:st|nd|rd|th))\.?$", re.IGNORECASE)


def put_names(fields: dict[str, str], name: str, people: Sequence[str]) -> None:
    """RIS names (``Family, Given[, Suffix]``; organisations without a comma) -> BibTeX."""
    out: list[str] = []
    for raw in people:
        parts = [p.strip() for p in raw.split(",")]
        if parts == ["others"] and out:  # Zotero's creator made of BibTeX's "and others"
            out.append("others")
            continue
        if len(parts) == 1 or not any(parts[1:]):
            out.append("{" + latex.escape(parts[0]) + "}")
            continue
        if len(parts) > 3 or (len(parts) == 3 and not _SUFFIX.match(parts[2])):
            # "Group, Place, and Partners": no suffix, so one organisation (split, its
            # "and" would make two people of it)
            out.append("{" + latex.escape(raw.strip()) + "}")
            continue
        family, given, *rest = parts
        suffix = ", ".join(r for r in rest if r)
        pieces = [latex.escape(family)] + ([latex.escape(suffix)] if suffix else [])
        out.append(", ".join([*pieces, latex.escape(given)]))
    if out:
        fields[name] = " and ".join(out)
