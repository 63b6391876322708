"""Render views through formats, write outputs atomically, and run the whole `build`.

``build`` is the main job: from the project's settings it writes the reading list, the review
table, the evidence map and the exports into ``build/``, offline. Each file is reused from the
last build when none of its inputs changed (:mod:`cytobib.outputs`): a build of an unchanged
project loads nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cytobib import caching, outputs, progress, views
from cytobib.bibfile import atomic_write_bytes
from cytobib.citing import Citations
from cytobib.config import Config
from cytobib.errors import UnknownFormatError, UsageError, WriteError
from cytobib.formats import registry
from cytobib.formats.templating import ItemRenderer, render_items
from cytobib.library import Project, open_project
from cytobib.store import DEFAULT, Store, resolve
from cytobib.vocabulary import Vocabulary


@dataclass(frozen=True)
class RenderContext:
    """What a format may need besides the view: the project root (templates), the
    vocabulary, format options, and how the items of a reading list are rendered (by default
    all of them, :func:`~cytobib.formats.templating.render_items`; :func:`context` hands in
    the cache of rendered items of the project's store)."""

    root: Path | None
    vocabulary: Vocabulary
    options: dict[str, Any] = field(default_factory=dict)
    items: ItemRenderer = render_items


def context(project: Project, **options: Any) -> RenderContext:
    """The context for views of ``project``: its templates and vocabulary, and its store's
    rendered items."""
    root, vocabulary = project.config.root, project.vocabulary
    items = caching.rendered_items(project.store, root, vocabulary)
    return RenderContext(root, vocabulary, dict(options), items)


def render(view: Any, fmt: Any, ctx: RenderContext) -> str | bytes:
    """Write a view (ReadingList, Table or EvidenceMap) in a format object."""
    kind = {
        views.ReadingList: "reading_list",
        views.Table: "table",
        views.EvidenceMap: "evidence_map",
    }[type(view)]
    method = registry.require(fmt, kind)
    # A reading list's items are written one by one (RenderContext.items), a step each.
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


@dataclass(frozen=True)
class Built:
    """What :func:`build` did."""

    files: tuple[Path, ...]
    """Every output file, in the order they were made."""
    written: tuple[Path, ...]
    """The files written; the others held exactly these bytes already."""
    errors: int
    """Errors in the library (as `cytobib check` reports them) besides the annotation files
    ``notices`` names: the outputs may lack works."""
    reused: int
    """Outputs taken from an earlier build, their inputs unchanged."""
    entries: int = 0
    """Entries in the library the outputs were made from."""
    notices: tuple[str, ...] = ()
    """What every output says at its top (``keep_going``: annotation files left out)."""


@dataclass(frozen=True)
class _Target:
    path: Path
    options: tuple[object, ...]
    make: Callable[[_Loaded], str | bytes | None]


class _Loaded:
    """The project and its views, loaded and made on first use: a build whose outputs are
    all reused loads nothing. The three views share one formatter, so the list is formatted
    once. Loading passes the gate (:func:`cytobib.gate.require`) before any output is made."""

    def __init__(
        self, source: Project | Config, store: Store, style: str | None, keep_going: bool
    ) -> None:
        self._source, self._store, self.style = source, store, style
        self.keep_going = keep_going
        self._project: Project | None = None
        self._notices: tuple[str, ...] = ()
        self._formatter: Citations | None = None
        self._context: RenderContext | None = None
        self._views: dict[str, Any] = {}

    @property
    def project(self) -> Project:
        if self._project is None:
            from cytobib import gate

            source = self._source
            if isinstance(source, Project):
                project = source
            else:
                project = open_project(config=source, store=self._store)
            self._notices = gate.require(project, keep_going=self.keep_going)
            self._project = project
        return self._project

    @property
    def notices(self) -> tuple[str, ...]:
        """What every output says at its top (annotation files left out)."""
        _ = self.project
        return self._notices

    def view(self, kind: str) -> Any:
        made = self._views.get(kind)
        if made is not None:
            return made
        proj, style = self.project, self.style
        if self._formatter is None:
            self._formatter = Citations(proj.config, proj.store)
        fmt = self._formatter
        if kind == "reading-list":
            made = views.reading_list(
                proj, style=style, group_by=proj.config.group_by, formatter=fmt
            )
        elif kind == "review-table":
            made = views.review_table(proj, style=style, rows="agent", formatter=fmt)
        else:
            made = views.evidence_map(proj, style=style, formatter=fmt)
        if self.notices:
            made = replace(made, notices=self.notices)
        self._views[kind] = made
        return made

    def render(self, kind: str, name: str) -> str | bytes:
        view = self.view(kind)
        if self._context is None:
            self._context = context(self.project)
        return render(view, registry.get(name), self._context)

    def facts(self) -> dict[str, Any]:
        """What `build` reports with each output it made (kept with it for a reuse): errors
        in the library besides the annotation files the gate names (they are not counted
        twice), its size, and the notices."""
        from cytobib import gate

        library = self.project.library
        errors = sum(
            1 for i in library.issues if i.severity.name == "ERROR" and not gate.is_unusable(i)
        )
        return {"errors": errors, "entries": len(library), "notices": list(self.notices)}


def build(
    project: Project | Config,
    out_dir: Path | None = None,
    *,
    reading_list_formats: Sequence[str] | None = None,
    review_table_formats: Sequence[str] | None = None,
    style: str | None = None,
    store: Store | Any | None = DEFAULT,
    keep_going: bool = False,
) -> Built:
    """Write every output of the project into ``out_dir`` (default: build/).

    ``project`` is a loaded project, or its settings (``cytobib.library.settings``): then it
    is loaded only if an output must be made. Outputs whose inputs are unchanged since the
    last build are reused (:mod:`cytobib.outputs`) from the loaded project's store, else from
    ``store`` (the project's own by default; ``None``: nothing reused or kept).

    Raises:
        UnusableAnnotations: an annotation file cannot be used (nothing is written); with
            ``keep_going`` every output is written without it and says so at its top.
    """
    cfg = project.config if isinstance(project, Project) else project
    out = out_dir or cfg.build_dir
    if out_dir is None and not cfg.build_dir.resolve().is_relative_to(cfg.root.resolve()):
        # A cloned project's cytobib.toml must not make `build` write elsewhere on its own.
        raise UsageError(
            f"build_dir in cytobib.toml ({cfg.build_dir}) is outside the project folder; "
            "nothing was written.",
            hint="Pass the folder explicitly (`cytobib build -o DIR`) to build outside the "
            "project.",
        )
    owned = not isinstance(project, Project) and store is DEFAULT
    run_store = project.store if isinstance(project, Project) else resolve(store, cfg.root)
    try:
        return _build(
            project,
            run_store,
            out,
            cfg,
            reading_list_formats,
            review_table_formats,
            style,
            keep_going,
            confined=out_dir is None,
        )
    finally:
        if owned:
            run_store.close()


def _build(
    source: Project | Config,
    store: Store,
    out: Path,
    cfg: Config,
    reading_list_formats: Sequence[str] | None,
    review_table_formats: Sequence[str] | None,
    style: str | None,
    keep_going: bool,
    *,
    confined: bool = False,
) -> Built:
    targets = _targets(out, reading_list_formats or cfg.reading_list_formats,
                       review_table_formats or cfg.review_table_formats)  # fmt: skip
    if confined:  # the project's own build folder: a link in it must not lead out either
        _inside_project([t.path for t in targets], cfg.root)
    inputs = outputs.Inputs(cfg, style)
    loaded = _Loaded(source, store, style, keep_going)
    if isinstance(source, Project):
        _ = loaded.project  # the gate, before anything is written
    written: list[Path] = []
    facts: list[Mapping[str, Any]] = []
    fresh: list[tuple[bytes, outputs.Output]] = []
    files: list[Path] = []
    reused = 0
    # One step per file: the reading lists, the tables, the map (md, svg), the four exports.
    with progress.task("Building", len(targets)) as shown:
        for target in targets:
            # --keep-going is an option of each output: without it, a build of the same
            # inputs stops at the gate instead of reusing an output that lacks notes.
            options = (str(target.path.relative_to(out)), style, keep_going, *target.options)
            key = inputs.key("build", options)
            kept = outputs.recall(store, inputs, key) if store.enabled else None
            data: str | bytes | None = None
            if kept is not None:
                if cfg.own_input(target.path) is None and outputs.holds(target.path, kept):
                    files.append(target.path)
                    facts.append(kept.facts)
                    reused += 1
                    shown.advance()
                    continue
                data = outputs.fetch(store, kept)
            if data is None:
                data = target.make(loaded)
                if data is None:  # a format this installation cannot write
                    shown.advance()
                    continue
                made = outputs.Output(data, loaded.facts())
                fresh.append((key, made))
                facts.append(made.facts)
            else:
                reused += 1
                facts.append(kept.facts if kept else {})
            write(data, target.path, cfg)
            files.append(target.path)
            written.append(target.path)
            shown.advance()
    if fresh and store.enabled and inputs.unchanged():
        for key, output in fresh:
            outputs.remember(store, inputs, key, output)
    first: Mapping[str, Any] = facts[0] if facts else {}
    return Built(
        tuple(files),
        tuple(written),
        int(first.get("errors", 0)),
        reused,
        int(first.get("entries", 0)),
        tuple(str(n) for n in first.get("notices", ())),
    )


def _inside_project(paths: Sequence[Path], root: Path) -> None:
    """Refuse (before anything is written) a build file that is a link leading out of the
    project: a cloned project's build/ could hold one to any file of the user's."""
    inside = root.resolve()
    for path in paths:
        if not path.resolve().is_relative_to(inside):
            raise UsageError(
                f"{path} is a link to {path.resolve()}, outside the project folder; "
                "nothing was written.",
                hint=f"Delete the link ({path}), or pass the folder explicitly "
                "(`cytobib build -o DIR`) to build elsewhere.",
            )


def _targets(
    out: Path, reading_list_formats: Sequence[str], review_table_formats: Sequence[str]
) -> list[_Target]:
    """Every file of a build, with what makes it (nothing is imported for a file that is
    reused)."""

    def view(kind: str, name: str) -> Callable[[_Loaded], str | bytes]:
        return lambda loaded: loaded.render(kind, name)

    def evidence_map(name: str) -> Callable[[_Loaded], str | bytes | None]:
        def make(loaded: _Loaded) -> str | bytes | None:
            try:
                return loaded.render("evidence-map", name)
            except (ImportError, AttributeError, UnknownFormatError):
                return None

        return make

    def exported(name: str) -> Callable[[_Loaded], str]:
        def make(loaded: _Loaded) -> str:
            from cytobib.exports import export

            return export(list(loaded.project.library), name)

        return make

    targets = []
    for name in reading_list_formats:
        fmt = registry.canonical(name)
        targets.append(_Target(out / f"reading-list.{fmt}", (fmt,), view("reading-list", fmt)))
    for name in review_table_formats:
        fmt = registry.canonical(name)
        targets.append(_Target(out / f"review-table.{fmt}", (fmt,), view("review-table", fmt)))
    for name in ("md", "svg"):
        fmt = registry.canonical(name)
        targets.append(_Target(out / f"evidence-map.{fmt}", (fmt,), evidence_map(fmt)))
    for name, filename in (
        ("bibtex", "library.bib"),
        ("biblatex", "library-biblatex.bib"),
        ("csl-json", "library.json"),
        ("ris", "library.ris"),
    ):
        targets.append(_Target(out / "export" / filename, (name,), exported(name)))
    return targets
