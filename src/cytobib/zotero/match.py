"""Which Zotero item is which work, for works and items the sync has not linked yet.

The rules of ``cytobib import`` (issue 13, :mod:`cytobib.importer.match`), on Zotero's JSON: by
citation key (Extra ``Citation Key:`` or the ``citationKey`` field, ignoring case), then DOI,
then PMID, then normalised title + first author + year. Two works whose DOIs or PMIDs differ are
never the same. A work that shares only its title with an item is a *candidate*: listed, never
merged. The same :class:`Index` serves both directions (works to items on push, items to
entries on pull).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cytobib import merge
from cytobib.doi import canonical, is_valid_doi
from cytobib.model import Entry
from cytobib.zotero import mapping


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


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).casefold()
    return "".join(c for c in text if c.isalnum())


def _doi(value: str) -> str:
    value = value.strip()
    return canonical(value) if value and is_valid_doi(value) else ""


def of_entry(entry: Entry) -> Fingerprint:
    """A library entry's fingerprint."""
    people = entry.authors or entry.editors
    first = _fold(people[0].last) if people and people[0].family != "others" else ""
    pmid = entry.fields.get("pmid", "").strip()
    return Fingerprint(
        entry.key.casefold(),
        entry.doi,
        pmid if pmid.isdigit() else "",
        merge.normalise("title", entry.fields.get("title", "")),
        first,
        str(entry.year) if entry.year else "",
    )


def of_item(data: Mapping[str, Any]) -> Fingerprint:
    """A Zotero item's fingerprint (from its ``data``)."""
    flat = mapping.present(data)
    title = html.unescape(re.sub(r"<[^>]*>", "", flat.get("title", "")))  # rich text as text
    creators = [c for c in data.get("creators") or [] if isinstance(c, Mapping)]
    first = ""
    if creators:
        c = creators[0]
        first = _fold(str(c.get("lastName") or c.get("name") or "").partition(", ")[0])
    year = re.search(r"\d{4}", flat.get(mapping.DATE, ""))
    pmid = flat.get(mapping.EXTRA + "PMID", "")
    return Fingerprint(
        flat.get(mapping.EXTRA + mapping.KEY_LABEL, "").casefold(),
        _doi(flat.get("DOI", "") or flat.get(mapping.EXTRA + "DOI", "")),
        pmid if pmid.isdigit() else "",
        merge.normalise("title", title),
        first,
        year.group() if year else "",
    )


class Index:
    """Fingerprints by each of their parts; :meth:`match` applies the rules in order."""

    def __init__(self, items: Iterable[tuple[str, Fingerprint]]) -> None:
        self.prints: dict[str, Fingerprint] = {}
        self.by_key: dict[str, str] = {}
        self.by_doi: dict[str, str] = {}
        self.by_pmid: dict[str, str] = {}
        self.by_work: dict[tuple[str, str, str], str] = {}
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
            if found is not None and not self._differs(fp, found):
                return found, how
        if fp.title:
            found = self.by_work.get((fp.title, fp.author, fp.year))
            if found is not None and not self._differs(fp, found):
                return found, "title"
        return None

    def candidates(self, fp: Fingerprint) -> tuple[str, ...]:
        """Identities that share only the title: listed for the user, never merged."""
        return tuple(i for i in self.by_title.get(fp.title, ()) if fp.title)

    def _differs(self, fp: Fingerprint, ident: str) -> bool:
        other = self.prints[ident]
        return bool(
            (fp.doi and other.doi and fp.doi != other.doi)
            or (fp.pmid and other.pmid and fp.pmid != other.pmid)
        )
