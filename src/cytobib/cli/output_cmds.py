"""Commands that render views: reading-list, review-table, evidence-map, build."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from cytobib import api, gate, rendering, uptodate, views
from cytobib.cli import _progress, app
from cytobib.cli._common import (
    AnnOpt,
    BibOpt,
    KeepGoingOpt,
    ProjectOpt,
    QuietOpt,
    SortOpt,
    project,
)
from cytobib.cli._output import emit, say
from cytobib.config import Config
from cytobib.errors import UsageError
from cytobib.formats import registry
from cytobib.library import open_project, settings

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


def warn(notices: tuple[str, ...]) -> None:
    """A view's notices (notes left out with --keep-going) on stderr too."""
    for line in notices:
        say(f"warning: {line}", err=True)


def _emit(
    data: str | bytes,
    output: Path | None,
    fmt: Any,
    config: Config,
    *,
    reused: bool = False,
    works: int | None = None,
    started: float | None = None,
    quiet: bool = False,
) -> None:
    """Write to ``output``, or to stdout (text formats only). ``data`` is the format's
    output: bytes for binary formats, str or its UTF-8 encoding for text ones. Then the
    summary line: ``wrote FILE (N works, T)``; on stdout only after a long run."""
    took = time.monotonic() - started if started is not None else 0.0
    size = f"{works:,} works, " if works is not None else ""
    if output is None:
        if fmt.binary:
            raise UsageError(
                f"The {fmt.name} format is binary; it needs a file.", hint="Pass -o FILE."
            )
        # Bytes, not text: the text layer would turn CSV's CRLF into CR CR LF on Windows.
        emit(data.encode("utf-8") if isinstance(data, str) else data)
        if took >= 1.0:
            _progress.summary(f"{size}{_progress.took(started or 0.0)}", quiet)
        return
    rendering.write(data, output, config)
    again = " (inputs unchanged since the last run: output reused)" if reused else ""
    timing = f" ({size}{_progress.took(started)})" if started is not None and not reused else ""
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
    inputs = uptodate.Inputs(config, "reading-list", options, style)
    data = uptodate.recall(inputs)
    if data is not None:
        if keep_going:  # the inputs are those of the last run: so are its notices
            warn(gate.notices(gate.unusable(open_project(config=config).library)))
        _emit(data, output, fmt_obj, config, reused=True)
        return
    proj = open_project(config=config)
    with _progress.shown(quiet):
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
        warn(view.notices)
        out = api.render(view, fmt_obj)
    data = out.encode("utf-8") if isinstance(out, str) else out
    del out  # a large list is tens of MB: keep one copy
    _emit(data, output, fmt_obj, config, works=view.count, started=started, quiet=quiet)
    uptodate.remember(inputs, data)


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
    proj = project(root, bib, annotations)
    fmt_obj = registry.resolve(fmt, output, "md")
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    with _progress.shown(quiet):
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
        warn(table.notices)
        data = api.render(table, fmt_obj, bom=bom)
    works = len({r.number for r in table.rows})
    _emit(data, output, fmt_obj, proj.config, works=works, started=started, quiet=quiet)


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
    proj = project(root, bib, annotations)
    fmt_obj = registry.resolve(fmt, output, "md")
    with _progress.shown(quiet):
        emap = api.evidence_map(
            proj,
            keep_going=keep_going,
            by=by,
            style=style,
            where=where,
            sort=sort,
            agent_level="agent-class" if agent_class else "agent",
        )
        warn(emap.notices)
        data = api.render(emap, fmt_obj, bom=bom)
    works = len(emap.references)
    _emit(data, output, fmt_obj, proj.config, works=works, started=started, quiet=quiet)


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
    proj = project(root, bib, annotations)
    # Files the gate stops on (or, with --keep-going, names) are not counted twice.
    errors = [
        i for i in proj.library.issues if i.severity.name == "ERROR" and not gate.is_unusable(i)
    ]
    if errors:
        say(
            f"warning: the library has {len(errors)} error(s); `cytobib check` lists them.",
            err=True,
        )
    warn(gate.notices(gate.unusable(proj.library)) if keep_going else ())
    with _progress.shown(quiet):
        written = rendering.build(proj, out_dir, style=style, keep_going=keep_going)
    for path in written:
        say(f"wrote {os.path.relpath(path)}")
    folder = os.path.relpath(out_dir or proj.config.build_dir)
    _progress.summary(
        f"build: {len(written)} files in {folder}/ from {len(proj.library):,} entries "
        f"({_progress.took(started)})",
        quiet,
    )
