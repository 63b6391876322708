"""The library API: one function for each ``cytobib`` command, so ``import cytobib`` does all
the command line does (every command is a thin shell over its function here, or over the
module function :mod:`cytobib` re-exports: ``reading_list``, ``build``...).

======================  =========================================================
command                 library function
======================  =========================================================
``cytobib init``        :func:`cytobib.init`
``cytobib check``       :func:`check` -> :class:`CheckReport`
``cytobib annotate``    :func:`cytobib.write_stubs`
``cytobib list``        :func:`cytobib.list_works` -> :class:`~cytobib.listing.Listing`
``cytobib show``        :func:`cytobib.show` -> :class:`~cytobib.listing.Shown`
``cytobib edit``        :func:`cytobib.edit` -> :class:`~cytobib.editing.EditResult`
``cytobib add``         :func:`add`
``cytobib enrich``      :func:`enrich`
``cytobib suggest``     :func:`suggest` -> :class:`cytobib.online.suggest.SuggestReport`
``cytobib reading-list`` :func:`cytobib.reading_list`, then :func:`render`
``cytobib review-table`` :func:`cytobib.review_table`, then :func:`render`
``cytobib evidence-map`` :func:`cytobib.evidence_map`, then :func:`render`
``cytobib export``      :func:`export`
``cytobib import``      :func:`import_file`
``cytobib build``       :func:`cytobib.build`
``cytobib cache info``  :func:`cytobib.cache_info` (:func:`cytobib.store.info`)
``cytobib cache clear`` :func:`cytobib.clear_cache` (:func:`cytobib.store.clear`)
``cytobib zotero push`` :func:`zotero_push`
``cytobib zotero pull`` :func:`zotero_pull`
``cytobib zotero status`` :func:`zotero_status`
======================  =========================================================

``tests/test_docs.py`` keeps this table honest: a command without a function fails it.

The output commands reuse their last output when none of its inputs changed
(:func:`cytobib.outputs.produce`, which loads the project only when it must make the output);
:func:`cytobib.build` does so for each file it writes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from cytobib import gate, views
from cytobib.exports import (
    ExportOptions,
    ExportResult,
    NotesLevel,
    export_library,
    find_exporter,
    parse_facets,
)
from cytobib.importer import ImportPlan, apply_import, plan_import
from cytobib.library import Project
from cytobib.model import Issue, Severity
from cytobib.online import AddReport, EnrichPlan, client_for
from cytobib.rendering import RenderContext, context
from cytobib.views import EvidenceMap, ReadingList, Table

FAIL_ON = ("error", "warning", "never")


@dataclass(frozen=True)
class CheckReport:
    """What ``cytobib check`` reports: every issue, and the size of the library."""

    library: str
    entries: int
    annotated: int
    issues: tuple[Issue, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Issues by severity: ``{"error": n, "warning": n, "info": n}``."""
        out = {"error": 0, "warning": 0, "info": 0}
        for issue in self.issues:
            out[str(issue.severity)] += 1
        return out

    def fails(self, fail_on: str = "error") -> bool:
        """Whether an issue is at or above ``fail_on`` (``error``, ``warning``; ``never``)."""
        threshold = {"error": Severity.ERROR, "warning": Severity.WARNING}.get(fail_on)
        return threshold is not None and any(i.severity >= threshold for i in self.issues)

    def as_dict(self) -> dict[str, Any]:
        """The report as ``cytobib check --format json`` writes it."""
        return {
            "library": self.library,
            "entries": self.entries,
            "annotated": self.annotated,
            "summary": self.counts,
            "issues": [i.as_dict() for i in self.issues],
        }


def check(
    project: Project, *, online: bool = False, offline: bool = False, client: Any = None
) -> CheckReport:
    """Everything wrong or missing in the library: what loading and the offline checks found,
    and with ``online`` what Crossref says of every DOI (``offline``: cached answers only)."""
    issues = list(project.library.issues)
    if online:
        from cytobib.online import verify_online

        issues.extend(verify_online(project, offline=offline, client=client))
    return CheckReport(
        library=str(project.config.bib),
        entries=len(project.library),
        annotated=sum(1 for r in project.library if r.annotation),
        issues=tuple(issues),
    )


def reading_list(project: Project, *, keep_going: bool = False, **options: Any) -> ReadingList:
    """The annotated reading list (``cytobib reading-list``): :func:`cytobib.views.reading_list`
    with its options (``style``, ``where``, ``group_by``, ``sort``, ``sections``...), once
    every annotation file is known to be usable.

    Raises:
        UnusableAnnotations: an annotation file cannot be used; with ``keep_going`` the list
            is built without it and says so at its top (``notices``).
    """
    notices = gate.require(project, keep_going=keep_going)
    return _noticed(views.reading_list(project, **options), notices)


def review_table(project: Project, *, keep_going: bool = False, **options: Any) -> Table:
    """A review-table draft (``cytobib review-table``): :func:`cytobib.views.review_table`
    with its options, once every annotation file is known to be usable (as
    :func:`reading_list`)."""
    notices = gate.require(project, keep_going=keep_going)
    return _noticed(views.review_table(project, **options), notices)


def evidence_map(project: Project, *, keep_going: bool = False, **options: Any) -> EvidenceMap:
    """Agents against cancers or evidence levels (``cytobib evidence-map``):
    :func:`cytobib.views.evidence_map` with its options, once every annotation file is known
    to be usable (as :func:`reading_list`)."""
    notices = gate.require(project, keep_going=keep_going)
    return _noticed(views.evidence_map(project, **options), notices)


V = TypeVar("V", ReadingList, Table, EvidenceMap)


def _noticed(view: V, notices: tuple[str, ...]) -> V:
    return dataclasses.replace(view, notices=notices) if notices else view


def render(
    view: Any, fmt: str | Any = "md", *, ctx: RenderContext | None = None, **options: Any
) -> str | bytes:
    """A view (reading list, review table, evidence map) in a format given by name, alias or
    format object: ``cytobib.render(table, "html")``.

    The rendering context (templates, vocabulary, caches) comes from the project the view was
    built from, unless ``ctx`` is given; ``options`` are format options (``bom=True`` for CSV).

    Raises:
        UnknownFormatError: no such format, or it cannot write this kind of view.
    """
    from cytobib import rendering
    from cytobib.formats import registry

    fmt_obj = registry.get(fmt) if isinstance(fmt, str) else fmt
    if ctx is None:
        ctx = _context_of(view, options)
    return rendering.render(view, fmt_obj, ctx)


def _context_of(view: Any, options: dict[str, Any]) -> RenderContext:
    project: Project | None = getattr(view, "project", None)
    if project is not None:
        return context(project, **options)
    from cytobib.vocabulary import build

    return RenderContext(None, build(), dict(options))


def export(
    project: Project,
    to: str | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    where: str | None = None,
    notes: str = "full",
    tags: str = "all",
    ascii: bool = False,
    keep_going: bool = False,
) -> ExportResult:
    """The library (or the records ``where`` selects) as BibTeX, BibLaTeX, CSL-JSON or RIS,
    notes and tags included: the format by name (``to``), else from ``path``'s suffix.

    ``notes`` is ``none``, ``summary`` or ``full``; ``tags`` the facets to tag, comma-separated
    (``agents,cancers,evidence,tags,status``, or ``all``, ``none``). ``ascii`` (BibTeX and
    BibLaTeX): LaTeX escapes only where every reader decodes them alike; the rest stays UTF-8
    and is named in the result's ``warnings``.

    Raises:
        UnknownFormatError: no format by that name or suffix.
        UsageError: a bad ``notes`` or ``tags`` value, or a ``where`` that does not parse.
        UnusableAnnotations: an annotation file cannot be used (with ``keep_going`` its work
            is exported without notes; no export format has room for a warning).
    """
    from cytobib.errors import UsageError

    try:
        level = NotesLevel(notes)
    except ValueError:
        raise UsageError(
            f"Unknown notes level '{notes}'.", hint="Use none, summary or full."
        ) from None
    options = ExportOptions(notes=level, facets=parse_facets(tags), ascii=ascii)
    find_exporter(to, path=path)  # a format it cannot tell is a usage error before the notes
    gate.require(project, keep_going=keep_going)
    return export_library(
        project.library,
        to=to,
        path=path,
        where=where,
        vocabulary=project.vocabulary,
        options=options,
    )


def import_file(
    project: Project,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dry_run: bool = False,
    keep_going: bool = False,
) -> ImportPlan:
    """Merge a BibTeX or RIS file into the library (``cytobib import``): plan, then (unless
    ``dry_run``) apply. The plan says what was added, filled, left as a conflict, stubbed.

    Raises:
        InputError, UnknownFormatError: the file cannot be read, or its format told.
        UnreadableImport: parts of the file cannot be read (nothing is written; with
            ``keep_going`` the rest is imported and the plan's issues name them).
        LibraryStateError: library.bib changed on disk meanwhile (nothing is written).
    """
    from cytobib.importer import require_readable

    plan = plan_import(project, path, fmt=fmt, accept=accept, overwrite=overwrite)
    if not keep_going:
        require_readable(plan)
    if not dry_run:
        apply_import(project, plan)
    return plan


def add(
    project: Project,
    ids: Sequence[str],
    *,
    dry_run: bool = False,
    offline: bool = False,
    refresh: bool = False,
    progress: bool = False,
    client: Any = None,
    pubmed: Any = None,
) -> AddReport:
    """Add works by DOI, PMID (``PMID:24907378``) or PMCID (``PMC7616710``), in any mix
    (``cytobib add``): a new entry and an annotation stub for each work the library does not
    have, from PubMed and Crossref. ``offline``: cached answers only; ``refresh``: ask again;
    ``pubmed=False``: Crossref only."""
    from cytobib.online import add as add_works
    from cytobib.online import pubmed_client_for

    client = client or client_for(project, offline=offline, refresh=refresh, progress=progress)
    if pubmed is None:
        pubmed = pubmed_client_for(project, offline=offline, refresh=refresh)
    return add_works(project, ids, client=client, pubmed=pubmed, dry_run=dry_run)


def enrich(
    project: Project,
    keys: Sequence[str] | None = None,
    *,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dismiss: bool = False,
    search: bool = True,
    dry_run: bool = False,
    offline: bool = False,
    refresh: bool = False,
    progress: bool = False,
    client: Any = None,
    pubmed: Any = None,
) -> EnrichPlan:
    """Fill the fields entries lack from Crossref and PubMed (``cytobib enrich``): pmid,
    pmcid, abstract, ISO abbreviation and MeSH keywords preferably from PubMed, the rest from
    Crossref; conflicts reported, applied only for ``accept``-ed fields (or all with
    ``overwrite``); retractions, concerns and errata flagged. ``pubmed=False``: Crossref only."""
    from cytobib.online import enrich as enrich_entries
    from cytobib.online import pubmed_client_for

    client = client or client_for(project, offline=offline, refresh=refresh, progress=progress)
    if pubmed is None:
        pubmed = pubmed_client_for(project, offline=offline, refresh=refresh)
    return enrich_entries(
        project,
        keys,
        client=client,
        accept=accept,
        overwrite=overwrite,
        dry_run=dry_run,
        dismiss=dismiss,
        search=search,
        pubmed=pubmed,
    )


def suggest(
    project: Project,
    keys: Sequence[str] | None = None,
    *,
    where: str | None = None,
    write: bool = False,
    accept: bool = False,
    offline: bool = False,
    refresh: bool = False,
    pubmed: Any = None,
) -> Any:
    """Annotation drafts from PubMed (``cytobib suggest``): agents, cancers and study type
    from MeSH and publication types, claim drafts from the abstract's numbers, each with its
    evidence. ``write`` fills only the empty fields of each annotation, marked ``suggested``;
    ``accept`` confirms suggestions already written (removes the mark)."""
    from cytobib.online import pubmed_client_for
    from cytobib.online.suggest import suggest as run

    if pubmed is None and not accept:
        pubmed = pubmed_client_for(project, offline=offline, refresh=refresh)
    return run(project, keys, where=where, write=write, accept=accept, pubmed=pubmed)


def zotero_push(
    project: Project,
    *,
    library: str | None = None,
    collection: str | None = None,
    dry_run: bool = False,
    overwrite: bool = False,
    prune: bool = False,
    progress: bool = False,
    client: Any = None,
) -> Any:
    """Push the library's works, notes and tags into a Zotero library (``cytobib zotero
    push``): items created or updated in place, one cytobib note each, never a Zotero edit
    overwritten (``overwrite``: cytobib's side wins conflicts). Returns a
    :class:`cytobib.zotero.PushReport`.

    ``library``/``collection`` override ``[zotero]`` in cytobib.toml; ``prune`` deletes the
    items of works removed from library.bib; ``client`` is a :class:`cytobib.zotero.
    ZoteroClient` (default: the Web API with ``ZOTERO_API_KEY``).

    Raises:
        UsageError: no library set, or pyzotero missing. ZoteroError: the API failed.
    """
    from cytobib import zotero
    from cytobib.zotero.bars import bars

    zotero.require()
    settings = zotero.zotero_settings(project.config, library=library, collection=collection)
    client = client or zotero.ZoteroClient(settings, zotero.api_key(required=True))
    with bars(progress) as bar:
        return zotero.push(
            project, settings, client, dry_run=dry_run, overwrite=overwrite, prune=prune,
            progress=bar,
        )  # fmt: skip


def zotero_pull(
    project: Project,
    *,
    library: str | None = None,
    collection: str | None = None,
    local: bool = False,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dismiss: bool = False,
    prune: bool = False,
    dry_run: bool = False,
    progress: bool = False,
    client: Any = None,
) -> Any:
    """Bring new items and edits from a Zotero library into library.bib and annotations/
    (``cytobib zotero pull``), with the fill-only, report-conflicts rule of ``enrich`` and
    ``import`` (``accept``, ``overwrite``, ``dismiss``; ``accept=("note",)`` takes Zotero's
    note over an annotation edited on both sides). ``local`` reads Zotero 7's local API;
    ``prune`` removes entries whose items were deleted in Zotero. Returns a
    :class:`cytobib.zotero.PullReport` (``.diff`` for a dry run).

    Raises:
        UsageError: no library set, or pyzotero missing. ZoteroError: the API failed.
        LibraryStateError, WriteError: as ``import``.
    """
    from cytobib import zotero
    from cytobib.zotero.bars import bars

    zotero.require()
    settings = zotero.zotero_settings(
        project.config, library=library, collection=collection, local=local
    )
    if client is None:
        key = None if local else zotero.api_key(required=False)
        client = zotero.ZoteroClient(settings, key)
    with bars(progress) as bar:
        return zotero.pull(
            project, settings, client, accept=accept, overwrite=overwrite, dismiss=dismiss,
            prune=prune, dry_run=dry_run, progress=bar,
        )  # fmt: skip


def zotero_status(
    project: Project,
    *,
    library: str | None = None,
    collection: str | None = None,
    local: bool = False,
    offline: bool = False,
    client: Any = None,
) -> Any:
    """What ``zotero push`` would send and ``zotero pull`` would bring (``cytobib zotero
    status``); ``offline``: the push side only, without asking Zotero. Returns a
    :class:`cytobib.zotero.StatusReport`."""
    from cytobib import zotero

    settings = zotero.zotero_settings(
        project.config, library=library, collection=collection, local=local
    )
    if client is None and not offline:
        zotero.require()
        key = None if local else zotero.api_key(required=False)
        client = zotero.ZoteroClient(settings, key)
    return zotero.status(project, settings, None if offline else client)
