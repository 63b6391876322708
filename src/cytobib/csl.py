"""Record -> CSL-JSON item: the input of the citation engines and of the CSL-JSON export.

Follows the CSL-JSON schema (citation-style-language/schema, csl-data.json). Text is decoded
from LaTeX to Unicode; names are split; ``issued`` uses date-parts. Identifiers are read
where exports put them (a PubMed URL or a Zotero ``PMID:`` line is a PMID), because styles
such as NLM decide by them how to cite a journal article; the DOI keeps its case.
"""

from __future__ import annotations

import re
from typing import Any

from cytobib import extra, latex
from cytobib.model import Entry, Person, Record

# BibTeX/BibLaTeX entry type -> CSL type.
CSL_TYPES = {
    "article": "article-journal",
    "book": "book",
    "booklet": "pamphlet",
    "inbook": "chapter",
    "incollection": "chapter",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "proceedings": "book",
    "manual": "report",
    "mastersthesis": "thesis",
    "phdthesis": "thesis",
    "techreport": "report",
    "report": "report",
    "unpublished": "manuscript",
    "online": "webpage",
    "misc": "article",
    "dataset": "dataset",
    "software": "software",
}

# Simple field copies: BibTeX field -> CSL variable (decoded text).
_TEXT_FIELDS = {
    "volume": "volume",
    "number": "issue",
    "edition": "edition",
    "publisher": "publisher",
    "address": "publisher-place",
    "location": "publisher-place",
    "isbn": "ISBN",
    "issn": "ISSN",
    "pmid": "PMID",  # also from a PubMed URL or a Zotero line (identifiers())
    "pmcid": "PMCID",
    "chapter": "chapter-number",
    "series": "collection-title",
    "language": "language",
}


def person(p: Person) -> dict[str, str]:
    if p.corporate:
        return {"literal": p.family}
    out = {"family": p.family}
    if p.given:
        out["given"] = p.given
    if p.von:
        out["non-dropping-particle"] = p.von
    if p.jr:
        out["suffix"] = p.jr
    return out


_DASHES = re.compile(r"\s*[–—-]+\s*")

#: Fields that hold a journal's abbreviation, first found wins: biblatex and Zotero
#: (``shortjournal``), Zotero's own field name as some exporters spell it, Web of Science
#: (``journal-iso``), Scopus (``abbrev_source_title``).
JOURNAL_ABBREVIATION_FIELDS = (
    "shortjournal", "journalabbreviation", "journal-abbreviation", "journalabbrev",
    "journal-iso", "abbrev_source_title",
)  # fmt: skip

#: pandoc's citeproc (and pandoc's own BibTeX reader) reads a last name ``{"literal":
#: "others"}`` as a truncated list and prints the style's "et al."; citeproc-js and Zotero
#: would print an author called "others", so only the engine gets it (``et_al_marker``).
OTHERS = {"literal": "others"}

_PUBMED_URL = re.compile(
    r"^https?://(?:www\.)?(?:ncbi\.nlm\.nih\.gov/pubmed|pubmed\.ncbi\.nlm\.nih\.gov)/(\d+)/?$"
)
_PMC_URL = re.compile(
    r"^https?://(?:www\.ncbi\.nlm\.nih\.gov/pmc|pmc\.ncbi\.nlm\.nih\.gov)/articles/"
    r"(PMC\d+)/?$"
)


def journal_titles(entry: Entry) -> tuple[str, str]:
    """(full title, abbreviation) of the journal, "" where unknown.

    With ``fjournal`` (AMS and MathSciNet exports), ``journal`` is the abbreviation, as
    Zotero reads it.
    """
    full = entry.text("fjournal")
    short = next((entry.text(f) for f in JOURNAL_ABBREVIATION_FIELDS if entry.get(f)), "")
    journal = entry.text("journal") or entry.text("journaltitle") or entry.text("booktitle")
    if full:
        return full, short or journal
    return journal, short


def identifiers(entry: Entry) -> tuple[str, str]:
    """(PMID, PMCID) from the fields, else from biblatex's ``eprinttype = pubmed``, a Zotero
    ``PMID:`` line in ``note``, or a URL that is the work's PubMed or PMC record."""
    pmid, pmcid = entry.text("pmid").strip(), entry.text("pmcid").strip()
    if not pmid and entry.text("eprinttype").strip().lower() == "pubmed":
        pmid = entry.text("eprint").strip()
    if (not pmid or not pmcid) and entry.get("note"):
        data, _ = extra.split(entry.get("note"))  # by line: decoding folds the lines
        pmid = pmid or latex.to_text(data.get("pmid", ""))
        pmcid = pmcid or latex.to_text(data.get("pmcid", "") or data.get("texpmcid", ""))
    url = latex.verbatim(entry.get("url")) if entry.get("url") else ""
    if url and not pmid and (match := _PUBMED_URL.match(url)):
        pmid = match.group(1)
    if url and not pmcid and (match := _PMC_URL.match(url)):
        pmcid = match.group(1)
    return pmid, pmcid


_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$")


def _iso_date(value: str) -> list[int]:
    """``2023-01-04`` (biblatex and Zotero's ``urldate``) as CSL date-parts; [] otherwise."""
    match = _ISO_DATE.match(value.strip())
    if match is None:
        return []
    parts = [int(p) for p in match.groups() if p]
    month_ok = len(parts) < 2 or 1 <= parts[1] <= 12
    day_ok = len(parts) < 3 or 1 <= parts[2] <= 31
    if not (month_ok and day_ok):
        return []
    return parts


def to_csl(
    record: Record,
    *,
    note: str | None = None,
    keywords: bool = False,
    et_al_marker: bool = False,
) -> dict[str, Any]:
    """A CSL-JSON item for the record; ``note`` (e.g. the summary) lands in Zotero's Extra.

    ``et_al_marker`` ends a name list that ends in "and others" with :data:`OTHERS`, which
    only pandoc's citeproc understands: for the engine, not for exports.
    """
    entry = record.entry
    fields = entry.fields

    def text(name: str) -> str:  # Entry.text, without the method call for absent fields
        value = fields.get(name)
        return latex.to_text(value) if value else ""

    item: dict[str, Any] = {"id": entry.key, "type": CSL_TYPES.get(entry.type, "article")}
    if entry.type in ("phdthesis", "mastersthesis"):
        item["genre"] = "PhD thesis" if entry.type == "phdthesis" else "Master's thesis"
    if entry.title:
        item["title"] = entry.title
    for role, people in (("author", entry.authors), ("editor", entry.editors)):
        names = [person(p) for p in people if p.family != "others"]
        if names and et_al_marker and len(names) < len(people):
            names.append(dict(OTHERS))
        if names:
            item[role] = names
    container, short = journal_titles(entry)
    if container:
        item["container-title"] = container
    if short and short != container:
        item["container-title-short"] = short
    if entry.year:
        parts = [entry.year]
        if entry.month:
            parts.append(entry.month)
        item["issued"] = {"date-parts": [parts]}
    pages = text("pages")
    if pages:
        item["page"] = _DASHES.sub("–", pages)
    if entry.doi_as_written:
        item["DOI"] = entry.doi_as_written
    url = fields.get("url")
    if url:
        item["URL"] = latex.verbatim(url)
    accessed = _iso_date(text("urldate"))
    if accessed:
        item["accessed"] = {"date-parts": [accessed]}  # NLM: "[cited 2023 Jan 4]"
    pmid, pmcid = identifiers(entry)
    known = {"PMID": pmid, "PMCID": pmcid}
    for bib_name, csl_name in _TEXT_FIELDS.items():
        if csl_name not in item:
            value = known[csl_name] if csl_name in known else text(bib_name)
            if value:
                item[csl_name] = value
    if entry.type == "techreport":
        institution = text("institution")
        if institution:
            item.setdefault("publisher", institution)
    if entry.type in ("phdthesis", "mastersthesis"):
        school = text("school")
        if school:
            item.setdefault("publisher", school)
    abstract = text("abstract")
    if abstract:
        item["abstract"] = abstract
    if note:
        item["note"] = note
    if keywords and record.annotation is not None and record.annotation.tags:
        item["keyword"] = ", ".join(record.annotation.tags)
    return item
