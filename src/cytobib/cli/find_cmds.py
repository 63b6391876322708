"""Commands for the daily loop of a reader: list (find), show (read), edit (write notes)."""

from __future__ import annotations

import json
import shutil
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cytobib.cli import _errors, app
from cytobib.cli._common import AnnOpt, BibOpt, KeepGoingOpt, ProjectOpt, SortOpt, project
from cytobib.cli._output import console, markup, say, show
from cytobib.model import Severity

if TYPE_CHECKING:
    from cytobib.listing import Listed, Listing, Shown
    from cytobib.model import Issue


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    keys = "keys"


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("list")
def list_cmd(
    where: Annotated[
        str | None,
        typer.Option("--where", "-w", help="Filter, e.g. '\"IL-2\" in abstract and year >= 2010'."),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            help="Words to find in title, abstract, keywords and notes (case and accents "
            "ignored; every word must be there).",
        ),
    ] = None,
    sort: SortOpt = "author",
    fmt: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table, json or keys (one per line).")
    ] = ListFormat.table,
    keep_going: KeepGoingOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """List works, one line each: key, first author, year, title, agents, status, problems."""
    from cytobib.listing import list_works

    listing = list_works(
        project(root, bib, annotations),
        where=where,
        search=search,
        sort=sort,
        keep_going=keep_going,
    )
    for line in listing.notices:
        say(f"warning: {line}", err=True)
    if fmt is ListFormat.json:
        show(json.dumps([r.as_dict() for r in listing.rows], indent=2, ensure_ascii=False) + "\n")
    elif fmt is ListFormat.keys:
        show("".join(f"{r.key}\n" for r in listing.rows))
    else:
        show(table_text(listing, shutil.get_terminal_size((120, 24)).columns))
    with_errors = sum(
        1 for r in listing.rows if any(p.severity == Severity.ERROR for p in r.problems)
    )
    summary = f"{len(listing.rows):,} of {listing.total:,} works"
    if len(listing.rows) == listing.total:
        summary = f"{listing.total:,} works"
    if with_errors:
        summary += f" · {with_errors} with errors (`cytobib show KEY` names them)"
    say(summary, err=True)
    return _errors.EXIT_OK


_CAPS = {"key": 40, "author": 16, "year": 4, "agents": 26, "status": 8, "problems": 30}
_MINS = {"author": 10, "year": 4, "agents": 12, "status": 8, "problems": 12}
_MIN_TITLE = 30
_SHRINK = ("problems", "agents", "author")  # given up first when the line is too long
_WHOLE = ("key",)  # the handle `show` and `edit` take: padded, never cut


def table_text(listing: Listing, width: int) -> str:
    """The listing as aligned columns, one line per work, the title cut to fit ``width``."""
    from rich.cells import cell_len

    header = {"key": "KEY", "author": "AUTHOR", "year": "YEAR", "title": "TITLE",
              "agents": "AGENTS", "status": "STATUS", "problems": "PROBLEMS"}  # fmt: skip
    rows = [_cells(r) for r in listing.rows]

    def size(text: str) -> int:
        return len(text) if text.isascii() else cell_len(text)

    widths = {
        name: min(cap, max([size(header[name])] + [size(r[name]) for r in rows]))
        for name, cap in _CAPS.items()
    }
    longest = max([size(r["title"]) for r in rows] + [5])
    wanted = min(longest, max(_MIN_TITLE, width * 2 // 5))  # the title: 40% of the line
    for name in _SHRINK:  # make room for a readable title: other columns give way first
        spare = sum(widths.values()) + 2 * len(header) - 2 + wanted - width
        if spare <= 0:
            break
        widths[name] = max(_MINS[name], widths[name] - spare)
    fixed = sum(widths.values()) + 2 * len(header) - 2
    widths["title"] = max(wanted, min(longest, width - fixed))
    order = ("key", "author", "year", "title", "agents", "status", "problems")
    lines = []
    if listing.notices:
        lines += [f"WARNING: {n}" for n in listing.notices] + [""]
    for cells in [header, *rows] if rows else []:
        parts = [_fit(cells[name], widths[name], cut=name not in _WHOLE) for name in order]
        lines.append("  ".join(parts).rstrip())
    return "".join(line + "\n" for line in lines)


def _cells(row: Listed) -> dict[str, str]:
    status = row.status
    return {
        "key": row.key,
        "author": row.first_author,
        "year": str(row.year or ""),
        "title": row.title,
        "agents": ", ".join(row.agents),
        "status": "no notes" if status is None else status,
        "problems": " ".join(dict.fromkeys(p.code for p in row.problems)),
    }


def _fit(text: str, width: int, *, cut: bool = True) -> str:
    """``text`` cut with an ellipsis (unless not ``cut``) or padded to ``width`` cells."""
    from rich.cells import cell_len, set_cell_size

    if text.isascii():  # one cell a character (control characters are cleaned later)
        return text[: width - 1] + "…" if cut and len(text) > width else text.ljust(width)
    if not cut and cell_len(text) >= width:
        return text
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


@app.command("show")
def show_cmd(
    key: Annotated[str, typer.Argument(help="The citation key of the work.")],
    fmt: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="text or json.")
    ] = ShowFormat.text,
    keep_going: KeepGoingOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Show one work: its entry, your notes on it and every problem found in either."""
    from cytobib import gate
    from cytobib.listing import show as show_work

    proj = project(root, bib, annotations)
    shown = show_work(proj, key)
    if fmt is ShowFormat.json:
        show(json.dumps(shown.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_work(shown, proj.vocabulary)
    gate.require(proj, keep_going=keep_going, keys={key})  # exits 3 if its notes are unusable
    return _errors.EXIT_OK


_SEVERITY = {3: "bold red", 2: "yellow", 1: "cyan"}


def print_work(shown: Shown, vocabulary: Any) -> None:
    """A work for a terminal: what it is, what the reader wrote, what is wrong."""
    from rich.table import Table

    from cytobib.views import agent_text, cancer_labels, gaps_text

    out = console()
    record, entry, ann = shown.record, shown.record.entry, shown.record.annotation
    out.print(
        f"[bold cyan]{markup(record.key)}[/] · @{markup(entry.type)} · "
        f"[dim]{markup(shown.bib_location)}[/]",
        soft_wrap=True,  # a path is not cut in two: the terminal folds it if it must
    )
    out.print(f"[bold]{markup(' '.join(entry.title.split()) or '(no title)')}[/]")
    people = [p.display() for p in entry.authors if p.family != "others"]
    names = ", ".join(people[:6])
    if len(people) > 6 or len(people) < len(entry.authors):
        names += " et al."
    facts = [names, entry.container, str(entry.year or "")]
    if entry.doi:
        facts.append(f"https://doi.org/{entry.doi}")
    out.print(markup(" · ".join(f for f in facts if f)))
    if record.update_status is not None:
        status = record.update_status
        out.print(f"[bold red]⚠ {markup(status.label)}[/] {markup(status.notice_doi or '')}")
    if gaps := gaps_text(record):
        out.print(f"[yellow]{markup(gaps)}[/]")
    abstract = " ".join(entry.text("abstract").split())
    if abstract:
        out.print("\n[bold]Abstract[/]")
        out.print(markup(abstract))
    out.print()
    if ann is None:
        note = "[bold]Notes[/]  none yet"
        if shown.annotation_path:
            note += f" ([dim]{markup(shown.annotation_path)}[/] cannot be used)"
        out.print(note + f": `cytobib edit {markup(record.key)}` writes them.", soft_wrap=True)
    else:
        out.print(f"[bold]Notes[/]  [dim]{markup(shown.annotation_path or ann.path)}[/]",
                  soft_wrap=True)  # fmt: skip
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        details = [
            f"{label} {value}"
            for label, value in (
                ("status", ann.status),
                ("priority", ann.priority),
                ("study type", ann.study_type),
            )
            if value
        ]
        rows = [
            ("", " · ".join(details)),
            ("Summary", ann.summary),
            ("Agents", "; ".join(agent_text(record, vocabulary))),
            ("Cancers", ", ".join(cancer_labels(record, vocabulary))),
            ("Targets", ", ".join(ann.targets)),
            ("Claims", _bullets([_claim(c) for c in ann.claims])),
            ("Caveats", _bullets([(_caveat(c), None) for c in ann.caveats])),
            ("Tags", ", ".join(ann.tags)),
            ("Related", ", ".join(ann.related)),
        ]
        for label, value in rows:
            if value:
                grid.add_row(markup(label), markup(value) if isinstance(value, str) else value)
        out.print(grid)
    out.print()
    if not shown.issues:
        out.print("[green]No problems.[/]")
        return
    out.print(f"[bold]Problems[/] ({len(shown.issues)})")
    for issue in shown.issues:
        _print_issue(out, issue)


def _claim(claim: Any) -> tuple[str, str | None]:
    """A claim's line (text, numbers, evidence level, source) and its quote."""
    extra = [
        f"({claim.numbers})" if claim.numbers else "",
        f"[{claim.evidence}]" if claim.evidence else "",
        f"({claim.source_label})" if claim.source_label else "",
    ]
    return " ".join(p for p in (claim.text, *extra) if p), claim.quote


def _caveat(caveat: Any) -> str:
    label = getattr(caveat, "source_label", "")
    return f"{caveat} ({label})" if label else str(caveat)


def _bullets(items: list[tuple[str, str | None]]) -> Any:
    """A bulleted list whose wrapped lines hang under their text; quotes dimmed below."""
    from rich.table import Table

    if not items:
        return ""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for text, quote in items:
        cell = markup(text) + (f"\n[dim italic]“{markup(quote)}”[/]" if quote else "")
        grid.add_row("•", cell)
    return grid


def _print_issue(out: Any, issue: Issue) -> None:
    colour = _SEVERITY[int(issue.severity)]
    where = f" [dim]{markup(issue.location)}[/]" if issue.location else ""
    out.print(f"  [{colour}]{issue.severity!s}[/] [dim]{issue.code}[/]{where}", soft_wrap=True)
    out.print(f"    {markup(issue.message)}")
    if issue.hint:
        out.print(f"    [dim]fix: {markup(issue.hint)}[/]")


@app.command("edit")
def edit_cmd(
    key: Annotated[str, typer.Argument(help="The citation key of the work.")],
    editor: Annotated[
        str | None,
        typer.Option("--editor", help="The editor command (default: $VISUAL, then $EDITOR)."),
    ] = None,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Edit a work's notes in your editor (a stub if it has none); checked when you close it."""
    import os

    from cytobib.editing import edit
    from cytobib.errors import AnnotationFileError

    result = edit(project(root, bib, annotations), key, editor=editor, ask=_ask)
    shown = os.path.relpath(result.path)
    if result.status == "unchanged":
        say(f"no changes: {shown} was left as it was" if result.path.exists() else
            f"no changes: no notes were written for {key}")  # fmt: skip
    elif result.status == "discarded":
        say(f"discarded the edit: {shown} was left as it was")
    elif result.status == "kept":
        raise AnnotationFileError(
            f"The edit has errors and no answer was given, so it was not saved; it is kept in "
            f"{os.path.relpath(result.draft)}.",
            hint=f"Run `cytobib edit {key}` to reopen it.",
        )
    else:
        say(f"saved {shown}")
        for issue in result.issues:
            say(f"{issue.severity}: {issue.location}: {issue.message}", err=True)
            if issue.hint:
                say(f"    fix: {issue.hint}", err=True)
        if any(i.severity == Severity.ERROR for i in result.issues):
            say("warning: commands that show notes stop on this file until it is fixed "
                "(or run them with --keep-going).", err=True)  # fmt: skip
    return _errors.EXIT_OK


_ANSWERS = {"": "edit", "e": "edit", "s": "save", "d": "discard"}


def _ask(problems: Any) -> Any:
    """Name each error (file:line:column and its fix) and ask what to do, on stderr; the
    answer is read from stdin. No answer (end of input) keeps the draft for later."""
    import sys

    say(f"The edit has {len(problems)} error{'s' if len(problems) > 1 else ''}:", err=True)
    for issue in problems:
        say(f"  {issue.location}: {issue.message}", err=True)
        if issue.hint:
            say(f"      fix: {issue.hint}", err=True)
    for _ in range(3):
        show("Edit again (e), save anyway (s) or discard the edit (d)? [e] ", err=True)
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:  # end of input: nobody to ask
            say("", err=True)
            return "keep"
        answer = _ANSWERS.get(line.strip().lower()[:1])
        if answer is not None:
            return answer
    return "keep"
