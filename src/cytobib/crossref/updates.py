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
from dataclasses import dataclass
from typing import Final, Literal

from cytobib.crossref.message import Message, iso_date
from cytobib.doi import normalize_doi

UpdateKind = Literal["retracted", "concern", "corrected", "notice"]


@dataclass(frozen=True)
class UpdateStatus:
    """An editorial update bearing on a work: what, which notice, who said so, when.

    ``source`` is ``publisher``, ``retraction-watch`` or ``title`` (a title prefix). For a
    ``notice`` (a record with ``update-to``), ``notice_doi`` is the record's own DOI and
    ``target_doi`` the work it updates.
    """

    kind: UpdateKind
    notice_doi: str | None
    source: str | None
    date: str | None
    label: str | None
    target_doi: str | None = None


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
    found: list[UpdateStatus] = []
    updated_by = message.get("updated-by")
    for entry in updated_by if isinstance(updated_by, list) else []:
        if not isinstance(entry, Mapping):
            continue
        found.append(
            UpdateStatus(
                kind=_update_kind(entry.get("type")),
                notice_doi=_doi_or_none(entry.get("DOI")),
                source=str(entry.get("source") or "publisher"),
                date=iso_date(entry.get("updated")),
                label=str(entry["label"]) if entry.get("label") else None,
            )
        )
    if title is not None and _TITLE_RETRACTED.match(title):
        found.append(
            UpdateStatus(
                "retracted",
                _doi_or_none(message.get("DOI")),
                "title",
                None,
                title.split(":", 1)[0].strip(),
            )
        )
    update_to = message.get("update-to")
    for entry in update_to if isinstance(update_to, list) else []:
        if not isinstance(entry, Mapping):
            continue
        found.append(
            UpdateStatus(
                kind="notice",
                notice_doi=_doi_or_none(message.get("DOI")),
                source=str(entry.get("source") or "publisher"),
                date=iso_date(entry.get("updated")),
                label=str(entry["label"]) if entry.get("label") else None,
                target_doi=_doi_or_none(entry.get("DOI")),
            )
        )
    return tuple(found)


def most_severe(updates: Sequence[UpdateStatus]) -> UpdateStatus | None:
    if not updates:
        return None
    return max(updates, key=lambda u: (_SEVERITY[u.kind], u.date or ""))
