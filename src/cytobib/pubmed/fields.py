"""From a PubMed record to BibTeX fields: plain text through :func:`cytobib.latex.escape`.

=============  =============================================================================
Field          From
=============  =============================================================================
author         ``AuthorList``: ``Family, Given`` (``ForeName``, else ``Initials``), a suffix as
               ``Family, Jr, Given``; a ``CollectiveName`` braced as one name
editor         the book's editors (books and chapters)
title          ``ArticleTitle`` (a trailing period dropped; acronyms, Greek and mixed case
               braced as for Crossref's titles); else ``VernacularTitle``
journal        ``Journal/Title``                                            (article)
shortjournal   ``ISOAbbreviation`` without periods ("J. Clin. Oncol." -> "J Clin Oncol"),
               else ``MedlineTA``                                           (article)
booktitle      ``Book/BookTitle``                                     (a book chapter)
year, month    ``PubDate`` (Year/Month, or the first of a ``MedlineDate``)
volume/number  ``Volume``/``Issue``
pages          see :func:`cytobib.pubmed.records.expand_pages` (``529--542``)
doi            the record's own ``ArticleIdList``, else a valid ``ELocationID``
pmid, pmcid    ``PMID``; ``ArticleId IdType="pmc"``
issn           ``Journal/ISSN`` values, comma-separated
publisher      the book's ``PublisherName``
abstract       ``AbstractText`` paragraphs, labels run in ("METHODS: ...")
keywords       MeSH descriptors that are major topics (descriptor or a qualifier starred),
               comma-separated, a one-comma MeSH name turned round ("Carcinoma, Renal
               Cell" -> "Renal Cell Carcinoma") and other commas dropped, since exports and
               Zotero split keywords at commas
=============  =============================================================================

``update-status`` comes from the record's own ``CommentsCorrections``: ``RetractionIn`` (or the
type "Retracted Publication") -> retracted, ``ExpressionOfConcernIn`` -> concern,
``ErratumIn`` -> corrected; the most severe wins, with the notice's DOI when its ``RefSource``
names one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cytobib import latex
from cytobib.crossref.markup import escape_latex, verbatim
from cytobib.doi import is_valid_doi, normalize_doi
from cytobib.model import UpdateStatus
from cytobib.pubmed.records import Author, PubMedRecord

__all__ = ["MappedRecord", "keywords_of", "map_record", "update_status_of"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DOI_IN_TEXT = re.compile(r"doi:\s*(10\.\d{4,9}/\S+?)\.?(?:\s|$)", re.IGNORECASE)


@dataclass(frozen=True)
class MappedRecord:
    """A PubMed record as BibTeX: entry type, LaTeX-safe ``fields``, and the first author's
    family name and the plain title (for citation keys)."""

    pmid: str
    entry_type: str
    fields: dict[str, str]
    first_family: str | None = None
    plain_title: str = ""
    update_status: UpdateStatus | None = None
    doi: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _name(author: Author) -> str:
    if author.collective:
        return "{" + latex.escape(author.collective) + "}"

    def part(text: str) -> str:
        escaped = latex.escape(text)
        if "," in text or re.search(r"(?i)(^|\s)and(\s|$)", text):
            return "{" + escaped + "}"
        return escaped

    family = part(author.family)
    if author.suffix:
        return f"{family}, {part(author.suffix)}, {part(author.given)}"
    return f"{family}, {part(author.given)}" if author.given else family


def _names(people: tuple[Author, ...]) -> str:
    return " and ".join(_name(p) for p in people)


def _title(record: PubMedRecord) -> str:
    text = record.title or record.vernacular_title
    if text.startswith("[") and text.endswith("].") and text.count("[") == 1:
        text = text[1:-2]  # a translated title: "[Title in English]."
    if text.endswith(".") and not text.endswith("..."):
        text = text[:-1]
    return text.strip()


def _short_journal(record: PubMedRecord) -> str:
    iso = record.iso_abbreviation or record.medline_ta
    return re.sub(r"\s+", " ", iso.replace(".", " ")).strip()


def keywords_of(record: PubMedRecord) -> list[str]:
    """The MeSH major topics as keywords (see the module docstring)."""
    out: list[str] = []
    for heading in record.mesh:
        if not heading.major_topic:
            continue
        name = heading.descriptor
        parts = [p.strip() for p in name.split(",")]
        if len(parts) == 2 and all(parts):
            name = f"{parts[1]} {parts[0]}"
        else:
            name = " ".join(p for p in parts if p)
        if name not in out:
            out.append(name)
    return out


def update_status_of(record: PubMedRecord) -> UpdateStatus | None:
    """The most severe of the record's retraction, concern and erratum links."""
    order = (
        ("retracted", ("RetractionIn",)),
        ("concern", ("ExpressionOfConcernIn",)),
        ("corrected", ("ErratumIn",)),
    )
    for kind, link_kinds in order:
        links = record.linked(*link_kinds)
        if links or (kind == "retracted" and "Retracted Publication" in record.type_names):
            doi = None
            for link in links:
                found = _DOI_IN_TEXT.search(link.source + " ")
                if found and is_valid_doi(found.group(1)):
                    doi = normalize_doi(found.group(1))
                    break
            return UpdateStatus(kind, doi, "pubmed", None)
    return None


def map_record(record: PubMedRecord) -> MappedRecord:
    """The BibTeX entry a PubMed record makes (see the module docstring)."""
    if record.kind == "book":
        entry_type = "incollection" if record.title and record.book_title else "book"
    else:
        entry_type = "article"
    plain: dict[str, str] = {}
    fields: dict[str, str] = {}
    if record.authors:
        fields["author"] = _names(record.authors)
    if record.editors and entry_type != "article":
        fields["editor"] = _names(record.editors)
    title = _title(record) if entry_type != "book" else record.book_title
    if title:
        plain["title"] = title
        fields["title"] = latex.bibtex_title(title)
    if entry_type == "article":
        if record.journal:
            fields["journal"] = latex.escape(record.journal)
        short = _short_journal(record)
        if short:
            fields["shortjournal"] = latex.escape(short)
    elif entry_type == "incollection":
        fields["booktitle"] = latex.bibtex_title(record.book_title)
    if record.year:
        fields["year"] = str(record.year)
    if record.month:
        fields["month"] = _MONTHS[record.month - 1]
    for name, value in (("volume", record.volume), ("number", record.issue)):
        if value:
            fields[name] = latex.escape(value)
    if record.pages:
        fields["pages"] = escape_latex(record.pages)  # keeps the en dash "--" a dash
    doi = None
    if record.doi and is_valid_doi(record.doi):
        doi = normalize_doi(record.doi)
        fields["doi"] = verbatim(doi)
    fields["pmid"] = record.pmid
    if record.pmcid:
        fields["pmcid"] = record.pmcid
    if record.issn:
        fields["issn"] = latex.escape(", ".join(dict.fromkeys(record.issn)))
    if record.publisher:
        fields["publisher"] = latex.escape(record.publisher)
    if record.publisher_location:
        fields["address"] = latex.escape(record.publisher_location)
    if record.abstract_text:
        fields["abstract"] = latex.escape(record.abstract_text)
    keywords = keywords_of(record)
    if keywords:
        fields["keywords"] = latex.escape(", ".join(keywords))
    first = record.authors[0] if record.authors else None
    family = (first.family or first.collective) if first else None
    return MappedRecord(
        record.pmid,
        entry_type,
        fields,
        family or None,
        plain.get("title", ""),
        update_status_of(record),
        doi,
    )
