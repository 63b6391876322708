"""Which library entry an incoming work is, and the key a new work gets.

By citation key (ignoring case, as the library does), else by DOI, else - for a work without a
DOI, since RIS files carry no keys - by exact title and year. A key that exists with a
*different* DOI is another work: it is added under a new key.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cytobib import annotations as ann
from cytobib import citekey, latex, merge
from cytobib.importer.incoming import Incoming, norm_doi
from cytobib.model import Entry, Issue, Location, Severity, parse_names

_BAD_KEY_CHARS = re.compile(r"[\s,{}()=\"#%'~\\]")


@dataclass(frozen=True)
class LibraryIndex:
    """The library's entries by key, by case-folded key, by DOI and by (title, year)."""

    entries: Mapping[str, Entry]
    by_fold: Mapping[str, str]
    by_doi: Mapping[str, str]
    by_title: Mapping[tuple[str, str], str]

    @classmethod
    def of(cls, entries: Sequence[Entry]) -> LibraryIndex:
        by_doi: dict[str, str] = {}
        by_title: dict[tuple[str, str], str] = {}
        for e in entries:
            doi = norm_doi(e.get("doi"))
            if doi:
                by_doi.setdefault(doi, e.key)
            if e.get("title") and e.year:
                by_title.setdefault(title_key(e.fields), e.key)
        by_key = {e.key: e for e in entries}
        return cls(by_key, {k.casefold(): k for k in by_key}, by_doi, by_title)

    def match(self, work: Incoming) -> str | None:
        """The library key this work is: by key (unless the DOIs disagree), else by DOI, else
        (only for a work without a DOI, as RIS files have no keys) by exact title and year."""
        if work.key:
            key = self.by_fold.get(work.key.casefold())
            if key is not None:
                ours = norm_doi(self.entries[key].get("doi"))
                if not (ours and work.doi and ours != work.doi):
                    return key
        if work.doi:
            return self.by_doi.get(work.doi)
        title, year = title_key(work.fields)
        if title and year:
            found = self.by_title.get((title, year))
            if found is not None and not norm_doi(self.entries[found].get("doi")):
                return found
        return None

    def how(self, work: Incoming, target: str) -> str | None:
        """ "doi" or "title" when the work matched otherwise than by its own key, else None."""
        if target == self.by_fold.get(work.key.casefold()):
            return None
        return "doi" if work.doi and self.by_doi.get(work.doi) == target else "title"


def title_key(fields: Mapping[str, str]) -> tuple[str, str]:
    """(normalised title, year) for matching works without a DOI."""
    year = re.search(r"\d{4}", fields.get("year", "") or fields.get("date", ""))
    return merge.normalise("title", fields.get("title", "")), year.group() if year else ""


def new_key(work: Incoming, folded: Collection[str]) -> str:
    """The work's own key when usable, else the library's scheme (:mod:`cytobib.citekey`);
    a, b... added while taken. ``folded`` holds the keys in use, case-folded."""
    key = work.key
    if not key or _BAD_KEY_CHARS.search(key) or not ann.is_safe_key(key):
        key = make_key(work.fields)
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
