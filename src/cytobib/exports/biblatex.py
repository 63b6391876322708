"""BibLaTeX export: a file biber reads without a warning, even with ``--validate-datamodel``.

Same values as the BibTeX export (ASCII LaTeX, protected titles, rebuilt names, verbatim DOIs
and URLs), written with BibLaTeX's data model: ``journaltitle``, ``date`` (ISO 8601 from
year/month), ``location``, ``@report``/``@thesis`` with a ``type`` key, the PMID as
``eprinttype = {pubmed}`` + ``eprint`` (biber rejects a ``pmid`` field), and the annotation in
``annotation``, the field BibLaTeX's annotated-bibliography styles print; a retraction goes
to ``addendum``, printed at the end of the entry. There is no field
for a PMCID in BibLaTeX's model, so it is left out.
"""

from __future__ import annotations

import re

from cytobib.exports import ExportOptions
from cytobib.exports.bibtex import (
    BibTeXExporter,
    annote_text,
    date_parts,
    esc,
    first,
    keywords,
    names,
    pmid,
    render_fields,
    status_text,
    text,
    title,
    verbatim,
)
from cytobib.model import Entry, Record

_BIBLATEX_TYPES = frozenset({
    "article", "book", "mvbook", "inbook", "bookinbook", "suppbook", "booklet", "collection",
    "mvcollection", "incollection", "suppcollection", "dataset", "manual", "misc", "online",
    "patent", "periodical", "suppperiodical", "proceedings", "mvproceedings", "inproceedings",
    "reference", "mvreference", "inreference", "report", "software", "thesis", "unpublished",
})  # fmt: skip

# BibTeX types -> (BibLaTeX type, value of `type`).
_TO_BIBLATEX = {
    "conference": ("inproceedings", ""),
    "techreport": ("report", "techreport"),
    "phdthesis": ("thesis", "phdthesis"),
    "mastersthesis": ("thesis", "mathesis"),
    "www": ("online", ""),
    "electronic": ("online", ""),
    "webpage": ("online", ""),
}


class BibLaTeXExporter(BibTeXExporter):
    """Records -> a BibLaTeX file for biber."""

    name = "biblatex"
    aliases: tuple[str, ...] = ("biber",)
    suffixes: tuple[str, ...] = ()
    description = "BibLaTeX for biber: date, journaltitle, eprint (PubMed), notes in annotation."
    label = "BibLaTeX"

    def biblatex_type(self, entry: Entry) -> tuple[str, str]:
        kind = entry.type.lower()
        if kind in _BIBLATEX_TYPES:
            return kind, ""
        return _TO_BIBLATEX.get(kind, ("misc", ""))

    def entry(self, record: Record, options: ExportOptions) -> str:
        e = record.entry
        kind, type_key = self.biblatex_type(e)
        year, month, day = date_parts(e)
        date = ""
        if re.fullmatch(r"\d{4}", year):
            date = year + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")
            year = ""
        eprint, eprinttype = verbatim(e.get("eprint")), text(e, "eprinttype")
        if not eprint and pmid(e):
            eprint, eprinttype = pmid(e), "pubmed"
        own_type = e.text("type")
        fields = [
            ("author", names(e.authors)),
            ("editor", names(e.editors)),
            ("title", title(e)),
            ("booktitle", title(e, "booktitle")),
            ("journaltitle", first(e, "journaltitle", "journal")),
            ("shortjournal", first(e, "shortjournal", "journalabbrev", "journal-iso")),
            ("date", date),
            ("year", year),  # only when it is not a plain year (e.g. "in press")
            ("volume", text(e, "volume")),
            ("number", first(e, "number", "issue")),
            ("pages", text(e, "pages")),
            ("chapter", text(e, "chapter")),
            ("edition", text(e, "edition")),
            ("series", text(e, "series")),
            ("publisher", text(e, "publisher")),
            ("location", first(e, "location", "address")),
            ("institution", first(e, "institution", "school")),
            ("organization", text(e, "organization")),
            ("howpublished", text(e, "howpublished")),
            ("type", type_key or esc(own_type)),
            ("note", text(e, "note")),
            ("addendum", status_text(record)),  # printed last, where a retraction belongs
            ("doi", verbatim(e.get("doi"), doi=True)),
            ("eprint", eprint),
            ("eprinttype", eprinttype),
            ("url", verbatim(e.get("url"))),
            ("urldate", _iso_date(e.text("urldate"))),
            ("issn", text(e, "issn")),
            ("isbn", text(e, "isbn")),
            ("abstract", text(e, "abstract")),
            ("keywords", keywords(record, options)),
            ("annotation", annote_text(record, options)),
        ]
        return render_fields(kind, e.key, fields)


def _iso_date(value: str) -> str:
    match = re.match(r"^\s*(\d{4}-\d{2}(?:-\d{2})?)", value)
    return match.group(1) if match else ""
