"""Render views through formats, write outputs atomically, and run the whole `build`.

``build`` is the main job: from the project's settings it writes the reading list, the review
table, the evidence map and the exports into ``build/``, offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cytobib import progress, views
from cytobib.bibfile import atomic_write_bytes
from cytobib.config import Config
from cytobib.errors import UnknownFormatError, UsageError, WriteError
from cytobib.formats import registry
from cytobib.library import Project
from cytobib.vocabulary import Vocabulary


@dataclass(frozen=True)
class RenderContext:
    """What a format may need besides the view: project root (templates), vocabulary, and
    where rendered items are kept between runs (``None``: not kept)."""

    root: Path | None
    vocabulary: Vocabulary
    options: dict[str, Any] = field(default_factory=dict)
    cache_dir: Path | None = None


def context(project: Project, **options: Any) -> RenderContext:
    cache_dir = project.config.project_cache("render")
    return RenderContext(project.config.root, project.vocabulary, dict(options), cache_dir)


def render(view: Any, fmt: Any, ctx: RenderContext) -> str | bytes:
    """Write a view (ReadingList, Table or EvidenceMap) in a format object."""
    kind = {
        views.ReadingList: "reading_list",
        views.Table: "table",
        views.EvidenceMap: "evidence_map",
    }[type(view)]
    method = registry.require(fmt, kind)
    # A reading list's items are written one by one (templating), a step each.
    steps = sum(len(g.items) for g in view.groups) if isinstance(view, views.ReadingList) else 0
    with progress.task(f"Writing the {kind.replace('_', ' ')} ({fmt.name})", steps or None):
        result: str | bytes = method(view, ctx)
    return result


def write(data: str | bytes, path: Path, config: Config | None = None) -> Path:
    """Write atomically, creating the folder; any failure is a WriteError (exit 5). With the
    project's ``config``, a path that is one of its own inputs is refused (exit 2)."""
    own = config.own_input(path) if config is not None else None
    if own is not None:
        raise UsageError(
            f"{path} is {own}; an output written there would replace it, so nothing was written.",
            hint="Choose another output path (-o).",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # e.g. a file where a folder of the path should be
        raise WriteError(
            f"Cannot create the folder {path.parent}: {exc.strerror or exc}.",
            hint="Choose another output path.",
        ) from exc
    atomic_write_bytes(path, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def build(
    project: Project,
    out_dir: Path | None = None,
    *,
    reading_list_formats: Sequence[str] | None = None,
    review_table_formats: Sequence[str] | None = None,
    style: str | None = None,
    keep_going: bool = False,
) -> list[Path]:
    """Write every output of the project into ``out_dir`` (default: build/).

    Raises:
        UnusableAnnotations: an annotation file cannot be used (nothing is written); with
            ``keep_going`` every output is written without it and says so at its top.
    """
    from cytobib import gate

    cfg = project.config
    out = out_dir or cfg.build_dir
    if out_dir is None and not cfg.build_dir.resolve().is_relative_to(cfg.root.resolve()):
        # A cloned project's cytobib.toml must not make `build` write elsewhere on its own.
        raise UsageError(
            f"build_dir in cytobib.toml ({cfg.build_dir}) is outside the project folder; "
            "nothing was written.",
            hint="Pass the folder explicitly (`cytobib build -o DIR`) to build outside the "
            "project.",
        )
    notices = gate.require(project, keep_going=keep_going)
    ctx = context(project)
    rl_formats = reading_list_formats or cfg.reading_list_formats
    table_formats = review_table_formats or cfg.review_table_formats
    written: list[Path] = []
    # One step per file: the reading lists, the tables, the map (md, svg), the four exports.
    with progress.task("Building", len(rl_formats) + len(table_formats) + 6) as shown:

        def keep(path: Path) -> None:
            written.append(path)
            shown.advance()

        rl = views.reading_list(project, style=style, group_by=cfg.group_by)
        rl = replace(rl, notices=notices)
        for name in rl_formats:
            fmt = registry.get(name)
            keep(write(render(rl, fmt, ctx), out / f"reading-list.{fmt.name}", cfg))
        table = replace(views.review_table(project, style=style, rows="agent"), notices=notices)
        for name in table_formats:
            fmt = registry.get(name)
            keep(write(render(table, fmt, ctx), out / f"review-table.{fmt.name}", cfg))
        emap = replace(views.evidence_map(project, style=style), notices=notices)
        for name in ("md", "svg"):
            try:
                fmt = registry.get(name)
                data = render(emap, fmt, ctx)
            except (ImportError, AttributeError, UnknownFormatError):
                continue
            keep(write(data, out / f"evidence-map.{fmt.name}", cfg))
        for path in _exports(project, out):
            keep(path)
    return written


def _exports(project: Project, out: Path) -> list[Path]:
    """BibTeX, CSL-JSON and RIS exports of the whole library, notes and tags included."""
    from cytobib.exports import export

    records = list(project.library)
    written = []
    for name, filename in (
        ("bibtex", "library.bib"),
        ("biblatex", "library-biblatex.bib"),
        ("csl-json", "library.json"),
        ("ris", "library.ris"),
    ):
        written.append(write(export(records, name), out / "export" / filename, project.config))
    return written
