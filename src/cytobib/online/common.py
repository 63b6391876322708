"""What adding, enriching and verifying share: the Crossref client of a project and the
fields a Crossref work brings."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from cytobib import latex
from cytobib.doi import is_valid_doi
from cytobib.errors import CrossrefError
from cytobib.library import Project

# Field order for entries cytobib creates.
FIELD_ORDER = (
    "author", "editor", "title", "journal", "shortjournal", "booktitle", "year", "month",
    "volume", "number", "pages", "doi", "issn", "isbn", "publisher", "address", "institution",
    "howpublished", "note", "url", "abstract", "update-status",
)  # fmt: skip
_NOT_MERGED = {"url"}
_ISO_DATE = re.compile(
    r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
)  # Crossref's resolver URL adds nothing to an entry with a DOI


def client_for(
    project: Project,
    *,
    offline: bool = False,
    refresh: bool = False,
    progress: bool = False,
    session: Any = None,
) -> Any:
    """A Crossref client configured from the project (mailto, base URL, cache)."""
    from cytobib.crossref import Cache, CacheMode, CrossrefClient

    mode: CacheMode = "offline" if offline else "refresh" if refresh else "normal"
    cache = Cache(project.config.cache_dir / "crossref", mode=mode)
    return CrossrefClient(
        session=session,
        base_url=project.config.crossref_url,
        mailto=project.config.mailto,
        cache=cache,
        progress=progress,
    )


def update_status_value(mapped: Any) -> str | None:
    """The ``update-status`` field text for a mapped work, or None when nothing applies."""
    status = getattr(mapped, "update_status", None)
    if status is None or status.kind not in ("retracted", "concern", "corrected"):
        return None
    # Crossref's text: the notice DOI must be one, the source is plain text (escaped, and
    # without the ';' that separates the parts), the date an ISO date.
    notice = status.notice_doi if status.notice_doi and is_valid_doi(status.notice_doi) else ""
    source = latex.escape(" ".join((status.source or "").replace(";", ",").split()))
    date = status.date if status.date and _ISO_DATE.fullmatch(status.date) else ""
    return "; ".join([status.kind, notice, source, date]).rstrip("; ")


_SEVERITY = ("retracted", "concern", "corrected")


def strongest_status(values: Iterable[str | None]) -> str | None:
    """The most severe of several ``update-status`` values (retracted, then concern, then
    corrected); the first of equals. Crossref and PubMed may each flag a work."""
    present: list[str] = [v for v in values if v]
    if not present:
        return None
    return min(present, key=lambda v: _SEVERITY.index(v.split(";", 1)[0].strip()))


def pubmed_fields(record: Any) -> dict[str, str]:
    """The fields a PubMed record offers an entry (its ``update-status`` included)."""
    from cytobib.pubmed.fields import map_record

    mapped = map_record(record)
    out = {k: v for k, v in mapped.fields.items() if v}
    status = update_status_value(mapped)
    if status:
        out["update-status"] = status
    return out


def incoming_fields(mapped: Any) -> dict[str, str]:
    """The fields a mapped Crossref work offers an entry (its ``update-status`` included)."""
    out = {k: v for k, v in mapped.fields.items() if k not in _NOT_MERGED and v}
    status = update_status_value(mapped)
    if status:
        out["update-status"] = status
    return out


def ordered(fields: dict[str, str]) -> list[tuple[str, str]]:
    rank = {name: i for i, name in enumerate(FIELD_ORDER)}
    return sorted(fields.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def family(name: Any) -> str | None:
    """Family name of a mapped contributor: ``(family, given)``, or an organisation's name."""
    if isinstance(name, tuple):
        return str(name[0]) if name and name[0] else None
    return str(name) if isinstance(name, str) and name else None


def year_of(value: Any) -> int | None:
    try:
        return int(str(value)[:4]) if value else None
    except ValueError:
        return None


def reason(result: Any) -> str:
    """Why a lookup gave no work, for messages."""
    if isinstance(result, CrossrefError):
        return result.message
    if isinstance(result, Exception):
        return str(result)
    return "no answer"


def unified_diff(old: str, new: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), path, path
        )
    )
