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
from dataclasses import dataclass, replace
from pathlib import Path

from cytobib import annotations as ann
from cytobib import bibfile, checks
from cytobib.config import Config, load_config
from cytobib.errors import UnknownKeyError
from cytobib.model import Issue, Library, Record
from cytobib.vocabulary import Vocabulary, build


@dataclass(frozen=True, eq=False)  # identity: views memoise per loaded project
class Project:
    """A loaded library together with the settings and vocabulary it was loaded with."""

    config: Config
    library: Library
    vocabulary: Vocabulary
    parsed: bibfile.ParsedBib


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
    use_cache: bool = True,
) -> Project:
    """Load settings, vocabulary, library.bib and annotations, and run the offline checks."""
    config = settings(root, config=config, bib=bib, annotations_dir=annotations_dir)
    vocabulary = build(
        config.agents,
        extra_file=config.agents_file,
        cancers=config.cancers,
        cancers_file=config.cancers_file,
    )

    def bib_only(parsed: bibfile.ParsedBib) -> list[Issue]:
        return checks.bib_checks([Record(e) for e in parsed.entries], parsed.source.path)

    bib_shown = _shown(config.bib)
    parsed, bib_issues = bibfile.load(
        config.bib,
        cache_dir=config.cache_dir if use_cache else None,
        max_bytes=config.max_bib_mb * 1024 * 1024,
        checker=bib_only,
        shown=bib_shown,
    )
    loaded = ann.load_all(
        config.annotations,
        parsed.entries,
        vocabulary,
        shown_folder=_shown(config.annotations),
        cache_dir=config.cache_dir if use_cache else None,
    )
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
    return Project(config, library, vocabulary, parsed)


def load(
    root: str | os.PathLike[str] | None = None,
    *,
    bib: str | os.PathLike[str] | None = None,
    annotations_dir: str | os.PathLike[str] | None = None,
) -> Library:
    """Load a project folder (or the one around the cwd) into a checked :class:`Library`."""
    return open_project(root, bib=bib, annotations_dir=annotations_dir).library


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
