"""Which Zotero item is which work, for works and items the sync has not linked yet.

The rules of ``cytobib import`` (issue 13), applied by its own :class:`Index`
(:mod:`cytobib.importer.match`) to fingerprints of Zotero's JSON: by citation key (Extra
``Citation Key:`` or the ``citationKey`` field, ignoring case), then DOI, then PMID, then
normalised title + first author + year. Two works whose DOIs or PMIDs differ are never the
same. A work that shares only its title with an item is a *candidate*: listed, never merged.
The same :class:`Index` serves both directions (works to items on push, items to entries on
pull).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from cytobib import merge
from cytobib.doi import canonical, is_valid_doi
from cytobib.importer.match import Fingerprint, Index, fingerprint, fold_name
from cytobib.model import Entry
from cytobib.zotero import mapping

__all__ = ["Fingerprint", "Index", "of_entry", "of_item"]


def _doi(value: str) -> str:
    value = value.strip()
    return canonical(value) if value and is_valid_doi(value) else ""


def of_entry(entry: Entry) -> Fingerprint:
    """A library entry's fingerprint (as ``cytobib import`` takes it)."""
    return fingerprint(entry.key, entry.fields)


def of_item(data: Mapping[str, Any]) -> Fingerprint:
    """A Zotero item's fingerprint (from its ``data``)."""
    flat = mapping.present(data)
    title = html.unescape(re.sub(r"<[^>]*>", "", flat.get("title", "")))  # rich text as text
    creators = [c for c in data.get("creators") or [] if isinstance(c, Mapping)]
    first = ""
    if creators:
        c = creators[0]
        first = fold_name(str(c.get("lastName") or c.get("name") or "").partition(", ")[0])
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
