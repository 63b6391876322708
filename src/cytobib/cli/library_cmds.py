"""Commands over the library itself: init, check, annotate."""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cytobib import annotations as ann
from cytobib.cli import _errors, app
from cytobib.cli._common import AnnOpt, BibOpt, ProjectOpt, project
from cytobib.errors import AnnotationFileError, UnknownKeyError, Where
from cytobib.model import Issue, Severity
from cytobib.project import init_project, schema_ref_for


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    never = "never"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder for the new library.")] = Path("."),
) -> None:
    """Create cytobib.toml, library.bib and annotations/ in a folder (keeps existing files)."""
    created = init_project(folder)
    for path in created:
        print(f"created {path}")
    if not created:
        print("nothing to do: the folder already holds a cytobib library")
    print("next: add entries to library.bib (or `cytobib add DOI`), then `cytobib check`.")


@app.command()
def check(
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", help="text or json.")] = CheckFormat.text,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit 1 on issues at or above this level.")
    ] = FailOn.error,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every info item too.")
    ] = False,
    online: Annotated[
        bool,
        typer.Option("--online", help="Also verify every DOI against Crossref (network)."),
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="With --online: use only cached Crossref answers.")
    ] = False,
) -> int:
    """Report everything wrong or missing in the library: bib, annotations, vocabulary."""
    proj = project(root, bib, annotations)
    issues = list(proj.library.issues)
    if online:
        from cytobib.online import verify_online

        issues.extend(verify_online(proj, offline=offline))
    if fmt is CheckFormat.json:
        counts = _counts(issues)
        json.dump(
            {
                "library": str(proj.config.bib),
                "entries": len(proj.library),
                "annotated": sum(1 for r in proj.library if r.annotation),
                "summary": counts,
                "issues": [i.as_dict() for i in issues],
            },
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        print()
    else:
        _print_human(
            issues, len(proj.library), sum(1 for r in proj.library if r.annotation), verbose
        )
    threshold = {"error": Severity.ERROR, "warning": Severity.WARNING}.get(fail_on.value)
    if threshold is not None and any(i.severity >= threshold for i in issues):
        return _errors.EXIT_ISSUES
    return _errors.EXIT_OK


def _counts(issues: list[Issue]) -> dict[str, int]:
    out = {"error": 0, "warning": 0, "info": 0}
    for issue in issues:
        out[str(issue.severity)] += 1
    return out


def _print_human(issues: list[Issue], n_entries: int, n_annotated: int, verbose: bool) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    colours = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    shown = [i for i in issues if i.severity > Severity.INFO or verbose]
    folded: dict[str, list[Issue]] = defaultdict(list)
    if not verbose:
        for issue in issues:
            if issue.severity == Severity.INFO:
                folded[issue.code].append(issue)
    current_file = None
    for issue in shown:
        path = issue.location.path if issue.location else ""
        if path != current_file:
            current_file = path
            console.print(f"\n[bold]{escape(path or '(library)')}[/bold]")
        line = f"{issue.location.line}" if issue.location and issue.location.line else "-"
        colour = colours[issue.severity]
        key = f"{issue.key}: " if issue.key and issue.key not in issue.message else ""
        console.print(
            f"  {line:>5}  [{colour}]{issue.severity!s:7}[/{colour}] "
            f"[dim]{issue.code}[/dim]  {escape(key + issue.message)}"
        )
        if issue.hint:
            console.print(f"{'':16}[dim]hint: {escape(issue.hint)}[/dim]")
    if folded:
        console.print()
        for code, group in folded.items():
            keys = ", ".join(i.key or "?" for i in group[:4])
            more = f" and {len(group) - 4} more" if len(group) > 4 else ""
            console.print(
                f"  [cyan]info[/cyan]    {code}: {len(group)} ({escape(keys)}{more}); -v lists them"
            )
    counts = _counts(issues)
    verdict = "[green]ok[/green]" if counts["error"] == 0 else "[bold red]errors[/bold red]"
    console.print(
        f"\n{n_entries} entries, {n_annotated} annotated: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} info: {verdict}"
    )


@app.command()
def annotate(
    keys: Annotated[list[str] | None, typer.Argument(help="Citation keys to annotate.")] = None,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
    missing: Annotated[
        bool, typer.Option("--missing", help="Write stubs for every entry without one.")
    ] = False,
) -> int:
    """Write annotation stubs (annotations/KEY.yaml); never overwrites an existing file."""
    proj = project(root, bib, annotations)
    lib = proj.library
    folder = proj.config.annotations
    ref = schema_ref_for(proj.config)
    targets = list(keys or [])
    if missing:
        targets += [
            r.key
            for r in lib
            if r.annotation is None
            and ann.is_safe_key(r.key)
            and not ann.path_for(folder, r.key).exists()
        ]
    if not targets:
        print("nothing to do: give citation keys, or --missing")
        return _errors.EXIT_OK
    for key in targets:
        record = lib.get(key)
        if record is None:
            from rapidfuzz import process

            close = [
                c for c, s, _ in process.extract(key, [r.key for r in lib], limit=3) if s >= 60
            ]
            raise UnknownKeyError(
                f"No entry has the key '{key}'.",
                hint=f"Did you mean {', '.join(close)}?" if close else "See `cytobib check`.",
            )
        if not ann.is_safe_key(key):  # refused before any file is written
            try:
                ann.path_for(folder, key)
            except AnnotationFileError as exc:
                raise AnnotationFileError(
                    exc.message,
                    hint=exc.hint,
                    where=Where(proj.parsed.source.path, record.entry.line),
                ) from None
    for key in targets:
        record = lib.get(key)
        assert record is not None
        path = ann.write_stub(folder, record.entry, ref)
        print(f"created {os.path.relpath(path)}")
    return _errors.EXIT_OK
