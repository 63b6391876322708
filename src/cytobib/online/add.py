"""``cytobib add``: new entries (and annotation stubs) for works not yet in the library,
named by DOI, PMID (``PMID:24907378`` or the bare number) or PMCID (``PMC7616710``), in any mix.

As for import and enrich: the request is worked out from the project (:func:`wanted`),
PubMed and Crossref are asked (:func:`ask_sources`: PMCIDs become PMIDs through the PMC ID
Converter, PMIDs bring their DOIs, DOIs their PMIDs), a plan is made from the answers without
writing anything (:func:`plan_add`; each field from the source :func:`cytobib.merge.prefer`
picks), and only :func:`apply_add` writes. A work either source knows is added; a source that
fails only loses its own fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cytobib import annotations as ann
from cytobib import bibfile, merge
from cytobib.citekey import make_key
from cytobib.doi import is_valid_doi, normalize_doi
from cytobib.library import Project
from cytobib.lock import locked
from cytobib.online.common import (
    client_for,
    family,
    incoming_fields,
    ordered,
    pubmed_fields,
    reason,
    strongest_status,
    unified_diff,
    year_of,
)


@dataclass(frozen=True)
class AddRequest:
    """The works to ask for: DOIs (canonical -> as given), PMIDs and PMCIDs (-> as given);
    the rest with the reason."""

    wanted: Mapping[str, str]
    present: tuple[tuple[str, str], ...] = ()  # (id, existing key)
    failed: tuple[tuple[str, str], ...] = ()  # (id as given, reason)
    pmids: Mapping[str, str] = dataclasses.field(default_factory=dict)
    pmcids: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Sources:
    """What PubMed and Crossref said for an :class:`AddRequest`."""

    messages: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # DOI -> work | error
    records: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # PMID -> record | error
    pmids: Mapping[str, str] = dataclasses.field(default_factory=dict)  # DOI or PMCID -> PMID
    problems: tuple[str, ...] = ()  # a source that failed as a whole: why


@dataclass(frozen=True)
class AddReport:
    """What adding the DOIs does (or, with ``dry_run``, would do) to library.bib."""

    source: bibfile.BibText
    new_text: str
    added: tuple[tuple[str, str], ...] = ()  # (key, DOI or PMID:n)
    present: tuple[tuple[str, str], ...] = ()  # (id, existing key)
    failed: tuple[tuple[str, str], ...] = ()  # (id as given, reason)
    flagged: tuple[tuple[str, str], ...] = ()  # (key, status)
    entries: tuple[bibfile.NewEntry, ...] = ()
    origins: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    """Planned key -> field -> ``crossref:DOI`` or ``pubmed:PMID``."""
    problems: tuple[str, ...] = ()

    @property
    def diff(self) -> str:
        return unified_diff(self.source.text, self.new_text, self.source.path)


def wanted(project: Project, ids: Sequence[str]) -> AddRequest:
    """Sort the ids into DOIs, PMIDs and PMCIDs; those already in the library (or given
    twice) are not asked for."""
    from cytobib.crossref import normalize_doi
    from cytobib.online.pubmed import entry_ids, pmcid_of, pmid_of

    by_doi = {r.entry.doi: r.key for r in project.library if r.entry.doi}
    by_pmid: dict[str, str] = {}
    by_pmcid: dict[str, str] = {}
    for record in project.library:
        pmid, pmcid, _ = entry_ids(record.entry)
        if pmid:
            by_pmid.setdefault(pmid, record.key)
        if pmcid:
            by_pmcid.setdefault(pmcid, record.key)
    asked: dict[str, str] = {}
    pmids: dict[str, str] = {}
    pmcids: dict[str, str] = {}
    present: list[tuple[str, str]] = []
    failed: list[tuple[str, str]] = []
    for given in ids:
        pmid, pmcid = pmid_of(given), pmcid_of(given)
        if pmid is not None:
            if pmid in by_pmid:
                present.append((f"PMID:{pmid}", by_pmid[pmid]))
            else:
                pmids.setdefault(pmid, given)
            continue
        if pmcid is not None:
            if pmcid in by_pmcid:
                present.append((pmcid, by_pmcid[pmcid]))
            else:
                pmcids.setdefault(pmcid, given)
            continue
        try:
            doi = normalize_doi(given)
        except ValueError as exc:
            failed.append(
                (given, f"{exc} It is not a PMID (PMID:24907378) or PMCID (PMC123) either.")
            )
            continue
        if doi in by_doi:
            present.append((doi, by_doi[doi]))
        elif doi not in asked:
            asked[doi] = given
    return AddRequest(asked, tuple(present), tuple(failed), pmids, pmcids)


def ask_sources(request: AddRequest, client: Any, pubmed: Any) -> Sources:
    """Ask PubMed (unless ``pubmed`` is False) and Crossref for the request's works."""
    from cytobib.errors import CrossrefUnavailable, PubMedError

    records: dict[str, Any] = {}
    pmids: dict[str, str] = {}
    problems: list[str] = []
    if pubmed is not False and (request.pmids or request.pmcids or request.wanted):
        try:
            if request.pmcids:
                for pmcid, value in pubmed.convert(list(request.pmcids), "pmcid").items():
                    if isinstance(value, Exception):
                        records[pmcid] = value
                    elif value.pmid:
                        pmids[pmcid] = value.pmid
                    else:
                        records[pmcid] = ValueError(
                            f"PubMed Central does not know {pmcid} ({value.error})."
                        )
            if request.wanted:
                for doi, value in pubmed.pmids_for_dois(list(request.wanted)).items():
                    if isinstance(value, str) and value:
                        pmids[doi] = value
            asked = list(dict.fromkeys([*request.pmids, *pmids.values()]))
            records.update(pubmed.records(asked) if asked else {})
        except PubMedError as exc:
            problems.append(f"PubMed: {exc.message}")
    dois = list(request.wanted)
    for pmid in [*request.pmids, *(pmids[p] for p in request.pmcids if p in pmids)]:
        record = records.get(pmid)
        doi = getattr(record, "doi", "")
        if doi and is_valid_doi(doi) and normalize_doi(doi) not in dois:
            dois.append(normalize_doi(doi))
    messages: dict[str, Any] = {}
    if dois:
        try:
            messages = client.works(dois)
        except CrossrefUnavailable as exc:
            if not any(not isinstance(r, Exception) for r in records.values()):
                raise
            problems.append(f"Crossref: {exc.message}")
    return Sources(messages, records, pmids, tuple(problems))


@dataclass(frozen=True)
class _Work:
    """One work to add: how it was asked for, and what each source said."""

    given: str
    doi: str | None
    message: Any
    record: Any


def _works(
    project: Project, request: AddRequest, sources: Sources
) -> tuple[list[_Work], list[tuple[str, str]]]:
    """The works to add, each once, and those found to be in the library already."""
    by_doi = {r.entry.doi: r.key for r in project.library if r.entry.doi}
    works: list[_Work] = []
    present: list[tuple[str, str]] = []
    seen: set[str] = set()
    for doi, given in request.wanted.items():
        pmid = sources.pmids.get(doi)
        works.append(
            _Work(
                given, doi, sources.messages.get(doi), sources.records.get(pmid) if pmid else None
            )
        )
        seen.add(doi)
    asked = [(pmid, given, pmid) for pmid, given in request.pmids.items()]
    asked += [
        (sources.pmids.get(pmcid, pmcid), given, pmcid) for pmcid, given in request.pmcids.items()
    ]
    for pmid, given, _ in asked:
        record = sources.records.get(pmid)
        raw = getattr(record, "doi", "")
        found = normalize_doi(raw) if raw and is_valid_doi(raw) else None
        if found and found in by_doi:
            present.append((found, by_doi[found]))
            continue
        if (found or pmid) in seen:
            continue
        seen.add(found or pmid)
        works.append(_Work(given, found, sources.messages.get(found) if found else None, record))
    return works, present


def plan_add(
    project: Project,
    request: AddRequest,
    results: Mapping[str, Any],
    sources: Sources | None = None,
) -> AddReport:
    """New entries for the works PubMed or Crossref returned, keyed in the library's scheme;
    ``results`` are Crossref's answers by DOI (``sources.messages`` when ``sources`` given)."""
    from cytobib.crossref import map_work
    from cytobib.pubmed.fields import map_record
    from cytobib.pubmed.records import PubMedRecord

    sources = sources or Sources(messages=results)
    if not sources.messages and results:
        sources = dataclasses.replace(sources, messages=results)
    source = project.parsed.source
    taken = {r.key for r in project.library}
    new: list[bibfile.NewEntry] = []
    added: list[tuple[str, str]] = []
    failed = list(request.failed)
    flagged: list[tuple[str, str]] = []
    origins: dict[str, dict[str, str]] = {}
    works, present = _works(project, request, sources)
    for work in works:
        message = (
            work.message
            if work.message is not None and not isinstance(work.message, Exception)
            else None
        )
        record = work.record if isinstance(work.record, PubMedRecord) else None
        if message is None and record is None:
            failed.append(
                (work.given, reason(work.message if work.message is not None else work.record))
            )
            continue
        offers: dict[str, dict[str, str]] = {}
        statuses: list[str | None] = []
        family_name, year, title = None, None, None
        entry_type = "article"
        if record is not None:
            offers["pubmed"] = pubmed_fields(record)
            statuses.append(offers["pubmed"].pop("update-status", None))
            mapped_pm = map_record(record)
            family_name, year, title = mapped_pm.first_family, record.year, mapped_pm.plain_title
            entry_type = mapped_pm.entry_type
        if message is not None:
            mapped = map_work(message)
            offers["crossref"] = incoming_fields(mapped)
            statuses.append(offers["crossref"].pop("update-status", None))
            first = mapped.authors[0] if mapped.authors else None
            family_name = family(first) or family_name
            year = year_of(mapped.plain.get("year")) or year
            title = mapped.plain.get("title") or title
            entry_type = mapped.entry_type
        key = make_key(family_name, year, title, taken)
        taken.add(key)
        chosen = merge.prefer(offers)
        fields: dict[str, str] = {}
        origin: dict[str, str] = {}
        label = {
            "crossref": f"crossref:{work.doi}",
            "pubmed": f"pubmed:{getattr(record, 'pmid', '')}",
        }
        for name_of_source, part in chosen.items():
            fields.update(part)
            origin.update(dict.fromkeys(part, label[name_of_source]))
        if work.doi:
            fields["doi"] = work.doi
        status = strongest_status(statuses)
        if status:
            fields["update-status"] = status
            flagged.append((key, status))
        new.append(bibfile.NewEntry(entry_type, key, tuple(ordered(fields)), work.doi or ""))
        added.append((key, work.doi or f"PMID:{record.pmid if record else ''}"))
        origins[key] = origin
    changes = [
        bibfile.Change(None, bibfile.render_entry(n.type, n.key, n.fields, source.newline))
        for n in new
    ]
    new_text = bibfile.apply_changes(source, changes)
    return AddReport(
        source,
        new_text,
        tuple(added),
        request.present + tuple(present),
        tuple(failed),
        tuple(flagged),
        tuple(new),
        origins,
        sources.problems,
    )


def apply_add(project: Project, report: AddReport, *, stubs: bool = True) -> AddReport:
    """Write the new entries, their provenance and (with ``stubs``) annotation stubs, under
    the project's write lock. Returns the report as written: a key taken meanwhile by another
    command gets the next free suffix, and a DOI added meanwhile is ``present``.

    Raises:
        LibraryStateError: library.bib kept changing while it was being written.
        WriteError: a file could not be written (the message says which were).
    """
    if not report.added:
        return report
    root = project.config.root
    with locked(root):
        written = bibfile.update(
            report.source, bibfile.Edits(new=report.entries), root=root, planned=report.new_text
        )
        report = _as_written(report, written)
        prov = merge.Provenance.load(root)
        planned = {new: old for old, new in written.keys.items()}
        for key, doi in report.added:
            origin = report.origins.get(planned.get(key, key), {})
            for label in dict.fromkeys(origin.values()):
                prov.record(key, [n for n, v in origin.items() if v == label], label)
            if not origin:
                prov.record(key, ["*"], f"crossref:{doi}")
        prov.save(after=report.source.path)
        if stubs:
            _stubs(project, report, written.text)
    return report


def _as_written(report: AddReport, written: bibfile.Written) -> AddReport:
    """The report with the keys the entries got, and works added meanwhile as present."""
    added = [(written.keys[k], doi) for k, doi in report.added if k in written.keys]
    present = [
        (doi, s.existing)
        for k, doi in report.added
        for s in written.skipped
        if s.key == k and s.existing
    ]
    flagged = [(written.keys[k], status) for k, status in report.flagged if k in written.keys]
    return dataclasses.replace(
        report,
        new_text=written.text,
        added=tuple(added),
        present=report.present + tuple(present),
        flagged=tuple(flagged),
    )


def _stubs(project: Project, report: AddReport, text: str) -> None:
    """Annotation stubs for the entries added (an existing file is never replaced)."""
    reparsed = bibfile.parse(dataclasses.replace(report.source, text=text))
    entries = {e.key: e for e in reparsed.entries}
    from cytobib.project import ensure_local_schema, schema_ref_for

    ensure_local_schema(project.config)
    ref = schema_ref_for(project.config)
    for key, _ in report.added:
        entry = entries.get(key)
        if entry is not None and not ann.path_for(project.config.annotations, key).exists():
            ann.write_stub(project.config.annotations, entry, ref)


def add(
    project: Project,
    ids: Sequence[str],
    *,
    client: Any = None,
    pubmed: Any = None,
    dry_run: bool = False,
    stubs: bool = True,
) -> AddReport:
    """Create entries (and annotation stubs) for DOIs, PMIDs and PMCIDs not yet in the
    library. ``pubmed``: a PubMed client (default: the project's), or False for Crossref only.

    Raises:
        CrossrefUnavailable: Crossref failed and PubMed gave nothing either.
    """
    from cytobib.online.pubmed import pubmed_client_for

    request = wanted(project, ids)
    if not (request.wanted or request.pmids or request.pmcids):
        source = project.parsed.source
        return AddReport(source, source.text, (), request.present, request.failed)
    client = client or client_for(project)
    if pubmed is None:
        pubmed = pubmed_client_for(project)
    sources = ask_sources(request, client, pubmed)
    report = plan_add(project, request, sources.messages, sources)
    if not dry_run:
        report = apply_add(project, report, stubs=stubs)
    return report
