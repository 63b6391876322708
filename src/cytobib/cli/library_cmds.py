"""Commands over the library itself: init, check, annotate."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cytobib.cli import _errors, _progress, app
from cytobib.cli._common import AnnOpt, BibOpt, ProjectOpt, QuietOpt, project
from cytobib.cli._output import say, show
from cytobib.formats.escape import terminal_text
from cytobib.model import Issue, Severity
from cytobib.project import init_project, write_stubs

if TYPE_CHECKING:
    from cytobib.api import CheckReport


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    never = "never"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def init(
    folder: Annotated[Path | None, typer.Argument(help="Folder for the new library.")] = None,
    root: ProjectOpt = None,
    bib: Annotated[
        Path | None,
        typer.Option("--bib", help="Use this .bib file (kept as it is) instead of library.bib."),
    ] = None,
    annotations: AnnOpt = None,
) -> None:
    """Create cytobib.toml, library.bib and annotations/ in a folder (keeps existing files)."""
    target = folder or root or Path(".")
    created = init_project(target, bib=bib, annotations=annotations)
    for path in created:
        say(f"created {path}")
    if not created:
        say("nothing to do: the folder already holds a cytobib library")
    say("next: add entries to library.bib (or `cytobib add DOI`), then `cytobib check`.")


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
    quiet: QuietOpt = False,
) -> int:
    """Report everything wrong or missing in the library: bib, annotations, vocabulary."""
    from cytobib.api import check as run_check

    with _progress.shown(quiet or not online):  # only --online takes long
        report = run_check(project(root, bib, annotations), online=online, offline=offline)
    if fmt is CheckFormat.json:
        show(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_human(report, verbose)
    return _errors.EXIT_ISSUES if report.fails(fail_on.value) else _errors.EXIT_OK


_COLOURS = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _print_human(report: CheckReport, verbose: bool) -> None:
    """Issues grouped by file, with line, severity, code, message and hint; info items folded
    into one line per code unless ``verbose``; then the verdict."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    current_file = None
    for issue in report.issues:
        if issue.severity == Severity.INFO and not verbose:
            continue
        path = issue.location.path if issue.location else ""
        if path != current_file:
            current_file = path
            console.print(f"\n[bold]{_escape(path or '(library)')}[/bold]")
        _print_issue(console, issue)
    folded: dict[str, list[Issue]] = defaultdict(list)
    for issue in report.issues:
        if issue.severity == Severity.INFO and not verbose:
            folded[issue.code].append(issue)
    if folded:
        console.print()
    for code, group in folded.items():
        keys = ", ".join(i.key or "?" for i in group[:4])
        more = f" and {len(group) - 4} more" if len(group) > 4 else ""
        console.print(
            f"  [cyan]info[/cyan]    {code}: {len(group)} ({_escape(keys)}{more}); -v lists them"
        )
    counts = report.counts
    verdict = "[green]ok[/green]" if counts["error"] == 0 else "[bold red]errors[/bold red]"
    console.print(
        f"\n{report.entries} entries, {report.annotated} annotated: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} info: {verdict}"
    )


def _print_issue(console: Any, issue: Issue) -> None:
    line = f"{issue.location.line}" if issue.location and issue.location.line else "-"
    colour = _COLOURS[issue.severity]
    key = f"{issue.key}: " if issue.key and issue.key not in issue.message else ""
    console.print(
        f"  {line:>5}  [{colour}]{issue.severity!s:7}[/{colour}] "
        f"[dim]{issue.code}[/dim]  {_escape(key + issue.message)}"
    )
    if issue.hint:
        console.print(f"{'':16}[dim]hint: {_escape(issue.hint)}[/dim]")


def _escape(text: str) -> str:
    """Text for a rich markup string: keys and messages may hold text from outside."""
    from rich.markup import escape

    return escape(terminal_text(text))


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
    """Write annotation stubs (annotations/KEY.yaml); an existing file is skipped, never
    overwritten."""
    stubs = write_stubs(project(root, bib, annotations), keys or (), missing=missing)
    if not (stubs.written or stubs.skipped):
        say("nothing to do: give citation keys, or --missing")
    for path in stubs.written:
        say(f"created {os.path.relpath(path)}")
    for path in stubs.skipped:
        say(f"skipped {os.path.relpath(path)}: it exists (`cytobib edit {path.stem}` opens it)")
    if len(stubs.written) + len(stubs.skipped) > 1:
        say(f"{len(stubs.written)} created, {len(stubs.skipped)} skipped")
    return _errors.EXIT_OK
