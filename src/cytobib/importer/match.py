"""Which library entry an incoming work is, and the key a new work gets.

In order: by citation key (ignoring case, as the library does; the key cytobib's note carries,
else Zotero's Extra ``Citation Key:``, else the file's), by DOI, by PMID, then by normalised
title + first author + year (works with neither DOI nor year still match: Zotero may have
generated their keys). Two works whose DOIs or PMIDs differ are never the same work. A work
that shares only its title with an entry is a *candidate*: listed for the user, not merged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cytobib import annotations as ann
from cytobib import citekey, latex, merge
from cytobib.importer.incoming import Incoming, norm_doi
from cytobib.model import Entry, Issue, Location, Severity, parse_names

_BAD_KEY_CHARS = re.compile(r"[\s,{}()=\"#%'~\\]")

Work = tuple[str, str, str]  # (normalised title, first author, year)


@dataclass(frozen=True)
class LibraryIndex:
    """The library's entries by key, case-folded key, DOI, PMID, (title, author, year), title."""

    entries: Mapping[str, Entry]
    by_fold: Mapping[str, str]
    by_doi: Mapping[str, str]
    by_pmid: Mapping[str, str]
    by_work: Mapping[Work, str]
    by_title: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, entries: Sequence[Entry]) -> LibraryIndex:
        by_doi: dict[str, str] = {}
        by_pmid: dict[str, str] = {}
        by_work: dict[Work, str] = {}
        by_title: dict[str, list[str]] = {}
        for e in entries:
            doi = norm_doi(e.get("doi"))
            if doi:
                by_doi.setdefault(doi, e.key)
            pmid = _pmid(e.fields)
            if pmid:
                by_pmid.setdefault(pmid, e.key)
            work = work_key(e.fields)
            if work[0]:
                by_work.setdefault(work, e.key)
                by_title.setdefault(work[0], []).append(e.key)
        by_key = {e.key: e for e in entries}
        titles = {t: tuple(keys) for t, keys in by_title.items()}
        return cls(by_key, {k.casefold(): k for k in by_key}, by_doi, by_pmid, by_work, titles)

    def match(self, work: Incoming, content: Work | None = None) -> tuple[str, str] | None:
        """(library key, how) for the entry this work is: how is "key", "doi", "pmid" or
        "title" (title, first author and year: ``content``, :func:`work_key` of the work,
        when the caller has it); None for a new work."""
        if work.key:
            key = self.by_fold.get(work.key.casefold())
            if key is not None and not self._differs(work, key):
                return key, "key"
        if work.doi and work.doi in self.by_doi:
            return self.by_doi[work.doi], "doi"
        if work.pmid and work.pmid in self.by_pmid:
            key = self.by_pmid[work.pmid]
            if not self._differs(work, key):
                return key, "pmid"
        found = self.by_work.get(content or work_key(work.fields))
        if found is not None and not self._differs(work, found):
            return found, "title"
        return None

    def candidates(self, work: Incoming) -> tuple[str, ...]:
        """Entries with the work's title (normalised) that it did not match."""
        return self.by_title.get(work_key(work.fields)[0], ())

    def _differs(self, work: Incoming, key: str) -> bool:
        """True when DOIs or PMIDs on both sides say these are two works."""
        fields = self.entries[key].fields
        ours = norm_doi(fields.get("doi", ""))
        if ours and work.doi and ours != work.doi:
            return True
        pmid = _pmid(fields)
        return bool(pmid and work.pmid and pmid != work.pmid)


def _pmid(fields: Mapping[str, str]) -> str:
    value = fields.get("pmid", "").strip()
    return value if value.isdigit() else ""


def work_key(fields: Mapping[str, str]) -> Work:
    """(normalised title, first author's family name folded, year) for matching by content."""
    year = re.search(r"\d{4}", fields.get("year", "") or fields.get("date", ""))
    people = parse_names(fields.get("author", "") or fields.get("editor", ""))
    first = ""
    if people and people[0].family != "others":
        first = unicodedata.normalize("NFKD", people[0].last).casefold()
        first = "".join(c for c in first if c.isalnum())
    title = merge.normalise("title", fields.get("title", ""))
    return title, first, year.group() if year else ""


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
