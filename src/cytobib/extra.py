"""Zotero's Extra lines in a BibTeX ``note``: data for Zotero, never text to print.

Zotero exports its Extra field as ``note``. Besides what a person wrote there, Extra holds
lines of data in the form ``Name: value``: the item type an import could not map (``Type:
Journal Article``, 173 of the 1,445 entries of the Zotero export in ../shared/data), fields
the item type lacks (``Place: Edinburgh``, ``Number: 12``), identifiers (``PMID: 20726411``)
and Better BibTeX's ``tex.ids= key`` and ``tex.pmcid: PMC...`` lines. Zotero's citeproc
reads such lines as variables and prints none of them as a note; BibTeX styles print
``note`` whole. :func:`split` tells the two kinds of line apart.

A line counts as data when its name is ``tex.*`` (Better BibTeX), starts with ``_`` (fields
Zotero's BibTeX import kept, ``_eprint:``), or is a CSL variable or Zotero field name
(case, spaces, hyphens and underscores ignored) followed by ``:``. Free-text names that a
person might start a sentence with (note, abstract, title, keyword) are never taken.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# CSL 1.0.2 variables (citationstyles.org/documentation, "Appendix IV - Variables") and the
# Zotero field names Zotero's Extra parser maps onto them, normalised by _name(); the free-text
# variables are left out on purpose.
_DATA_NAMES = frozenset(
    {
        # CSL variables
        "accessed", "archive", "archivelocation", "archiveplace", "authority",
        "availabledate", "callnumber", "chapternumber", "citationkey", "citationlabel",
        "collectionnumber", "collectiontitle", "containertitle", "containertitleshort",
        "dimensions", "division", "doi", "edition", "event", "eventdate", "eventplace",
        "eventtitle", "genre", "isbn", "issn", "issue", "issued", "jurisdiction", "language",
        "license", "medium", "number", "numberofpages", "numberofvolumes", "originaldate",
        "originalpublisher", "originalpublisherplace", "originaltitle", "page", "part",
        "pmcid", "pmid", "publisher", "publisherplace", "references", "reviewedgenre",
        "reviewedtitle", "scale", "section", "source", "status", "submitted", "supplement",
        "titleshort", "url", "version", "volume", "volumetitle",
        # Zotero field names (and their labels) in Extra lines
        "accessdate", "arxivid", "booktitle", "company", "conferencename", "date",
        "institution", "itemtype", "journalabbreviation", "lccn", "librarycatalog", "mrnumber",
        "numpages", "oclc", "place", "proceedingstitle", "publicationtitle", "reportnumber",
        "reporttype", "rights", "series", "seriesnumber", "seriestitle", "shorttitle",
        "thesistype", "type", "university", "websitetitle", "websitetype", "zmnumber",
    }
)  # fmt: skip

_LINE = re.compile(r"^\s*(\\?_?[A-Za-z][\w .\\-]*?)\s*([:=])\s*(.*)$")


def _name(raw: str) -> str:
    return re.sub(r"[\s_\\.-]+", "", raw).casefold()


def is_data_line(line: str) -> bool:
    """True for a line Zotero or Better BibTeX keeps as data (``Type: Journal Article``)."""
    match = _LINE.match(line)
    if match is None:
        return False
    raw, sep = match.group(1), match.group(2)
    bare = raw.replace("\\_", "_").strip()
    if bare.casefold().startswith("tex."):
        return True  # Better BibTeX: "tex.ids= key", "tex.pmcid: PMC..."
    if sep != ":":
        return False
    return bare.startswith("_") or _name(bare) in _DATA_NAMES


def split(note: str) -> tuple[Mapping[str, str], str]:
    """``note`` as (its data lines by normalised name, the rest of the text).

    >>> split("Type: Journal Article\\nPMID: 123\\nErratum in: J Test")
    ({'type': 'Journal Article', 'pmid': '123'}, 'Erratum in: J Test')
    """
    data: dict[str, str] = {}
    kept: list[str] = []
    for line in note.splitlines():
        if is_data_line(line):
            match = _LINE.match(line)
            assert match is not None
            data.setdefault(_name(match.group(1).replace("\\_", "_")), match.group(3).strip())
        else:
            kept.append(line)
    return data, "\n".join(kept).strip()


def printable(note: str) -> str:
    """The part of a note a style may print: the note without its data lines."""
    return split(note)[1]


# Zotero's item types by their labels, as its "Type: ..." auto-note names them.
_ITEM_TYPES = (
    "Artwork|Audio Recording|Bill|Blog Post|Book Section|Book|Case|Computer Program|"
    "Conference Paper|Dataset|Dictionary Entry|Document|E-mail|Encyclopedia Article|Film|"
    "Forum Post|Hearing|Instant Message|Interview|Journal Article|Letter|Magazine Article|"
    "Manuscript|Map|Newspaper Article|Patent|Podcast|Preprint|Presentation|Radio Broadcast|"
    "Report|Software|Standard|Statute|Thesis|TV Broadcast|Video Recording|Web Page"
)
_FOLDED = re.compile(rf"(?<!\S)(?:[Tt]ype:\s*(?:{_ITEM_TYPES})|tex\.[\w.-]+\s*[:=]\s*[^\s]+)(?!\S)")


def printable_folded(note: str) -> str:
    """:func:`printable` for a note whose lines a parser has already folded into one (pybtex
    does): a data line's end is lost, so only what can be delimited without it is taken out,
    Zotero's ``Type: Journal Article`` and Better BibTeX's one-word ``tex.*`` lines."""
    return " ".join(_FOLDED.sub(" ", note).split())
