"""Commands that render views: reading-list, review-table, evidence-map, build."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from cytobib import outputs, rendering, views
from cytobib.cli import app
from cytobib.cli._common import AnnOpt, BibOpt, ProjectOpt
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
SortOpt = Annotated[str, typer.Option("--sort", help="year, author, priority or title.")]


def _emit(result: outputs.Output, output: Path | None, fmt: Any, config: Config) -> None:
    """Write to ``output``, or to stdout (text formats only). The output's data is bytes for
    binary formats, str or its UTF-8 encoding for text ones; None when ``output`` holds it
    already."""
    data, again = result.data, ""
    if result.reused:
        again = " (inputs unchanged since the last run: output reused)"
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
        return
    rendering.write(data, output, config)
    say(f"wrote {os.path.relpath(output)}{again}", err=True)


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
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> None:
    """Render the annotated reading list in a citation style."""
    from cytobib.api import render

    config = settings(root, bib=bib, annotations_dir=annotations)
    fmt_obj = registry.resolve(fmt, output, "md")
    group = config.group_by if group_by is None else (None if group_by == "none" else group_by)
    options = (fmt_obj.name, style, group, where, sort, sections, multi, title)

    def make(proj: Project) -> tuple[str | bytes, dict[str, Any]]:
        view = views.reading_list(
            proj,
            style=style,
            where=where,
            group_by=group,
            sort=sort,
            sections=[s.strip() for s in sections.split(",") if s.strip()],
            multi=multi,
            title=title,
        )
        return render(view, fmt_obj), {}

    result = outputs.produce(config, "reading-list", options, make, style=style, path=output)
    _emit(result, output, fmt_obj, config)


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
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> None:
    """Draft a review table: one row per paper, or per agent and paper."""
    from cytobib.api import render

    config = settings(root, bib=bib, annotations_dir=annotations)
    fmt_obj = registry.resolve(fmt, output, "md")
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    options = (fmt_obj.name, cols, rows, group_by, where, sort, style, no_references, bom)

    def make(proj: Project) -> tuple[str | bytes, dict[str, Any]]:
        table = views.review_table(
            proj,
            style=style,
            where=where,
            columns=cols,
            rows=rows,
            group_by=None if group_by == "none" else group_by,
            sort=sort,
            references=not no_references,
        )
        return render(table, fmt_obj, bom=bom), {}

    result = outputs.produce(config, "review-table", options, make, style=style, path=output)
    _emit(result, output, fmt_obj, config)


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
    style: StyleOpt = None,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> None:
    """Pivot agents against cancers or evidence levels, with counts and citation numbers."""
    from cytobib.api import render

    config = settings(root, bib=bib, annotations_dir=annotations)
    fmt_obj = registry.resolve(fmt, output, "md")
    level = "agent-class" if agent_class else "agent"
    options = (fmt_obj.name, by, bom, level, where, style)

    def make(proj: Project) -> tuple[str | bytes, dict[str, Any]]:
        emap = views.evidence_map(proj, by=by, style=style, where=where, agent_level=level)
        return render(emap, fmt_obj, bom=bom), {}

    result = outputs.produce(config, "evidence-map", options, make, style=style, path=output)
    _emit(result, output, fmt_obj, config)


@app.command()
def build(
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: build/).")
    ] = None,
    style: StyleOpt = None,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> None:
    """Build everything into build/: reading list, review table, evidence map, exports."""
    config = settings(root, bib=bib, annotations_dir=annotations)
    built = rendering.build(config, out_dir, style=style)
    if built.errors:
        say(
            f"warning: the library has {built.errors} error(s); `cytobib check` lists them.",
            err=True,
        )
    for path in built.files:
        done = "wrote" if path in built.written else "unchanged"
        say(f"{done} {os.path.relpath(path)}")
