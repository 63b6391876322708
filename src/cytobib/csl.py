"""Record -> CSL-JSON item: the input of the citation engines and of the CSL-JSON export.

Follows the CSL-JSON schema (citation-style-language/schema, csl-data.json). Text is decoded
from LaTeX to Unicode; names are split; ``issued`` uses date-parts.
"""

from __future__ import annotations

import re
from typing import Any

from cytobib import latex
from cytobib.model import Person, Record

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
    "pmid": "PMID",
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


def to_csl(record: Record, *, note: str | None = None, keywords: bool = False) -> dict[str, Any]:
    """A CSL-JSON item for the record; ``note`` (e.g. the summary) lands in Zotero's Extra."""
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
    authors = [person(p) for p in entry.authors if p.family != "others"]
    if authors:
        item["author"] = authors
    editors = [person(p) for p in entry.editors if p.family != "others"]
    if editors:
        item["editor"] = editors
    container = text("journal") or text("journaltitle") or text("booktitle")
    if container:
        item["container-title"] = container
    short = text("shortjournal") or text("journalabbrev") or text("journal-iso")
    if short:
        item["container-title-short"] = short
    if entry.year:
        parts = [entry.year]
        if entry.month:
            parts.append(entry.month)
        item["issued"] = {"date-parts": [parts]}
    pages = text("pages")
    if pages:
        item["page"] = _DASHES.sub("–", pages)
    if entry.doi:
        item["DOI"] = entry.doi
    url = fields.get("url")
    if url:
        item["URL"] = latex.verbatim(url)
    for bib_name, csl_name in _TEXT_FIELDS.items():
        if csl_name not in item:
            value = text(bib_name)
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
