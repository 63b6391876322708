"""``cytobib check --online``: every DOI resolves and agrees with its entry, every PMID is a
live PubMed record; retractions, expressions of concern and corrections that Crossref or
PubMed (``RetractionIn``, ``ExpressionOfConcernIn``, ``ErratumIn``) knows of are flagged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cytobib import merge
from cytobib.errors import CrossrefNotFound
from cytobib.library import Project
from cytobib.model import Entry, Issue, Location, Severity
from cytobib.online.common import client_for, family, reason, update_status_value, year_of
from cytobib.online.pubmed import PubMedAnswers, ask_pubmed, pubmed_client_for


def verify_online(
    project: Project,
    *,
    offline: bool = False,
    client: Any = None,
    progress: bool = False,
    pubmed: Any = None,
) -> list[Issue]:
    """`check --online`: every DOI resolves and agrees with the entry, every PMID is known
    to PubMed; retractions flagged from both sources (``pubmed=False``: Crossref only)."""
    issues: list[Issue] = []
    if not project.config.mailto:
        issues.append(
            Issue(
                Severity.INFO,
                "no-mailto",
                "No Crossref contact address is set: requests use the public pool "
                "(1 in flight, 5/s).",
                location=Location(str(project.config.path or "cytobib.toml")),
                hint="Set mailto in cytobib.toml [crossref] or CYTOBIB_MAILTO for "
                "the polite pool (3 in flight, 10/s).",
            )
        )
    bib = project.parsed.source.path
    found = PubMedAnswers()
    if pubmed is not False:
        found = ask_pubmed(
            pubmed or pubmed_client_for(project, offline=offline), project.library.records
        )
        issues.extend(_pubmed_issues(project, found, bib))
    records = [r for r in project.library if r.entry.doi]
    if not records:
        return issues
    client = client or client_for(project, offline=offline, progress=progress)
    results = client.works([r.entry.doi for r in records])
    for record in records:
        issues.extend(_verify(record.entry, results.get(record.entry.doi), bib))
    return issues


def _pubmed_issues(project: Project, found: PubMedAnswers, bib: str) -> list[Issue]:
    """PMIDs PubMed does not know (or deleted), and the flags PubMed's links raise."""
    from cytobib.pubmed.fields import map_record

    issues: list[Issue] = []
    if found.error:
        issues.append(
            Issue(
                Severity.WARNING,
                "pubmed-unchecked",
                f"PubMed could not be asked: {found.error}",
                location=Location(bib),
                hint="Run again later; Crossref's checks below are complete.",
            )
        )
    for key, why in found.not_found:
        entry = project.library.get(key)
        issues.append(
            Issue(
                Severity.ERROR,
                "pmid-not-found",
                f"'{key}': {why}",
                key,
                Location(bib, entry.entry.line if entry else None),
                "Check the pmid field against pubmed.ncbi.nlm.nih.gov.",
            )
        )
    for key, record in found.records.items():
        entry = project.library.get(key)
        status = update_status_value(map_record(record))
        if entry is None or not status:
            continue
        current = entry.entry.fields.get("update-status", "")
        if current.split(";", 1)[0].strip() == status.split(";", 1)[0].strip():
            continue
        issues.append(_flagged(entry.entry, status, Location(bib, entry.entry.line), "PubMed"))
    return issues


def _verify(entry: Entry, result: Any, bib: str) -> list[Issue]:
    """The issues of one entry, given Crossref's answer for its DOI."""
    from rapidfuzz import fuzz

    from cytobib.crossref import map_work

    loc = Location(bib, entry.line)
    if isinstance(result, CrossrefNotFound):
        return [
            Issue(
                Severity.ERROR,
                "doi-not-found",
                f"Crossref does not know DOI {entry.doi} of '{entry.key}'.",
                entry.key,
                loc,
                "Check the DOI on the publisher's page; DataCite "
                "DOIs (Zenodo, arXiv) are not in Crossref.",
            )
        ]
    if isinstance(result, Exception) or result is None:
        return [
            Issue(
                Severity.WARNING,
                "doi-unchecked",
                f"Could not check DOI {entry.doi} of '{entry.key}': {reason(result)}",
                entry.key,
                loc,
                "Run again later, or without --offline.",
            )
        ]
    mapped = map_work(result)
    issues: list[Issue] = []
    problems = _disagreements(entry, mapped, fuzz.token_set_ratio)
    if problems:
        issues.append(
            Issue(
                Severity.WARNING,
                "doi-mismatch",
                f"DOI {entry.doi} of '{entry.key}' belongs to a record that "
                f"differs: {'; '.join(problems)}.",
                entry.key,
                loc,
                "Check that the DOI is right; `cytobib enrich "
                f"{entry.key} --dry-run` shows every difference.",
            )
        )
    status = update_status_value(mapped)
    if status and status != entry.fields.get("update-status"):
        issues.append(_flagged(entry, status, loc))
    return issues


def _flagged(entry: Entry, status: str, loc: Location, source: str = "Crossref") -> Issue:
    kind = status.split(";", maxsplit=1)[0]
    code = {"retracted": "retracted", "concern": "expression-of-concern"}.get(kind, "corrected")
    return Issue(
        Severity.ERROR if kind == "retracted" else Severity.WARNING,
        code,
        f"{source} reports '{entry.key}' as {kind} ({status}).",
        entry.key,
        loc,
        f"Run `cytobib enrich {entry.key}` to record the flag in the "
        "entry, and read the notice before citing.",
    )


def _disagreements(entry: Entry, mapped: Any, ratio: Callable[[str, str], float]) -> list[str]:
    out = []
    theirs_title = mapped.plain.get("title", "")
    if entry.title and theirs_title and ratio(entry.title.lower(), theirs_title.lower()) < 85:
        out.append(f"title {theirs_title!r}")
    year = year_of(mapped.plain.get("year"))
    if entry.year and year and abs(entry.year - year) > 1:
        out.append(f"year {year}")
    first = family(mapped.authors[0]) if mapped.authors else None
    if entry.authors and first:
        mine = merge.normalise("title", entry.authors[0].family)
        theirs = merge.normalise("title", first)
        if mine and theirs and theirs != mine and ratio(mine, theirs) < 85:
            out.append(f"first author {first!r}")
    return out
