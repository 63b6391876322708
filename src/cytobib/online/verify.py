"""``cytobib check --online``: every DOI resolves and agrees with its entry; retractions
and corrections Crossref knows of are flagged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cytobib import merge
from cytobib.errors import CrossrefNotFound
from cytobib.library import Project
from cytobib.model import Entry, Issue, Location, Severity
from cytobib.online.common import client_for, family, reason, update_status_value, year_of


def verify_online(
    project: Project,
    *,
    offline: bool = False,
    client: Any = None,
    progress: bool = False,
) -> list[Issue]:
    """`check --online`: every DOI resolves and agrees with the entry; retractions flagged."""
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
    records = [r for r in project.library if r.entry.doi]
    if not records:
        return issues
    client = client or client_for(project, offline=offline, progress=progress)
    results = client.works([r.entry.doi for r in records])
    bib = project.parsed.source.path
    for record in records:
        issues.extend(_verify(record.entry, results.get(record.entry.doi), bib))
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


def _flagged(entry: Entry, status: str, loc: Location) -> Issue:
    kind = status.split(";", maxsplit=1)[0]
    code = {"retracted": "retracted", "concern": "expression-of-concern"}.get(kind, "corrected")
    return Issue(
        Severity.ERROR if kind == "retracted" else Severity.WARNING,
        code,
        f"Crossref reports '{entry.key}' as {kind} ({status}).",
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
