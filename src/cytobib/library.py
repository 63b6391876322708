"""Loading a whole project: library.bib + annotations/ + vocabulary -> a checked Library.

``load`` is the first step of every pipeline (load -> check -> enrich -> view -> render) and the
function users call from Python::

    import cytobib
    lib = cytobib.load("path/to/project")
    for record in lib:
        print(record.key, record.entry.title, record.annotation and record.annotation.agents)
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cytobib import annotations as ann
from cytobib import bibfile, caching, checks
from cytobib import store as cache_store
from cytobib.config import Config, load_config
from cytobib.errors import UnknownKeyError
from cytobib.model import Issue, Library, Record
from cytobib.store import Store
from cytobib.vocabulary import Vocabulary, build


@dataclass(frozen=True, eq=False)  # identity: a run's project, with the run's store
class Project:
    """A loaded library together with the settings and vocabulary it was loaded with, and the
    store that keeps what this run derives from it (:mod:`cytobib.store`).

    A context manager: leaving the ``with`` block writes the store it opened (one
    transaction). A project that is not used in a ``with`` block writes it when it is garbage
    collected or when the interpreter exits.
    """

    config: Config
    library: Library
    vocabulary: Vocabulary
    parsed: bibfile.ParsedBib
    store: Store = field(default=cache_store.NO_STORE, repr=False)
    owns_store: bool = field(default=False, repr=False)
    """Whether :func:`open_project` opened the store (then :meth:`close` closes it; a store
    the caller handed in is the caller's to close)."""

    def close(self) -> None:
        """Write what this run derived to the store and let go of it, if the project opened
        it."""
        if self.owns_store:
            self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shown(path: Path) -> str:
    """The path as the user would type it: relative to the working directory."""
    try:
        return os.path.relpath(path, Path.cwd())
    except ValueError:
        return str(path)


def settings(
    root: str | os.PathLike[str] | None = None,
    *,
    config: Config | None = None,
    bib: str | os.PathLike[str] | None = None,
    annotations_dir: str | os.PathLike[str] | None = None,
) -> Config:
    """The project's settings (cytobib.toml in ``root`` or above it), with overrides."""
    if config is None:
        start = Path(root) if root is not None else None
        if start is not None and start.is_file():
            config = load_config(start)
        else:
            config = load_config(start=start)
    if bib is not None:
        config = replace(config, bib=Path(bib))
    if annotations_dir is not None:
        config = replace(config, annotations=Path(annotations_dir))
    return config


def open_project(
    root: str | os.PathLike[str] | None = None,
    *,
    config: Config | None = None,
    bib: str | os.PathLike[str] | None = None,
    annotations_dir: str | os.PathLike[str] | None = None,
    store: Store | Any | None = cache_store.DEFAULT,
    use_cache: bool | None = None,
) -> Project:
    """Load settings, vocabulary, library.bib and annotations, and run the offline checks.

    ``store`` keeps what is derived from the files between runs: by default the project's
    own (:func:`cytobib.store.open_store`, off with ``CYTOBIB_NO_CACHE``), ``None`` for no
    caching at all, or a :class:`~cytobib.store.Store` of the caller's. ``use_cache=False``
    is the older spelling of ``store=None`` (deprecated: it goes in the next release).
    """
    config = settings(root, config=config, bib=bib, annotations_dir=annotations_dir)
    if use_cache is False:  # the older spelling, kept for one release
        store = None
    owned = store is cache_store.DEFAULT
    run_store = cache_store.resolve(store, config.root)
    vocabulary = build(
        config.agents,
        extra_file=config.agents_file,
        cancers=config.cancers,
        cancers_file=config.cancers_file,
    )

    def bib_only(parsed: bibfile.ParsedBib) -> list[Issue]:
        return checks.bib_checks([Record(e) for e in parsed.entries], parsed.source.path)

    bib_shown = _shown(config.bib)
    try:
        parsed, bib_issues = bibfile.load(
            config.bib,
            max_bytes=config.max_bib_mb * 1024 * 1024,
            checker=bib_only,
            shown=bib_shown,
            around=caching.around_parse(run_store) if run_store.enabled else None,
        )
        loaded = ann.load_all(
            config.annotations,
            parsed.entries,
            vocabulary,
            shown_folder=_shown(config.annotations),
            around=caching.around_annotations(run_store, vocabulary) if run_store.enabled else None,
        )
    except BaseException:
        if owned:
            run_store.close()
        raise
    records = tuple(Record(e, loaded.annotations.get(e.key)) for e in parsed.entries)
    issues: list[Issue] = [*parsed.issues, *loaded.issues, *bib_issues]
    issues.extend(checks.annotation_checks(records, bib_shown, annotation_files=loaded.files))
    library = Library(
        records=records,
        issues=tuple(sort_issues(issues)),
        bib_path=str(config.bib),
        annotations_dir=str(config.annotations),
        encoding=parsed.source.encoding,
    )
    project = Project(config, library, vocabulary, parsed, run_store, owns_store=owned)
    if owned:  # written at the latest when the project goes, or the interpreter exits
        weakref.finalize(project, run_store.close)
    return project


def load(
    root: str | os.PathLike[str] | None = None,
    *,
    bib: str | os.PathLike[str] | None = None,
    annotations_dir: str | os.PathLike[str] | None = None,
) -> Library:
    """Load a project folder (or the one around the cwd) into a checked :class:`Library`."""
    with open_project(root, bib=bib, annotations_dir=annotations_dir) as project:
        return project.library


def sort_issues(issues: list[Issue]) -> list[Issue]:
    def order(issue: Issue) -> tuple[str, int, int]:
        loc = issue.location
        return (loc.path if loc else "", (loc.line or 0) if loc else 0, -int(issue.severity))

    return sorted(issues, key=order)


def record_for(library: Library, key: str) -> Record:
    """The record with ``key``.

    Raises:
        UnknownKeyError: no entry has that key; the hint names the closest keys, since a typo
            is the usual cause.
    """
    record = library.get(key)
    if record is not None:
        return record
    from rapidfuzz import process

    keys = [r.key for r in library]
    close = [c for c, score, _ in process.extract(key, keys, limit=3) if score >= 60]
    raise UnknownKeyError(
        f"No entry has the key '{key}'.",
        hint=f"Did you mean {', '.join(close)}?" if close else "See `cytobib check`.",
    )
