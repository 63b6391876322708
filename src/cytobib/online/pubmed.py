"""The PubMed step of add, enrich, ``check --online`` and suggest: which record each entry has.

An entry is looked up by its ``pmid`` field, else its ``pmcid`` (through the PMC ID
Converter), else its DOI (the converter, then an ESearch by DOI). Everything a failure leaves
is data in :class:`PubMedAnswers`: a PubMed that is down, slow or limiting never raises out of
:func:`ask_pubmed`, so that Crossref's answers are still used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cytobib.errors import PubMedError, PubMedNotFound, PubMedOfflineMiss
from cytobib.library import Project
from cytobib.model import Entry, Record
from cytobib.pubmed.records import PubMedRecord

_PMID = re.compile(r"^\s*(?:pmid\s*:?\s*)?(\d{1,10})\s*$", re.IGNORECASE)
_PMCID = re.compile(r"^\s*(?:pmcid\s*:?\s*)?(?:PMC)(\d{1,10})\s*$", re.IGNORECASE)


def pmid_of(value: str) -> str | None:
    """The PMID in ``123``, ``PMID:123`` or ``pmid 123``; None for anything else."""
    match = _PMID.match(value)
    return str(int(match.group(1))) if match and int(match.group(1)) else None


def pmcid_of(value: str) -> str | None:
    """The PMCID in ``PMC123`` or ``PMCID:PMC123`` (as ``PMC123``); None otherwise."""
    match = _PMCID.match(value)
    return f"PMC{int(match.group(1))}" if match and int(match.group(1)) else None


@dataclass(frozen=True)
class PubMedAnswers:
    """What PubMed said about each entry (by key), or why it said nothing useful."""

    records: Mapping[str, PubMedRecord] = field(default_factory=dict)
    not_found: tuple[tuple[str, str], ...] = ()  # (key, why): unknown or deleted PMID
    failed: tuple[tuple[str, str], ...] = ()  # (key, reason): PubMed could not answer
    error: str | None = None  # the whole step failed: why (Crossref still counts)


def pubmed_client_for(
    project: Project, *, offline: bool = False, refresh: bool = False, session: Any = None
) -> Any:
    """A PubMed client configured from the project: the same contact address as Crossref's,
    ``NCBI_API_KEY``, ``CYTOBIB_EUTILS_URL``/``CYTOBIB_IDCONV_URL``, the PubMed cache."""
    from cytobib.crossref.cache import CacheMode
    from cytobib.pubmed.cache import PubMedCache
    from cytobib.pubmed.http import PubMedClient

    mode: CacheMode = "offline" if offline else "refresh" if refresh else "normal"
    cache = PubMedCache(project.config.cache_dir / "pubmed", mode=mode)
    return PubMedClient(session, email=project.config.mailto, cache=cache)


def entry_ids(entry: Entry) -> tuple[str | None, str | None, str | None]:
    """(pmid, pmcid, doi) of an entry, each None when absent or not an id."""
    pmid = pmid_of(entry.text("pmid")) if entry.fields.get("pmid") else None
    pmcid = pmcid_of(entry.text("pmcid")) if entry.fields.get("pmcid") else None
    return pmid, pmcid, entry.doi or None


def ask_pubmed(client: Any, records: Sequence[Record]) -> PubMedAnswers:
    """Each record's PubMed record, found by PMID, PMCID or DOI (see the module docstring)."""
    wanted: dict[str, tuple[str | None, str | None, str | None]] = {}
    for record in records:
        ids = entry_ids(record.entry)
        if any(ids):
            wanted[record.key] = ids
    if not wanted:
        return PubMedAnswers()
    try:
        return _ask(client, wanted)
    except PubMedError as exc:
        return PubMedAnswers(error=exc.message)


def _ask(
    client: Any, wanted: Mapping[str, tuple[str | None, str | None, str | None]]
) -> PubMedAnswers:
    pmids: dict[str, str] = {}
    failed: list[tuple[str, str]] = []
    pmcids = {k: ids[1] for k, ids in wanted.items() if not ids[0] and ids[1]}
    if pmcids:
        converted = client.convert(list(pmcids.values()), "pmcid")
        for key, pmcid in pmcids.items():
            value = converted.get(pmcid)
            if isinstance(value, Exception):
                _failed(failed, key, value)
            elif value is not None and value.pmid:
                pmids[key] = value.pmid
    dois = {k: ids[2] for k, ids in wanted.items() if not ids[0] and k not in pmids and ids[2]}
    if dois:
        found = client.pmids_for_dois(list(dois.values()))
        for key, doi in dois.items():
            value = found.get(doi)
            if isinstance(value, Exception) and not isinstance(value, ValueError):
                _failed(failed, key, value)
            elif isinstance(value, str) and value:
                pmids[key] = value
    pmids.update({k: ids[0] for k, ids in wanted.items() if ids[0]})
    fetched = client.records(list(dict.fromkeys(pmids.values()))) if pmids else {}
    records: dict[str, PubMedRecord] = {}
    not_found: list[tuple[str, str]] = []
    for key, pmid in pmids.items():
        value = fetched.get(pmid)
        if isinstance(value, PubMedRecord):
            records[key] = value
        elif isinstance(value, PubMedNotFound):
            not_found.append((key, value.message))
        elif isinstance(value, Exception):
            _failed(failed, key, value)
    return PubMedAnswers(records, tuple(not_found), tuple(failed))


def _failed(failed: list[tuple[str, str]], key: str, exc: Exception) -> None:
    """Record why PubMed gave nothing for ``key``; offline cache misses are not failures
    (offline, PubMed fills what it was asked before, and says nothing of the rest)."""
    if not isinstance(exc, PubMedOfflineMiss):
        failed.append((key, exc.message if isinstance(exc, PubMedError) else str(exc)))
