"""The part of zotero/zotero-schema (schema v41) the emulated translators consult.

Only the item types a cytobib export can turn into (through the BibTeX, RIS and CSL type maps)
are listed, with the fields each allows: a field not valid for its item type is dropped by
``itemToAPIJSON`` (zotero/utilities ``utilities_item.js``), which is how Zotero loses data a
format carries. Base-field aliases (``bookTitle`` is a ``publicationTitle``...) let the export
side read ``item.publicationTitle`` as the translators do. The CSL maps are ``schema.json``'s
``csl`` block; the order of ``CSL_TEXT`` is the order ``itemToCSLJSON`` writes keys in, checked
against every recorded CSL-JSON export (see README.md for what is inferred).
"""

from __future__ import annotations

_COMMON_TAIL = ["shortTitle", "url", "accessDate", "archive", "archiveLocation",
                "libraryCatalog", "callNumber", "rights", "extra", "citationKey"]  # fmt: skip

ITEM_FIELDS: dict[str, list[str]] = {
    "journalArticle": ["title", "abstractNote", "publicationTitle", "volume", "issue", "pages",
                       "date", "series", "seriesTitle", "seriesText", "journalAbbreviation",
                       "language", "DOI", "ISSN", "PMID", "PMCID", *_COMMON_TAIL],
    "magazineArticle": ["title", "abstractNote", "publicationTitle", "volume", "issue", "date",
                        "pages", "language", "ISSN", *_COMMON_TAIL],
    "newspaperArticle": ["title", "abstractNote", "publicationTitle", "place", "edition",
                         "date", "section", "pages", "language", "ISSN", *_COMMON_TAIL],
    "book": ["title", "abstractNote", "series", "seriesNumber", "volume", "numberOfVolumes",
             "edition", "place", "publisher", "date", "numPages", "language", "ISBN", "DOI",
             *_COMMON_TAIL],
    "bookSection": ["title", "abstractNote", "bookTitle", "series", "seriesNumber", "volume",
                    "numberOfVolumes", "edition", "place", "publisher", "date", "pages",
                    "language", "ISBN", "DOI", *_COMMON_TAIL],
    "conferencePaper": ["title", "abstractNote", "date", "proceedingsTitle", "conferenceName",
                        "place", "publisher", "volume", "pages", "series", "language", "DOI",
                        "ISBN", *_COMMON_TAIL],
    "thesis": ["title", "abstractNote", "thesisType", "university", "place", "date", "numPages",
               "language", "DOI", *_COMMON_TAIL],
    "report": ["title", "abstractNote", "reportNumber", "reportType", "seriesTitle", "place",
               "institution", "date", "pages", "language", "DOI", "ISBN", *_COMMON_TAIL],
    "manuscript": ["title", "abstractNote", "manuscriptType", "place", "date", "numPages",
                   "language", *_COMMON_TAIL],
    "webpage": ["title", "abstractNote", "websiteTitle", "websiteType", "date", "shortTitle",
                "url", "accessDate", "language", "rights", "extra", "citationKey"],
    "document": ["title", "abstractNote", "publisher", "date", "language", *_COMMON_TAIL],
    "preprint": ["title", "abstractNote", "genre", "repository", "archiveID", "place", "date",
                 "series", "seriesNumber", "DOI", "language", *_COMMON_TAIL],
    "dataset": ["title", "abstractNote", "identifier", "type", "versionNumber", "date",
                "repository", "repositoryLocation", "format", "DOI", "language", *_COMMON_TAIL],
    "computerProgram": ["title", "abstractNote", "seriesTitle", "versionNumber", "date",
                        "system", "place", "company", "programmingLanguage", "ISBN",
                        *_COMMON_TAIL],
    "patent": ["title", "abstractNote", "place", "country", "assignee", "issuingAuthority",
               "patentNumber", "filingDate", "pages", "applicationNumber", "priorityNumbers",
               "issueDate", "references", "legalStatus", "language", *_COMMON_TAIL],
    "encyclopediaArticle": ["title", "abstractNote", "encyclopediaTitle", "series",
                            "seriesNumber", "volume", "numberOfVolumes", "edition", "place",
                            "publisher", "date", "pages", "ISBN", "language", *_COMMON_TAIL],
    "note": [],
}  # fmt: skip

# (item type, type-specific field) -> base field
BASE_FIELDS: dict[tuple[str, str], str] = {
    ("bookSection", "bookTitle"): "publicationTitle",
    ("conferencePaper", "proceedingsTitle"): "publicationTitle",
    ("webpage", "websiteTitle"): "publicationTitle",
    ("encyclopediaArticle", "encyclopediaTitle"): "publicationTitle",
    ("thesis", "university"): "publisher",
    ("thesis", "thesisType"): "type",
    ("report", "institution"): "publisher",
    ("report", "reportType"): "type",
    ("report", "reportNumber"): "number",
    ("manuscript", "manuscriptType"): "type",
    ("webpage", "websiteType"): "type",
    ("preprint", "genre"): "type",
    ("preprint", "repository"): "publisher",
    ("preprint", "archiveID"): "number",
    ("dataset", "repository"): "publisher",
    ("dataset", "repositoryLocation"): "place",
    ("dataset", "identifier"): "number",
    ("dataset", "format"): "medium",
    ("computerProgram", "company"): "publisher",
    ("patent", "issueDate"): "date",
    ("patent", "patentNumber"): "number",
    ("patent", "issuingAuthority"): "authority",
}

PRIMARY_CREATOR = {"computerProgram": "programmer", "patent": "inventor"}
CREATOR_TYPES = {"author", "editor", "translator", "contributor", "seriesEditor", "bookAuthor",
                 "reviewedAuthor", "programmer", "inventor"}  # fmt: skip


_CREATORS_FOR: dict[str, tuple[str, ...]] = {
    "journalArticle": ("author", "contributor", "editor", "translator", "reviewedAuthor"),
    "bookSection": ("author", "contributor", "editor", "bookAuthor", "translator",
                    "seriesEditor"),
    "book": ("author", "contributor", "editor", "translator", "seriesEditor"),
    "conferencePaper": ("author", "contributor", "editor", "translator", "seriesEditor"),
    "report": ("author", "contributor", "translator", "seriesEditor"),
    "document": ("author", "contributor", "editor", "translator", "reviewedAuthor"),
    "preprint": ("author", "contributor", "editor", "translator", "reviewedAuthor"),
    "encyclopediaArticle": ("author", "contributor", "editor", "translator", "seriesEditor"),
    "computerProgram": ("programmer", "contributor"),
    "patent": ("inventor", "attorneyAgent", "contributor"),
}  # fmt: skip


def creators_for(item_type: str) -> tuple[str, ...]:
    """Creator types valid for an item type (``Zotero.CreatorTypes.isValidForItemType``)."""
    return _CREATORS_FOR.get(item_type, ("author", "contributor", "translator"))


def type_field(item_type: str, field: str) -> str | None:
    """The field of ``item_type`` that stores ``field`` (itself or its type-specific alias)."""
    fields = ITEM_FIELDS.get(item_type, [])
    if field in fields:
        return field
    for (t, specific), base in BASE_FIELDS.items():
        if t == item_type and base == field:
            return specific
    return None


def is_valid(field: str, item_type: str) -> bool:
    """``Zotero.ItemFields.isValidForType``; unknown item types accept nothing."""
    return field in ITEM_FIELDS.get(item_type, [])


def base_of(item_type: str, field: str) -> str:
    return BASE_FIELDS.get((item_type, field), field)


def primary_creator(item_type: str) -> str:
    return PRIMARY_CREATOR.get(item_type, "author")


# --- CSL (schema.json "csl") ---------------------------------------------------------------------

CSL_TYPES: dict[str, str] = {
    "book": "book", "bookSection": "chapter", "journalArticle": "article-journal",
    "magazineArticle": "article-magazine", "newspaperArticle": "article-newspaper",
    "thesis": "thesis", "encyclopediaArticle": "entry-encyclopedia",
    "conferencePaper": "paper-conference", "manuscript": "manuscript", "webpage": "webpage",
    "report": "report", "patent": "patent", "computerProgram": "software",
    "document": "document", "preprint": "article", "dataset": "dataset",
}  # fmt: skip
CSL_TYPES_REVERSE: dict[str, str] = {}
for _zotero, _csl in CSL_TYPES.items():
    CSL_TYPES_REVERSE.setdefault(_csl, _zotero)

CSL_TEXT: dict[str, list[str]] = {
    "abstract": ["abstractNote"],
    "archive": ["archive"],
    "archive_location": ["archiveLocation"],
    "authority": ["court", "legislativeBody", "issuingAuthority"],
    "call-number": ["callNumber", "applicationNumber"],
    "chapter-number": ["session"],
    "citation-key": ["citationKey"],
    "collection-number": ["seriesNumber"],
    "collection-title": ["seriesTitle", "series"],
    "container-title": ["publicationTitle", "reporter", "code"],
    "container-title-short": ["journalAbbreviation"],
    "dimensions": ["artworkSize", "runningTime"],
    "DOI": ["DOI"],
    "edition": ["edition"],
    "event-place": ["place"],
    "event-title": ["meetingName", "conferenceName"],
    "genre": ["type", "programmingLanguage"],
    "ISBN": ["ISBN"],
    "ISSN": ["ISSN"],
    "issue": ["issue", "priorityNumbers"],
    "language": ["language"],
    "license": ["rights"],
    "medium": ["medium", "system"],
    "note": ["extra"],
    "number": ["number"],
    "number-of-pages": ["numPages"],
    "number-of-volumes": ["numberOfVolumes"],
    "page": ["pages"],
    "PMID": ["PMID"],
    "PMCID": ["PMCID"],
    "publisher": ["publisher"],
    "publisher-place": ["place"],
    "references": ["history", "references"],
    "section": ["section", "committee"],
    "shortTitle": ["shortTitle"],
    "source": ["libraryCatalog"],
    "status": ["legalStatus"],
    "title": ["title"],
    "title-short": ["shortTitle"],
    "URL": ["url"],
    "version": ["versionNumber"],
    "volume": ["volume", "codeNumber"],
}
# Zotero creator type -> CSL name variable, in schema order (the import creates creators in it).
CSL_NAMES: dict[str, str] = {
    "author": "author", "bookAuthor": "container-author", "editor": "editor",
    "reviewedAuthor": "reviewed-author", "seriesEditor": "collection-editor",
    "translator": "translator",
}  # fmt: skip
CSL_DATES: dict[str, str] = {"issued": "date", "accessed": "accessDate", "submitted": "filingDate"}
# Zotero field -> CSL variable (extraToCSL rewrites "Publication Title: x" lines with it).
CSL_FIELDS_REVERSE: dict[str, str] = {}
for _var, _fields in CSL_TEXT.items():
    for _field in _fields:
        CSL_FIELDS_REVERSE.setdefault(_field, _var)
