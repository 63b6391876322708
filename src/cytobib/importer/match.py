"""Which library entry an incoming work is, and the key a new work gets.

In order: by citation key (ignoring case, as the library does; the key cytobib's note carries,
else Zotero's Extra ``Citation Key:``, else the file's), by DOI, by PMID, then by normalised
title + first author + year (works with neither DOI nor year still match: Zotero may have
generated their keys). Two works whose DOIs or PMIDs differ are never the same work, except
that one DOI is one work (a PMID that differs too is then a conflict). A work that shares only
its title with an entry is a *candidate*: listed for the user, not merged. The Zotero sync
matches with the same :class:`Index` (:mod:`cytobib.zotero.match`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cytobib import annotations as ann
from cytobib import citekey, latex, merge
from cytobib.importer.incoming import Incoming, norm_doi
from cytobib.model import Entry, Issue, Location, Severity, parse_names

_BAD_KEY_CHARS = re.compile(r"[\s,{}()=\"#%'~\\]")

Work = tuple[str, str, str]  # (normalised title, first author, year)


@dataclass(frozen=True)
class Fingerprint:
    """What matching compares: citation key (case-folded), DOI (canonical), PMID, and
    (normalised title, first author's family name folded, year)."""

    key: str = ""
    doi: str = ""
    pmid: str = ""
    title: str = ""
    author: str = ""
    year: str = ""

    def as_json(self) -> list[str]:
        return [self.key, self.doi, self.pmid, self.title, self.author, self.year]

    @classmethod
    def from_json(cls, data: Any) -> Fingerprint:
        values = [str(v) for v in data] if isinstance(data, list) and len(data) == 6 else []
        return cls(*values) if values else cls()


def fingerprint(key: str, fields: Mapping[str, str], content: Work | None = None) -> Fingerprint:
    """The fingerprint of a work given as BibTeX fields (a library entry, an imported work);
    ``content`` is its :func:`work_key` when the caller has it already."""
    doi = fields.get("doi", "")
    return Fingerprint(
        key.casefold(), norm_doi(doi) if doi else "", _pmid(fields), *(content or work_key(fields))
    )


class Index:
    """Fingerprints by each of their parts; :meth:`match` applies the rules in order. Used by
    ``cytobib import`` (entries by key) and the Zotero sync (items and works both ways)."""

    def __init__(self, items: Iterable[tuple[str, Fingerprint]]) -> None:
        self.prints: dict[str, Fingerprint] = {}
        self.by_key: dict[str, str] = {}
        self.by_doi: dict[str, str] = {}
        self.by_pmid: dict[str, str] = {}
        self.by_work: dict[Work, str] = {}
        self.by_title: dict[str, list[str]] = {}
        for ident, fp in items:
            self.add(ident, fp)

    def add(self, ident: str, fp: Fingerprint) -> None:
        self.prints[ident] = fp
        if fp.key:
            self.by_key.setdefault(fp.key, ident)
        if fp.doi:
            self.by_doi.setdefault(fp.doi, ident)
        if fp.pmid:
            self.by_pmid.setdefault(fp.pmid, ident)
        if fp.title:
            self.by_work.setdefault((fp.title, fp.author, fp.year), ident)
            self.by_title.setdefault(fp.title, []).append(ident)

    def remove(self, ident: str) -> None:
        """Take an identity out (it was matched: nothing else may match it)."""
        fp = self.prints.pop(ident, None)
        if fp is None:
            return
        for table, value in ((self.by_key, fp.key), (self.by_doi, fp.doi), (self.by_pmid, fp.pmid)):
            if value and table.get(value) == ident:
                del table[value]
        work = (fp.title, fp.author, fp.year)
        if fp.title and self.by_work.get(work) == ident:
            del self.by_work[work]
        if fp.title in self.by_title:
            self.by_title[fp.title] = [i for i in self.by_title[fp.title] if i != ident]

    def match(self, fp: Fingerprint) -> tuple[str, str] | None:
        """(identity, how) - how is ``key``, ``doi``, ``pmid`` or ``title`` (title, first
        author and year) - or None."""
        for how, table, value in (
            ("key", self.by_key, fp.key),
            ("doi", self.by_doi, fp.doi),
            ("pmid", self.by_pmid, fp.pmid),
        ):
            found = table.get(value) if value else None
            # One DOI is one work: a PMID that differs as well is a conflict to show, not a
            # second work (which would put the DOI in the library twice).
            if found is not None and (how == "doi" or not self._differs(fp, found)):
                return found, how
        if fp.title:
            found = self.by_work.get((fp.title, fp.author, fp.year))
            if found is not None and not self._differs(fp, found):
                return found, "title"
        return None

    def candidates(self, fp: Fingerprint) -> tuple[str, ...]:
        """Identities that share only the title: listed for the user, never merged."""
        return tuple(self.by_title.get(fp.title, ())) if fp.title else ()

    def _differs(self, fp: Fingerprint, ident: str) -> bool:
        """True when DOIs or PMIDs on both sides say these are two works."""
        other = self.prints[ident]
        return bool(
            (fp.doi and other.doi and fp.doi != other.doi)
            or (fp.pmid and other.pmid and fp.pmid != other.pmid)
        )


@dataclass(frozen=True)
class LibraryIndex:
    """The library's entries by key, and their fingerprints (:class:`Index`)."""

    entries: Mapping[str, Entry]
    index: Index

    @classmethod
    def of(cls, entries: Sequence[Entry]) -> LibraryIndex:
        by_key = {e.key: e for e in entries}
        return cls(by_key, Index((e.key, fingerprint(e.key, e.fields)) for e in entries))

    @property
    def by_fold(self) -> Mapping[str, str]:
        """Library keys by their case-folded form."""
        return self.index.by_key

    def match(self, work: Incoming, content: Work | None = None) -> tuple[str, str] | None:
        """(library key, how) for the entry this work is: how is "key", "doi", "pmid" or
        "title" (title, first author and year: ``content``, :func:`work_key` of the work,
        when the caller has it); None for a new work."""
        return self.index.match(fingerprint(work.key, work.fields, content))

    def candidates(self, work: Incoming, content: Work | None = None) -> tuple[str, ...]:
        """Entries with the work's title (normalised), whether it matched one or not."""
        return self.index.candidates(fingerprint(work.key, work.fields, content))


def _pmid(fields: Mapping[str, str]) -> str:
    value = fields.get("pmid", "").strip()
    return value if value.isdigit() else ""


def work_key(fields: Mapping[str, str]) -> Work:
    """(normalised title, first author's family name folded, year) for matching by content."""
    year = re.search(r"\d{4}", fields.get("year", "") or fields.get("date", ""))
    people = parse_names(fields.get("author", "") or fields.get("editor", ""))
    first = fold_name(people[0].last) if people and people[0].family != "others" else ""
    title = merge.normalise("title", fields.get("title", ""))
    return title, first, year.group() if year else ""


def fold_name(name: str) -> str:
    """A family name as matching compares it: accents and case folded, letters and digits."""
    text = unicodedata.normalize("NFKD", name).casefold()
    return "".join(c for c in text if c.isalnum())


def new_key(work: Incoming, folded: Collection[str]) -> str:
    """The work's own key when usable, else the library's scheme (:mod:`cytobib.citekey`);
    a, b... added while taken. ``folded`` holds the keys in use, case-folded."""
    key = work.key
    if not key or _BAD_KEY_CHARS.search(key) or not ann.is_safe_key(key):
        key = make_key(work.fields)
    if key.casefold() not in folded:  # the usual case: no set of every key built again
        return key
    return citekey.free_key(key, folded)


def make_key(fields: Mapping[str, str]) -> str:
    """:func:`cytobib.citekey.base_key` for BibTeX fields: first author, year, title word."""
    people = parse_names(fields.get("author", "") or fields.get("editor", ""))
    year = re.search(r"\d{4}", fields.get("year", ""))
    title = latex.to_text(fields.get("title", ""))
    family = people[0].last if people else None
    if people and people[0].corporate:  # "{Cytokine Society}" -> cytokine
        family = people[0].family.split()[0] if people[0].family.split() else None
    return citekey.base_key(family, int(year.group()) if year else None, title)


def renamed(work: Incoming, key: str, key_exists: bool) -> Issue:
    """The warning for a work added under another key than its own."""
    if key_exists:
        why = "the library has that key for a work with another DOI"
    else:
        why = "the key cannot be used as a citation key and annotation file name"
    return Issue(
        Severity.WARNING,
        "import-renamed",
        f"'{work.key}' is added as '{key}': {why}.",
        key=key,
        location=Location(work.where) if work.where else None,
        hint="Rename it in library.bib if you prefer another key.",
    )
