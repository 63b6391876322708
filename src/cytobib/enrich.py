"""Crossref-backed operations on a project: add by DOI, enrich (fill-only), verify online.

Every change to library.bib goes through the lossless writer (``bibfile.edit_fields`` +
``apply_changes`` + an atomic write) and the one precedence rule in :mod:`cytobib.merge`:
missing fields are filled, differing ones are reported as conflicts and only applied for
fields the user accepts. Retractions and corrections are written to the entry's
``update-status`` field (``kind; notice DOI; source; date``), which cytobib owns.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cytobib import annotations as ann
from cytobib import bibfile, merge
from cytobib.citekey import make_key
from cytobib.errors import CrossrefError, UnknownKeyError, UsageError
from cytobib.library import Project
from cytobib.model import Entry, Issue, Location, Record, Severity

# Field order for entries cytobib creates.
FIELD_ORDER = (
    "author", "editor", "title", "journal", "shortjournal", "booktitle", "year", "month",
    "volume", "number", "pages", "doi", "issn", "isbn", "publisher", "address", "institution",
    "howpublished", "note", "url", "abstract", "update-status",
)  # fmt: skip
_NOT_MERGED = {"url"}  # Crossref's resolver URL adds nothing to an entry with a DOI


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
    parts = [status.kind, status.notice_doi or "", status.source or "", status.date or ""]
    return "; ".join(parts).rstrip("; ")


def incoming_fields(mapped: Any) -> dict[str, str]:
    out = {k: v for k, v in mapped.fields.items() if k not in _NOT_MERGED and v}
    status = update_status_value(mapped)
    if status:
        out["update-status"] = status
    return out


def ordered(fields: dict[str, str]) -> list[tuple[str, str]]:
    rank = {name: i for i, name in enumerate(FIELD_ORDER)}
    return sorted(fields.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


# --- add -----------------------------------------------------------------------------------------


@dataclass
class AddReport:
    added: list[tuple[str, str]] = field(default_factory=list)  # (key, doi)
    present: list[tuple[str, str]] = field(default_factory=list)  # (doi, existing key)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (doi as given, reason)
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (key, status)
    diff: str = ""


def add(
    project: Project,
    dois: Sequence[str],
    *,
    client: Any = None,
    dry_run: bool = False,
    stubs: bool = True,
) -> AddReport:
    """Create entries (and annotation stubs) for DOIs not yet in the library."""
    from cytobib.crossref import map_work, normalize_doi

    report = AddReport()
    by_doi = {r.entry.doi: r.key for r in project.library if r.entry.doi}
    wanted: dict[str, str] = {}
    for given in dois:
        try:
            doi = normalize_doi(given)
        except ValueError as exc:
            report.failed.append((given, str(exc)))
            continue
        if doi in by_doi:
            report.present.append((doi, by_doi[doi]))
        elif doi not in wanted:
            wanted[doi] = given
    if not wanted:
        return report
    client = client or client_for(project)
    results = client.works(list(wanted))
    taken = {r.key for r in project.library}
    new_entries: list[str] = []
    source = project.parsed.source
    for doi in wanted:
        result = results.get(doi)
        if isinstance(result, Exception) or result is None:
            report.failed.append((doi, _reason(result)))
            continue
        mapped = map_work(result)
        first = mapped.authors[0] if mapped.authors else None
        family = _family(first)
        year = _int(mapped.plain.get("year"))
        key = make_key(family, year, mapped.plain.get("title"), taken)
        taken.add(key)
        fields = incoming_fields(mapped)
        fields["doi"] = doi
        new_entries.append(
            bibfile.render_entry(mapped.entry_type, key, ordered(fields), source.newline)
        )
        report.added.append((key, doi))
        if fields.get("update-status"):
            report.flagged.append((key, fields["update-status"]))
    changes = [bibfile.Change(None, text) for text in new_entries]
    new_text = bibfile.apply_changes(source, changes)
    report.diff = _diff(source.text, new_text, source.path)
    if dry_run or not changes:
        return report
    bibfile.write_text(source, new_text)
    prov = merge.Provenance.load(project.config.root)
    for key, doi in report.added:
        prov.record(key, ["*"], f"crossref:{doi}")
    prov.save()
    if stubs:
        reparsed = bibfile.parse(dataclasses.replace(source, text=new_text))  # as just written
        entries = {e.key: e for e in reparsed.entries}
        from cytobib.project import schema_ref_for

        ref = schema_ref_for(project.config)
        for key, _ in report.added:
            entry = entries.get(key)
            if entry is not None and not ann.path_for(project.config.annotations, key).exists():
                ann.write_stub(project.config.annotations, entry, ref)
    return report


def _family(name: Any) -> str | None:
    """Family name of a mapped contributor: ``(family, given)``, or an organisation's name."""
    if isinstance(name, tuple):
        return str(name[0]) if name and name[0] else None
    return str(name) if isinstance(name, str) and name else None


def _int(value: Any) -> int | None:
    try:
        return int(str(value)[:4]) if value else None
    except ValueError:
        return None


def _reason(result: Any) -> str:
    if isinstance(result, CrossrefError):
        return result.message
    if isinstance(result, Exception):
        return str(result)
    return "no answer"


def _diff(old: str, new: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), path, path
        )
    )


# --- enrich --------------------------------------------------------------------------------------


@dataclass
class Match:
    key: str
    doi: str | None
    score: float
    reason: str
    candidates: list[tuple[float, str, str, str]] = field(
        default_factory=list
    )  # score,doi,title,year


@dataclass
class EnrichReport:
    plans: list[merge.Plan] = field(default_factory=list)
    not_found: list[tuple[str, str]] = field(default_factory=list)  # (key, doi)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (key, why not a DOI)
    matches: list[Match] = field(default_factory=list)  # searches for entries without DOI
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (key, update-status)
    diff: str = ""

    @property
    def conflicts(self) -> list[merge.Conflict]:
        return [c for p in self.plans for c in p.conflicts]

    @property
    def filled(self) -> dict[str, list[str]]:
        return {p.key: sorted(p.updates) for p in self.plans if p.updates}


def _select(project: Project, keys: Sequence[str] | None) -> list[Record]:
    if not keys:
        return list(project.library)
    out = []
    for key in keys:
        record = project.library.get(key)
        if record is None:
            raise UnknownKeyError(f"No entry has the key '{key}'.", hint="See `cytobib check`.")
        out.append(record)
    return out


def enrich(
    project: Project,
    keys: Sequence[str] | None = None,
    *,
    client: Any = None,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dry_run: bool = False,
    dismiss: bool = False,
    search: bool = True,
) -> EnrichReport:
    """Fill missing fields from Crossref, report conflicts, flag retractions; see module doc."""
    from cytobib.crossref import best_match, map_work

    if overwrite and accept:
        raise UsageError("--overwrite already accepts every field; drop --accept.")
    records = _select(project, keys)
    prov = merge.Provenance.load(project.config.root)
    report = EnrichReport()
    client = client or client_for(project)
    with_doi = [r for r in records if r.entry.doi]
    without = [r for r in records if not r.entry.doi]
    messages: dict[str, Any] = {}
    if with_doi:
        results = client.works([r.entry.doi for r in with_doi])
        for record in with_doi:
            result = results.get(record.entry.doi)
            if isinstance(result, Exception) or result is None:
                from cytobib.errors import CrossrefNotFound

                if isinstance(result, CrossrefNotFound):
                    report.not_found.append((record.key, record.entry.doi))
                elif isinstance(result, ValueError):  # not a DOI: nothing was asked
                    report.invalid.append((record.key, str(result)))
                else:
                    report.failed.append((record.key, _reason(result)))
                continue
            messages[record.key] = result
    if search:
        for record in without:
            entry = record.entry
            if not entry.title:
                continue
            family = entry.authors[0].last if entry.authors else None
            query = " ".join(str(x) for x in (entry.title, family, entry.year) if x)
            try:
                candidates = client.search(query, rows=2)
            except CrossrefError as exc:
                report.failed.append((record.key, exc.message))
                continue
            result = best_match(entry.title, family, entry.year, candidates)
            listed = [
                (
                    score,
                    str(c.get("DOI", "")),
                    " ".join(c.get("title") or [""]),
                    str((c.get("issued") or {}).get("date-parts", [[""]])[0][0]),
                )
                for score, c in result.candidates
            ]
            top = result.candidates[0][0] if result.candidates else 0.0
            if result.accepted is not None:
                messages[record.key] = result.accepted
                report.matches.append(
                    Match(
                        record.key,
                        str(result.accepted.get("DOI", "")).lower(),
                        top,
                        result.reason,
                        listed,
                    )
                )
            else:
                report.matches.append(Match(record.key, None, top, result.reason, listed))
    changes: list[bibfile.Change] = []
    for record in records:
        message = messages.get(record.key)
        if message is None:
            continue
        mapped = map_work(message)
        incoming = incoming_fields(mapped)
        if not record.entry.doi and mapped.doi:
            incoming["doi"] = mapped.doi
        status = incoming.pop("update-status", None)
        plan = merge.plan(
            record.entry,
            incoming,
            source="crossref",
            accept=accept,
            overwrite=overwrite,
            dismissed=prov.dismissed,
        )
        updates = dict(plan.updates)
        if status and status != record.entry.fields.get("update-status"):
            updates["update-status"] = status
            report.flagged.append((record.key, status))
        plan = merge.Plan(plan.key, updates, plan.conflicts, plan.dismissed)
        report.plans.append(plan)
        if updates:
            changes.append(_change(record.entry, updates, project))
    source = project.parsed.source
    new_text = bibfile.apply_changes(source, changes) if changes else source.text
    report.diff = _diff(source.text, new_text, source.path)
    if dry_run:
        return report
    if changes:
        bibfile.write_text(source, new_text)
        for plan in report.plans:
            if plan.updates:
                prov.record(plan.key, list(plan.updates), "crossref")
    if dismiss:
        prov.dismiss(report.conflicts)
    if changes or dismiss:
        prov.save()
    return report


def _change(entry: Entry, updates: dict[str, str], project: Project) -> bibfile.Change:
    raw = bibfile.edit_fields(entry.raw, updates, project.parsed.source.newline)
    return bibfile.Change(entry.span, raw)


# --- verify ------------------------------------------------------------------------------


def verify_online(
    project: Project,
    *,
    offline: bool = False,
    client: Any = None,
    progress: bool = False,
) -> list[Issue]:
    """`check --online`: every DOI resolves and agrees with the entry; retractions flagged."""
    from rapidfuzz import fuzz

    from cytobib.crossref import map_work
    from cytobib.errors import CrossrefNotFound

    issues: list[Issue] = []
    bib = project.parsed.source.path
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
    for record in records:
        entry = record.entry
        loc = Location(bib, entry.line)
        result = results.get(entry.doi)
        if isinstance(result, CrossrefNotFound):
            issues.append(
                Issue(
                    Severity.ERROR,
                    "doi-not-found",
                    f"Crossref does not know DOI {entry.doi} of '{entry.key}'.",
                    entry.key,
                    loc,
                    "Check the DOI on the publisher's page; DataCite "
                    "DOIs (Zenodo, arXiv) are not in Crossref.",
                )
            )
            continue
        if isinstance(result, Exception) or result is None:
            issues.append(
                Issue(
                    Severity.WARNING,
                    "doi-unchecked",
                    f"Could not check DOI {entry.doi} of '{entry.key}': {_reason(result)}",
                    entry.key,
                    loc,
                    "Run again later, or without --offline.",
                )
            )
            continue
        mapped = map_work(result)
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
            kind = status.split(";")[0]
            code = {"retracted": "retracted", "concern": "expression-of-concern"}.get(
                kind, "corrected"
            )
            issues.append(
                Issue(
                    Severity.ERROR if kind == "retracted" else Severity.WARNING,
                    code,
                    f"Crossref reports '{entry.key}' as {kind} ({status}).",
                    entry.key,
                    loc,
                    f"Run `cytobib enrich {entry.key}` to record the flag in the "
                    "entry, and read the notice before citing.",
                )
            )
    return issues


def _disagreements(entry: Entry, mapped: Any, ratio: Callable[[str, str], float]) -> list[str]:
    out = []
    theirs_title = mapped.plain.get("title", "")
    if entry.title and theirs_title and ratio(entry.title.lower(), theirs_title.lower()) < 85:
        out.append(f"title {theirs_title!r}")
    year = _int(mapped.plain.get("year"))
    if entry.year and year and abs(entry.year - year) > 1:
        out.append(f"year {year}")
    first = _family(mapped.authors[0]) if mapped.authors else None
    if entry.authors and first:
        mine = merge.normalise("title", entry.authors[0].family)
        theirs = merge.normalise("title", first)
        if mine and theirs and theirs != mine and ratio(mine, theirs) < 85:
            out.append(f"first author {first!r}")
    return out


def format_conflicts(conflicts: Iterable[merge.Conflict]) -> list[str]:
    lines = []
    for c in conflicts:
        lines.append(f"{c.key}.{c.field}:")
        lines.append(f"    library:  {c.ours}")
        lines.append(f"    {c.source}: {c.theirs}")
    return lines
