"""BibLaTeX export: a file biber reads without a warning, even with ``--validate-datamodel``.

Same values as the BibTeX export (UTF-8 or ``--ascii``, protected titles, rebuilt names,
verbatim DOIs and URLs), written with BibLaTeX's data model: ``journaltitle``, ``date`` (ISO
8601 from year/month), ``location``, ``@report``/``@thesis`` with a ``type`` key, the PMID as
``eprinttype = {pubmed}`` + ``eprint`` (biber rejects a ``pmid`` field; Zotero reads the pair
as a PMID). The model has no PMCID field: it goes to ``note`` as ``PMCID: PMC...``, the one
form Zotero's BibTeX import files as the PMCID (and that NIH asks citations to show); the
entry's own note then moves to ``addendum``, after a retraction line. cytobib's note on the work
is ``annote``, which biblatex maps to ``annotation`` (annotated-bibliography styles print it)
and Zotero imports as a note (it ignores ``annotation``). Fields the model does not allow for the
entry type are left out (``publisher`` on ``@article``).
"""

from __future__ import annotations

import re

from cytobib.exports import ExportOptions
from cytobib.exports.bibtex import (
    BibTeXExporter,
    Values,
    date_parts,
    iso_date,
    pmid,
    render_fields,
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

# Fields biblatex's data model does not allow for some types (blx-dm.def, biblatex 3.x):
# field -> those types (biber --validate-datamodel warns about each).
_NOT_FOR = {
    "author": "collection mvproceedings periodical proceedings reference",
    "editor": "patent report thesis unpublished",
    "booktitle": (
        "article book booklet collection dataset manual misc mvbook mvcollection "
        "mvproceedings mvreference online patent periodical proceedings reference report "
        "software thesis unpublished"
    ),
    "journaltitle": (
        "book bookinbook booklet collection dataset inbook incollection inproceedings "
        "inreference manual misc mvbook mvcollection mvproceedings mvreference online patent "
        "periodical proceedings reference report software suppbook suppcollection thesis "
        "unpublished"
    ),
    "volume": (
        "booklet dataset manual misc mvproceedings online patent report software thesis unpublished"
    ),
    "number": "booklet misc online software thesis unpublished",
    "pages": (
        "dataset misc mvbook mvcollection mvproceedings mvreference online patent periodical "
        "software unpublished"
    ),
    "chapter": (
        "article dataset misc mvbook mvcollection mvproceedings mvreference online patent "
        "periodical software unpublished"
    ),
    "edition": (
        "article booklet inproceedings misc mvproceedings online patent periodical "
        "proceedings report software thesis unpublished"
    ),
    "series": (
        "booklet misc mvcollection mvreference online patent report software thesis unpublished"
    ),
    "publisher": "article booklet misc online patent periodical report software thesis unpublished",
    "location": "article online periodical",
    "institution": (
        "article book bookinbook booklet collection dataset inbook incollection inproceedings "
        "inreference manual misc mvbook mvcollection mvproceedings mvreference online patent "
        "periodical proceedings reference software suppbook suppcollection unpublished"
    ),
    "organization": (
        "article book bookinbook booklet collection inbook incollection inreference mvbook "
        "mvcollection mvreference patent periodical reference report suppbook suppcollection "
        "thesis unpublished"
    ),
    "howpublished": (
        "article book bookinbook collection dataset inbook incollection inproceedings "
        "inreference manual mvbook mvcollection mvproceedings mvreference online patent "
        "periodical proceedings reference report suppbook suppcollection thesis"
    ),
    "type": (
        "article book bookinbook collection inbook incollection inproceedings inreference "
        "mvbook mvcollection mvproceedings mvreference online periodical proceedings "
        "reference suppbook suppcollection"
    ),
    "issn": (
        "book bookinbook booklet collection dataset inbook incollection inproceedings "
        "inreference manual misc mvbook mvcollection mvproceedings mvreference online patent "
        "proceedings reference report software suppbook suppcollection thesis unpublished"
    ),
    "isbn": (
        "article booklet dataset misc online patent periodical report software thesis unpublished"
    ),
    "language": "patent",
}
_BANNED = {name: frozenset(types.split()) for name, types in _NOT_FOR.items()}


_ISSN = re.compile(r"\b\d{4}-\d{3}[\dXx]\b")


def _issn(value: str) -> str:
    """The first ISSN of a value such as ``0003-1348 (Print) 0003-1348 (Linking)``, which
    biber validates as one ISSN; the value as it is when it holds none."""
    found = _ISSN.search(value)
    return found.group().upper() if found else value


class BibLaTeXExporter(BibTeXExporter):
    """Records -> a BibLaTeX file for biber."""

    name = "biblatex"
    aliases: tuple[str, ...] = ("biber",)
    suffixes: tuple[str, ...] = ()
    description = "BibLaTeX for biber: date, journaltitle, eprint (PubMed), notes in annote."
    label = "BibLaTeX"

    def biblatex_type(self, entry: Entry) -> tuple[str, str]:
        kind = entry.type.lower()
        if kind in _BIBLATEX_TYPES:
            return kind, ""
        return _TO_BIBLATEX.get(kind, ("misc", ""))

    def entry(self, record: Record, options: ExportOptions) -> str:
        e = record.entry
        v = Values(record, options)
        kind, type_key = self.biblatex_type(e)
        year, month, day = date_parts(e)
        date = ""
        if re.fullmatch(r"\d{4}", year):
            date = year + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")
            year = ""
        eprint, eprinttype = verbatim(e.get("eprint")), v.text("eprinttype")
        if not eprint and pmid(e):
            eprint, eprinttype = pmid(e), "pubmed"
        pmcid = v.text("pmcid")
        note, addendum = v.text("note"), v.status()
        if pmcid:
            note, addendum = f"PMCID: {pmcid}", ". ".join(p for p in (addendum, note) if p)
        fields = [
            ("author", v.names(e.authors)),
            ("editor", v.names(e.editors)),
            ("title", v.title()),
            ("shorttitle", v.title("shorttitle")),
            ("booktitle", v.title("booktitle")),
            ("journaltitle", v.first("journaltitle", "journal")),
            ("shortjournal", v.first("shortjournal", "journalabbrev", "journal-iso")),
            ("date", date),
            ("year", v.esc(year)),  # only when it is not a plain year (e.g. "in press")
            ("volume", v.text("volume")),
            ("number", v.first("number", "issue")),
            ("pages", v.pages()),
            ("chapter", v.text("chapter")),
            ("edition", v.text("edition")),
            ("series", v.text("series")),
            ("publisher", v.text("publisher")),
            ("location", v.first("location", "address")),
            ("institution", v.first("institution", "school")),
            ("organization", v.text("organization")),
            ("howpublished", v.text("howpublished")),
            ("type", type_key or v.esc(e.text("type"))),
            ("note", note),
            ("addendum", addendum),  # printed last, where a retraction belongs
            ("doi", verbatim(e.get("doi"), doi=True)),
            ("eprint", eprint),
            ("eprinttype", eprinttype),
            ("url", verbatim(e.get("url"))),
            ("urldate", iso_date(e.text("urldate"))),
            ("issn", _issn(v.text("issn"))),
            ("isbn", v.text("isbn")),
            ("language", v.text("language")),
            ("abstract", v.text("abstract")),
            ("keywords", v.keywords()),
            ("file", v.file()),
            ("annote", v.annote()),
        ]
        kept = [(n, x) for n, x in fields if kind not in _BANNED.get(n, ())]
        return render_fields(kind, e.key, kept)
