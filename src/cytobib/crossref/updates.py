"""Retractions, corrections and expressions of concern in a Crossref record.

Update status: ``updated-by[].type`` ``retraction``/``withdrawal``/``removal`` (anything
containing "retract" or "withdraw") → retracted; ``expression_of_concern`` → concern; any
other update type (``correction``, ``erratum``, ``new_version``...) → corrected; entries from
Retraction Watch count like the publisher's. A title starting ``RETRACTED:``, ``Retracted:``,
``Retraction:`` (or ``Withdrawn:``) → retracted, source ``title``. The most severe wins. A
record with ``update-to`` is itself a notice: kind ``notice``, unless something above applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final, Literal

from cytobib.crossref.message import Message, iso_date
from cytobib.doi import normalize_doi
from cytobib.model import UpdateStatus

UpdateKind = Literal["retracted", "concern", "corrected", "notice"]


_SEVERITY: Final[Mapping[str, int]] = {"retracted": 3, "concern": 2, "corrected": 1, "notice": 0}
_TITLE_RETRACTED = re.compile(r"^\s*(retracted|retraction(\s+note)?|withdrawn)\s*:", re.I)


def _update_kind(kind: object) -> UpdateKind:
    text = str(kind or "").strip().lower().replace("-", "_").replace(" ", "_")
    if "retract" in text or "withdraw" in text or text == "removal":
        return "retracted"
    if "concern" in text:
        return "concern"
    return "corrected"  # correction, erratum, corrigendum, new_version, and unknown updates


def _doi_or_none(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return normalize_doi(value)
    except ValueError:
        return value.strip().lower() or None


def update_statuses(message: Message, title: str | None = None) -> tuple[UpdateStatus, ...]:
    """Every update signal of a record: ``updated-by``, a retraction title, ``update-to``."""
    own_doi = _doi_or_none(message.get("DOI"))
    found = [
        _status(entry, _update_kind(entry.get("type")), _doi_or_none(entry.get("DOI")))
        for entry in _entries(message, "updated-by")
    ]
    if title is not None and _TITLE_RETRACTED.match(title):
        found.append(
            UpdateStatus("retracted", own_doi, "title", None, title.split(":", 1)[0].strip())
        )
    found += [
        _status(entry, "notice", own_doi, target_doi=_doi_or_none(entry.get("DOI")))
        for entry in _entries(message, "update-to")
    ]
    return tuple(found)


def _entries(message: Message, key: str) -> list[Mapping[str, object]]:
    value = message.get(key)
    return [e for e in value if isinstance(e, Mapping)] if isinstance(value, list) else []


def _status(
    entry: Mapping[str, object],
    kind: UpdateKind,
    notice_doi: str | None,
    *,
    target_doi: str | None = None,
) -> UpdateStatus:
    """One ``updated-by`` or ``update-to`` item: who said so (the publisher unless Crossref
    names another source), when, and the notice's own label."""
    return UpdateStatus(
        kind=kind,
        notice_doi=notice_doi,
        source=str(entry.get("source") or "publisher"),
        date=iso_date(entry.get("updated")),
        notice_label=str(entry["label"]) if entry.get("label") else None,
        target_doi=target_doi,
    )


def most_severe(updates: Sequence[UpdateStatus]) -> UpdateStatus | None:
    if not updates:
        return None
    return max(updates, key=lambda u: (_SEVERITY[u.kind], u.date or ""))
