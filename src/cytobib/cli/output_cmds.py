"""Commands that render views: reading-list, review-table, evidence-map, build."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from cytobib import outputs, rendering, views
from cytobib.cli import _progress, app
from cytobib.cli._common import AnnOpt, BibOpt, KeepGoingOpt, ProjectOpt, QuietOpt, SortOpt
from cytobib.cli._output import emit, say
from cytobib.config import Config
from cytobib.errors import UsageError
from cytobib.formats import registry
from cytobib.library import Project, settings

OutOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write here (format from the suffix).")
]
StyleOpt = Annotated[
    str | None,
    typer.Option("--style", "-s", help="CSL style name/alias/.csl path, or plain/unsrt/alpha."),
]
WhereOpt = Annotated[
    str | None,
    typer.Option("--where", "-w", help="Filter, e.g. 'agent == \"IL-2\" and year >= 2010'."),
]


def warn(notices: Iterable[str]) -> None:
    """A view's notices (notes left out with --keep-going) on stderr too."""
    for line in notices:
        say(f"warning: {line}", err=True)


def _facts(view: Any, works: int) -> dict[str, Any]:
    """What an output command reports with its output (kept with it, for a reuse)."""
    return {"works": works, "notices": list(view.notices)}


def _emit(
    result: outputs.Output,
    output: Path | None,
    fmt: Any,
    config: Config,
    *,
    started: float,
    quiet: bool = False,
) -> None:
    """The view's notices on stderr, then the output to ``output``, or to stdout (text
    formats only). The output's data is bytes for binary formats, str or its UTF-8 encoding
    for text ones; None when ``output`` holds it already. Then the summary line: ``wrote FILE
    (N works, T)``; on stdout only after a long run."""
    warn(result.facts.get("notices", ()))
    data = result.data
    works = result.facts.get("works")
    size = f"{works:,} works, " if isinstance(works, int) else ""
    again = " (inputs unchanged since the last run: output reused)" if result.reused else ""
    if data is None and output is not None:
        say(f"unchanged {os.path.relpath(output)}{again}", err=True)
        return
    assert data is not None  # only a file can hold the output already
    if output is None:
        if fmt.binary:
            raise UsageError(
                f"The {fmt.name} format is binary; it needs a file.", hint="Pass -o FILE."
            )
        # Bytes, not text: the text layer would turn CSV's CRLF into CR CR LF on Windows.
        emit(data.encode("utf-8") if isinstance(data, str) else data)
        if time.monotonic() - started >= 1.0 and not result.reused:
            _progress.summary(f"{size}{_progress.took(started)}", quiet)
        return
    rendering.write(data, output, config)
    timing = "" if result.reused else f" ({size}{_progress.took(started)})"
    say(f"wrote {os.path.relpath(output)}{timing}{again}", err=True)


@app.command("reading-list")
def reading_list(
    output: OutOpt = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="md, html, tex, txt, docx.")
    ] = None,
    style: StyleOpt = None,
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", "-g", help=f"{', '.join(views.GROUPS)} or none."),
    ] = None,
    where: WhereOpt = None,
    sort: SortOpt = "author",
    sections: Annotated[
        str, typer.Option("--sections", help=f"Comma-separated: {', '.join(views.SECTIONS)}.")
    ] = ",".join(views.DEFAULT_SECTIONS),
    multi: Annotated[
        str, typer.Option("--multi", help="An entry with several agents: each group, or first.")
    ] = "each",
    title: Annotated[str | None, typer.Option("--title", help="Document title.")] = None,
    keep_going: KeepGoingOpt = False,
    quiet: QuietOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> None:
    """Render the annotated reading list in a citation style."""
    started = time.monotonic()
    config = settings(root, bib=bib, annotations_dir=annotations)
    fmt_obj = registry.resolve(fmt, output, "md")
    group = config.group_by if group_by is None else (None if group_by == "none" else group_by)
    options = (fmt_obj.name, style, group, where, sort, sections, multi, title, keep_going)

    def make(proj: Project) -> tuple[str | bytes, dict[str, Any]]:
        from cytobib import api

        view = api.reading_list(
            proj,
            keep_going=keep_going,
            style=style,
            where=where,
            group_by=group,
            sort=sort,
            sections=[s.strip() for s in sections.split(",") if s.strip()],
            multi=multi,
            title=title,
        )
        return api.render(view, fmt_obj), _facts(view, view.count)

    with _progress.shown(quiet):
        result = outputs.produce(config, "reading-list", options, make, style=style, path=output)
    _emit(result, output, fmt_obj, config, started=started, quiet=quiet)


@app.command("review-table")
def review_table(
    output: OutOpt = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="md, csv, tsv, tex, html, xlsx, docx.")
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help=f"Comma-separated: {', '.join(views.COLUMNS)}.")
    ] = None,
    rows: Annotated[str, typer.Option("--rows", help="paper or agent.")] = "paper",
    group_by: Annotated[str | None, typer.Option("--group-by", "-g", help="Group rows.")] = None,
    where: WhereOpt = None,
    sort: SortOpt = "author",
    style: StyleOpt = None,
    no_references: Annotated[
        bool, typer.Option("--no-references", help="Do not append the full references.")
    ] = False,
    bom: Annotated[bool, typer.Option("--bom", help="CSV/TSV: UTF-8 BOM for Excel.")] = False,
    all_entries: Annotated[
        bool, typer.Option("--all", help="A row for every entry, not only the annotated ones.")
    ] = False,
    keep_going: KeepGoingOpt = False,
    quiet: QuietOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> None:
    """Draft a review table: one row per annotated paper, or per agent and paper."""
    started = time.monotonic()
    config = settings(root, bib=bib, annotations_dir=annotations)
    fmt_obj = registry.resolve(fmt, output, "md")
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    options = (
        fmt_obj.name, cols, rows, group_by, where, sort, style, no_references, bom, all_entries,
        keep_going,
    )  # fmt: skip

    def make(proj: Project) -> tuple[str | bytes, dict[str, Any]]:
        from cytobib import api

        table = api.review_table(
            proj,
            keep_going=keep_going,
            all_entries=all_entries,
            style=style,
            where=where,
            columns=cols,
            rows=rows,
            group_by=None if group_by == "none" else group_by,
            sort=sort,
            references=not no_references,
        )
        works = len({r.number for r in table.rows})
        return api.render(table, fmt_obj, bom=bom), _facts(table, works)

    with _progress.shown(quiet):
        result = outputs.produce(config, "review-table", options, make, style=style, path=output)
    _emit(result, output, fmt_obj, config, started=started, quiet=quiet)


@app.command("evidence-map")
def evidence_map(
    output: OutOpt = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="md, csv, tsv, html, tex, xlsx, docx, svg, png."),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Columns: cancer or evidence.")] = "cancer",
    bom: Annotated[bool, typer.Option("--bom", help="CSV/TSV: UTF-8 BOM for Excel.")] = False,
    agent_class: Annotated[
        bool, typer.Option("--agent-class", help="Rows are agent classes, not agents.")
    ] = False,
    where: WhereOpt = None,
    sort: SortOpt = "author",
    style: StyleOpt = None,
    keep_going: KeepGoingOpt = False,
    quiet: QuietOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> None:
    """Pivot agents against cancers or evidence levels, with counts and citation numbers."""
    started = time.monotonic()
    config = settings(root, bib=bib, annotations_dir=annotations)
    fmt_obj = registry.resolve(fmt, output, "md")
    level = "agent-class" if agent_class else "agent"
    options = (fmt_obj.name, by, bom, level, where, sort, style, keep_going)

    def make(proj: Project) -> tuple[str | bytes, dict[str, Any]]:
        from cytobib import api

        emap = api.evidence_map(
            proj,
            keep_going=keep_going,
            by=by,
            style=style,
            where=where,
            sort=sort,
            agent_level=level,
        )
        return api.render(emap, fmt_obj, bom=bom), _facts(emap, len(emap.references))

    with _progress.shown(quiet):
        result = outputs.produce(config, "evidence-map", options, make, style=style, path=output)
    _emit(result, output, fmt_obj, config, started=started, quiet=quiet)


@app.command()
def build(
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: build/).")
    ] = None,
    style: StyleOpt = None,
    keep_going: KeepGoingOpt = False,
    quiet: QuietOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> None:
    """Build everything into build/: reading list, review table, evidence map, exports."""
    started = time.monotonic()
    config = settings(root, bib=bib, annotations_dir=annotations)
    with _progress.shown(quiet):
        built = rendering.build(config, out_dir, style=style, keep_going=keep_going)
    # Files the gate names (with --keep-going) are not counted among the errors too.
    if built.errors:
        say(
            f"warning: the library has {built.errors} error(s); `cytobib check` lists them.",
            err=True,
        )
    warn(built.notices)
    for path in built.files:
        done = "wrote" if path in built.written else "unchanged"
        say(f"{done} {os.path.relpath(path)}")
    folder = os.path.relpath(out_dir or config.build_dir)
    _progress.summary(
        f"build: {len(built.files)} files in {folder}/ from {built.entries:,} entries "
        f"({_progress.took(started)})",
        quiet,
    )
