"""The library API: one function for each ``cytobib`` command, so ``import cytobib`` does all
the command line does (every command is a thin shell over its function here, or over the
module function :mod:`cytobib` re-exports: ``reading_list``, ``build``...).

======================  =========================================================
command                 library function
======================  =========================================================
``cytobib init``        :func:`cytobib.init`
``cytobib check``       :func:`check` -> :class:`CheckReport`
``cytobib annotate``    :func:`cytobib.write_stubs`
``cytobib add``         :func:`add`
``cytobib enrich``      :func:`enrich`
``cytobib reading-list`` :func:`cytobib.reading_list`, then :func:`render`
``cytobib review-table`` :func:`cytobib.review_table`, then :func:`render`
``cytobib evidence-map`` :func:`cytobib.evidence_map`, then :func:`render`
``cytobib export``      :func:`export`
``cytobib import``      :func:`import_file`
``cytobib build``       :func:`cytobib.build`
``cytobib cache info``  :func:`cytobib.cache_info` (:func:`cytobib.store.info`)
``cytobib cache clear`` :func:`cytobib.clear_cache` (:func:`cytobib.store.clear`)
======================  =========================================================

``tests/test_docs.py`` keeps this table honest: a command without a function fails it.

The output commands reuse their last output when none of its inputs changed
(:func:`cytobib.outputs.produce`, which loads the project only when it must make the output);
:func:`cytobib.build` does so for each file it writes.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from cytobib.exports import ExportOptions, ExportResult, NotesLevel, export_library, parse_facets
from cytobib.importer import ImportPlan, apply_import, plan_import
from cytobib.library import Project
from cytobib.model import Issue, Severity
from cytobib.online import AddReport, EnrichPlan, client_for
from cytobib.rendering import RenderContext, context

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
) -> ExportResult:
    """The library (or the records ``where`` selects) as BibTeX, BibLaTeX, CSL-JSON or RIS,
    notes and tags included: the format by name (``to``), else from ``path``'s suffix.

    ``notes`` is ``none``, ``summary`` or ``full``; ``tags`` the facets to tag, comma-separated
    (``agents,cancers,evidence,tags,status``, or ``all``, ``none``).

    Raises:
        UnknownFormatError: no format by that name or suffix.
        UsageError: a bad ``notes`` or ``tags`` value, or a ``where`` that does not parse.
    """
    from cytobib.errors import UsageError

    try:
        level = NotesLevel(notes)
    except ValueError:
        raise UsageError(
            f"Unknown notes level '{notes}'.", hint="Use none, summary or full."
        ) from None
    options = ExportOptions(notes=level, facets=parse_facets(tags))
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
) -> ImportPlan:
    """Merge a BibTeX or RIS file into the library (``cytobib import``): plan, then (unless
    ``dry_run``) apply. The plan says what was added, filled, left as a conflict, stubbed.

    Raises:
        InputError, UnknownFormatError: the file cannot be read, or its format told.
        LibraryStateError: library.bib changed on disk meanwhile (nothing is written).
    """
    plan = plan_import(project, path, fmt=fmt, accept=accept, overwrite=overwrite)
    if not dry_run:
        apply_import(project, plan)
    return plan


def add(
    project: Project,
    dois: Sequence[str],
    *,
    dry_run: bool = False,
    offline: bool = False,
    refresh: bool = False,
    progress: bool = False,
    client: Any = None,
) -> AddReport:
    """Add works by DOI (``cytobib add``): a new entry and an annotation stub for each DOI the
    library does not have. ``offline``: cached Crossref answers only; ``refresh``: ask again."""
    from cytobib.online import add as add_dois

    client = client or client_for(project, offline=offline, refresh=refresh, progress=progress)
    return add_dois(project, dois, client=client, dry_run=dry_run)


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
) -> EnrichPlan:
    """Fill the fields entries lack from Crossref (``cytobib enrich``): conflicts reported,
    applied only for ``accept``-ed fields (or all with ``overwrite``); retractions flagged."""
    from cytobib.online import enrich as enrich_entries

    client = client or client_for(project, offline=offline, refresh=refresh, progress=progress)
    return enrich_entries(
        project,
        keys,
        client=client,
        accept=accept,
        overwrite=overwrite,
        dry_run=dry_run,
        dismiss=dismiss,
        search=search,
    )
