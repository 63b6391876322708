"""Commands that move records out of and into the library: export, import."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cytobib import gate, outputs, rendering
from cytobib.cli import _errors, _progress, app
from cytobib.cli._common import AnnOpt, BibOpt, KeepGoingOpt, ProjectOpt, QuietOpt, project
from cytobib.cli._output import emit, say, show
from cytobib.exports import NotesLevel, available, parse_facets
from cytobib.library import Project, settings
from cytobib.model import Issue

if TYPE_CHECKING:
    from cytobib.importer import ImportPlan


@app.command("export")
def export_cmd(
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            "-t",
            help="Format: bibtex, biblatex, csl-json or ris (default: from the -o suffix).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (default: standard output)."),
    ] = None,
    where: Annotated[
        str | None, typer.Option("--where", help="Export only records matching this filter.")
    ] = None,
    notes: Annotated[
        NotesLevel,
        typer.Option("--notes", help="How much of each annotation: none, summary or full."),
    ] = NotesLevel.FULL,
    tags: Annotated[
        str,
        typer.Option(
            "--tags",
            help="Tag facets to include, comma-separated: agents,cancers,evidence,tags,status "
            "(or all, none). A retraction is always tagged.",
        ),
    ] = "all",
    ascii_only: Annotated[
        bool,
        typer.Option(
            "--ascii",
            help="BibTeX/BibLaTeX: write LaTeX escapes where every reader decodes them alike "
            "(for 8-bit bibtex); other characters stay UTF-8 and are named in a warning.",
        ),
    ] = False,
    list_formats: Annotated[
        bool, typer.Option("--list-formats", help="List the export formats and exit.")
    ] = False,
    keep_going: KeepGoingOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Export the library as BibTeX, BibLaTeX, CSL-JSON or RIS, notes and tags included."""
    if list_formats:
        for name, aliases, suffixes, description in available():
            also = ", ".join([*aliases, *suffixes])
            say(f"{name:10} {description}" + (f" ({also})" if also else ""))
        return _errors.EXIT_OK
    from cytobib.api import export

    parse_facets(tags)  # a bad --tags fails before the library is read
    config = settings(root, bib=bib, annotations_dir=annotations)

    def make(proj: Project) -> tuple[str, dict[str, Any]]:
        result = export(
            proj, to, path=output, where=where, notes=notes.value, tags=tags, ascii=ascii_only,
            keep_going=keep_going,
        )  # fmt: skip
        left_out = gate.notices(gate.unusable(proj.library)) if keep_going else ()
        facts = {
            "count": result.count,
            "format": result.format,
            "notices": list(left_out),
            "warnings": list(result.warnings),
        }
        return result.text, facts

    options = (
        to,
        str(output) if output else None,
        where,
        notes.value,
        tags,
        ascii_only,
        keep_going,
    )
    made = outputs.produce(config, "export", options, make, path=output)
    for line in made.facts.get("notices", ()):
        say(f"warning: {line}", err=True)  # no export format has room for it
    for warning in made.facts.get("warnings", ()):
        say(f"warning: {warning}", err=True)
    text = made.data
    data = text.encode("utf-8") if isinstance(text, str) else text  # RIS keeps its CRLF
    count, kind = made.facts.get("count"), made.facts.get("format")
    if output is None:
        emit(data or b"")
    elif data is None:  # the file holds this export already
        say(f"{output} holds the {count} entries as {kind} already", err=True)
    else:
        rendering.write(data, output, config)  # creates the folder, as reading-list -o does
        say(f"exported {count} entries as {kind} to {output}", err=True)
    return _errors.EXIT_OK


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A BibTeX or RIS file (e.g. a Zotero export).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print a unified diff and write nothing.")
    ] = False,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept",
            help="Take the imported value of this field where it differs (repeatable, or "
            "comma-separated).",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Take every differing imported value.")
    ] = False,
    source_format: Annotated[
        str | None,
        typer.Option("--from", help="bibtex or ris (default: from the suffix or content)."),
    ] = None,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="Import the works that can be read when parts of the file cannot (each is "
            "named); without it nothing is imported.",
        ),
    ] = False,
    quiet: QuietOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Merge a BibTeX or RIS file into the library: new works added, known ones filled.

    Differing values are reported, not applied, unless --accept or --overwrite says so.
    Tags become the entry's keywords; cytobib's note on a work (from `cytobib export`, after
    any trip through Zotero) becomes its annotation, other notes its summary; an existing
    annotation is never changed.
    """
    from cytobib.api import import_file

    started = time.monotonic()
    proj = project(root, bib, annotations)
    with _progress.shown(quiet):
        plan = import_file(
            proj, file, fmt=source_format, accept=accept or (), overwrite=overwrite,
            dry_run=dry_run, keep_going=keep_going,
        )  # fmt: skip
    if dry_run:
        show(plan.diff(proj.config.root))
        _report(plan, file, err=True)
        say("dry run: nothing was written", err=True)
    else:
        _report(plan, file, err=False)
    _progress.summary(
        f"import: {len(plan.added):,} {'to add' if dry_run else 'added'}, "
        f"{len(plan.updated):,} filled, {len(plan.conflicts):,} conflicts, "
        f"{len(plan.stubs):,} annotation stubs ({_progress.took(started)})",
        quiet,
    )
    return _errors.EXIT_OK


def _report(plan: ImportPlan, file: Path, *, err: bool) -> None:
    def line(text: str) -> None:
        say(text, err=err)

    def keys(items: list[str]) -> str:
        shown = ", ".join(items[:8])
        return shown + (f" and {len(items) - 8} more" if len(items) > 8 else "")

    line(f"{file} ({plan.format}):")
    if plan.added:
        line(f"  added {len(plan.added)}: {keys([n.key for n in plan.added])}")
    for p in plan.updated:
        line(f"  filled {p.key}: {', '.join(p.updates)}")
    for theirs, (ours, how) in plan.matched.items():
        line(f"  matched {theirs} to {ours} by {_HOW.get(how, how)}")
    for new, same in plan.candidates.items():
        line(f"  {new} has the title of {', '.join(same)} (added; check whether it is the same)")
    if plan.stubs:
        line(f"  annotations: {keys([s.key for s in plan.stubs])}")
    if plan.notes_not_applied:
        line(
            "  notes not applied (the annotation file says otherwise; it was left as it is): "
            + keys(list(plan.notes_not_applied))
        )
    if not (plan.added or plan.updated or plan.stubs):
        line("  nothing to change")
    if plan.conflicts:
        line(f"  {len(plan.conflicts)} conflicts, not applied (use --accept FIELD or --overwrite):")
        for c in plan.conflicts:
            ours, theirs = clip_pair(c.ours, c.theirs)
            line(f"    {c.key}.{c.field}: library “{ours}” / import “{theirs}”")
    for issue in plan.issues:
        line(_issue_line(issue))


_HOW = {"doi": "DOI", "pmid": "PMID", "title": "title, first author and year"}


def clip_pair(ours: str, theirs: str, width: int = 70) -> tuple[str, str]:
    """Both values on one line each, cut to ``width`` around where they first differ, so
    that two long values differing only at the end do not print alike."""
    a, b = " ".join(ours.split()), " ".join(theirs.split())
    first = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    if first is None:
        first = min(len(a), len(b))
    start = max(0, first - width // 3) if max(len(a), len(b)) > width else 0
    return _window(a, start, width), _window(b, start, width)


def _window(text: str, start: int, width: int) -> str:
    if start == 0 and len(text) <= width:
        return text
    head = "…" if start > 0 else ""
    body = text[start : start + width - len(head)]
    tail = "…" if start + len(body) < len(text) else ""
    return head + (body[: len(body) - len(tail)] if tail else body) + tail


def _issue_line(issue: Issue) -> str:
    where = f" ({issue.location})" if issue.location else ""
    return f"  {issue.severity}: {issue.message}{where}"
