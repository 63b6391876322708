"""``cytobib add``: new entries (and annotation stubs) for DOIs not yet in the library.

As for import and enrich: the request is worked out from the project (:func:`wanted`),
Crossref is asked, a plan is made from the answers without writing anything
(:func:`plan_add`), and only :func:`apply_add` writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cytobib import annotations as ann
from cytobib import bibfile, merge
from cytobib.citekey import make_key
from cytobib.library import Project
from cytobib.lock import locked
from cytobib.online.common import (
    client_for,
    family,
    incoming_fields,
    ordered,
    reason,
    unified_diff,
    year_of,
)


@dataclass(frozen=True)
class AddRequest:
    """The DOIs to ask Crossref for (canonical -> as given), and the rest with the reason."""

    wanted: Mapping[str, str]
    present: tuple[tuple[str, str], ...] = ()  # (doi, existing key)
    failed: tuple[tuple[str, str], ...] = ()  # (doi as given, reason)


@dataclass(frozen=True)
class AddReport:
    """What adding the DOIs does (or, with ``dry_run``, would do) to library.bib."""

    source: bibfile.BibText
    new_text: str
    added: tuple[tuple[str, str], ...] = ()  # (key, doi)
    present: tuple[tuple[str, str], ...] = ()  # (doi, existing key)
    failed: tuple[tuple[str, str], ...] = ()  # (doi as given, reason)
    flagged: tuple[tuple[str, str], ...] = ()  # (key, status)
    entries: tuple[bibfile.NewEntry, ...] = ()

    @property
    def diff(self) -> str:
        return unified_diff(self.source.text, self.new_text, self.source.path)


def wanted(project: Project, dois: Sequence[str]) -> AddRequest:
    """Normalise the DOIs; those already in the library (or given twice) are not asked for."""
    from cytobib.crossref import normalize_doi

    by_doi = {r.entry.doi: r.key for r in project.library if r.entry.doi}
    asked: dict[str, str] = {}
    present: list[tuple[str, str]] = []
    failed: list[tuple[str, str]] = []
    for given in dois:
        try:
            doi = normalize_doi(given)
        except ValueError as exc:
            failed.append((given, str(exc)))
            continue
        if doi in by_doi:
            present.append((doi, by_doi[doi]))
        elif doi not in asked:
            asked[doi] = given
    return AddRequest(asked, tuple(present), tuple(failed))


def plan_add(project: Project, request: AddRequest, results: Mapping[str, Any]) -> AddReport:
    """New entries for the works Crossref returned, keyed in the library's scheme."""
    from cytobib.crossref import map_work

    source = project.parsed.source
    taken = {r.key for r in project.library}
    new: list[bibfile.NewEntry] = []
    added: list[tuple[str, str]] = []
    failed = list(request.failed)
    flagged: list[tuple[str, str]] = []
    for doi in request.wanted:
        result = results.get(doi)
        if isinstance(result, Exception) or result is None:
            failed.append((doi, reason(result)))
            continue
        mapped = map_work(result)
        first = mapped.authors[0] if mapped.authors else None
        key = make_key(
            family(first), year_of(mapped.plain.get("year")), mapped.plain.get("title"), taken
        )
        taken.add(key)
        fields = incoming_fields(mapped)
        fields["doi"] = doi
        new.append(bibfile.NewEntry(mapped.entry_type, key, tuple(ordered(fields)), doi))
        added.append((key, doi))
        if fields.get("update-status"):
            flagged.append((key, fields["update-status"]))
    changes = [
        bibfile.Change(None, bibfile.render_entry(n.type, n.key, n.fields, source.newline))
        for n in new
    ]
    new_text = bibfile.apply_changes(source, changes)
    return AddReport(
        source,
        new_text,
        tuple(added),
        request.present,
        tuple(failed),
        tuple(flagged),
        tuple(new),
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
        for key, doi in report.added:
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
    dois: Sequence[str],
    *,
    client: Any = None,
    dry_run: bool = False,
    stubs: bool = True,
) -> AddReport:
    """Create entries (and annotation stubs) for DOIs not yet in the library."""
    request = wanted(project, dois)
    if not request.wanted:
        source = project.parsed.source
        return AddReport(source, source.text, (), request.present, request.failed)
    client = client or client_for(project)
    report = plan_add(project, request, client.works(list(request.wanted)))
    if not dry_run:
        report = apply_add(project, report, stubs=stubs)
    return report
