"""Project scaffolding: `cytobib init`, annotation stubs (`cytobib annotate`) and where the
annotation schema is referenced from."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from cytobib import annotations as ann
from cytobib.annotations import schema
from cytobib.bibfile import create_exclusive
from cytobib.config import CONFIG_NAME, DEFAULT_TOML, Config
from cytobib.errors import AnnotationFileError, Where, WriteError

if TYPE_CHECKING:
    from cytobib.library import Project

LOCAL_SCHEMA = Path(".cytobib") / "annotation.schema.json"

BIB_HEADER = """\
% library.bib: the BibTeX half of a cytobib library; annotations/ holds the notes.
% Keys follow <first author family><year><first title word>, e.g. rosenberg2014il2.
"""


def init_project(
    folder: Path,
    *,
    bib: str | os.PathLike[str] | None = None,
    annotations: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Create the files of a new library; existing files are never replaced.

    ``bib`` (an existing .bib file, or one to create) and ``annotations`` (a folder) are
    written into cytobib.toml instead of library.bib and annotations/, relative to ``folder``
    where they are inside it."""
    import json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bib_path = Path(bib) if bib is not None else folder / "library.bib"
    notes = Path(annotations) if annotations is not None else folder / "annotations"
    toml = DEFAULT_TOML.replace(
        'bib = "library.bib"', f"bib = {_toml_path(bib_path, folder)}"
    ).replace('annotations = "annotations"', f"annotations = {_toml_path(notes, folder)}")
    created: list[Path] = []
    files = {
        folder / CONFIG_NAME: toml,
        bib_path: BIB_HEADER,
        folder / LOCAL_SCHEMA: json.dumps(schema(), indent=2) + "\n",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if create_exclusive(path, text.encode("utf-8")):
            created.append(path)
    if not notes.exists():
        notes.mkdir(parents=True)
        created.append(notes)
    return created


def _toml_path(path: Path, folder: Path) -> str:
    """A path as a TOML string, relative to the settings file's folder when inside it (a
    JSON string is a valid TOML basic string)."""
    import json

    target = path.resolve()
    try:
        shown = target.relative_to(folder.resolve()).as_posix()
    except ValueError:
        shown = str(target)
    return json.dumps(shown, ensure_ascii=False)


def schema_ref_for(config: Config) -> str:
    """The `$schema=` reference written into stubs, relative to the annotations folder: the
    project's own copy (.cytobib/annotation.schema.json), never a path that only exists on
    this machine. Writers of stubs call :func:`ensure_local_schema` first."""
    repo_schema = config.root / "src" / "cytobib" / "schema" / "annotation.schema.json"
    target = repo_schema if repo_schema.is_file() else config.root / LOCAL_SCHEMA
    return Path(os.path.relpath(target, config.annotations)).as_posix()


def ensure_local_schema(config: Config) -> None:
    """Create the project's copy of the schema if it has none (a project made by hand, not by
    `cytobib init`); an existing copy is never replaced. A copy that cannot be written only
    costs editors their completion, so it never fails a command."""
    import json

    path = config.root / LOCAL_SCHEMA
    if path.exists():
        return
    with contextlib.suppress(OSError, WriteError):
        path.parent.mkdir(parents=True, exist_ok=True)
        create_exclusive(path, (json.dumps(schema(), indent=2) + "\n").encode("utf-8"))


def stub_keys(project: Project, keys: Iterable[str] = (), *, missing: bool = False) -> list[str]:
    """The keys to write stubs for: those given, plus (``missing``) every entry that has no
    annotation file and a key usable as a file name. Checked before anything is written.

    Raises:
        UnknownKeyError: a given key is not in the library (the hint suggests close ones).
        AnnotationFileError: a given key cannot be a file name (file:line of its entry).
    """
    from cytobib.library import record_for

    folder = project.config.annotations
    targets = list(keys)
    if missing:
        targets += [
            r.key
            for r in project.library
            if r.annotation is None
            and ann.is_safe_key(r.key)
            and not ann.path_for(folder, r.key).exists()
        ]
    for key in targets:
        record = record_for(project.library, key)
        if not ann.is_safe_key(key):
            try:
                ann.path_for(folder, key)
            except AnnotationFileError as exc:
                where = Where(project.parsed.source.path, record.entry.line)
                raise AnnotationFileError(exc.message, hint=exc.hint, where=where) from None
    return targets


def write_stubs(project: Project, keys: Iterable[str] = (), *, missing: bool = False) -> list[Path]:
    """Write annotation stubs (annotations/KEY.yaml) for :func:`stub_keys`; returns the files.

    Raises:
        UnknownKeyError, AnnotationFileError: see :func:`stub_keys` (nothing is written).
        KeyExistsError: a stub file exists already (it is left as it is).
    """
    from cytobib.lock import locked

    targets = stub_keys(project, keys, missing=missing)
    ref = schema_ref_for(project.config)
    if not targets:
        return []
    with locked(project.config.root):
        ensure_local_schema(project.config)
        return [
            ann.write_stub(project.config.annotations, project.library.by_key[key].entry, ref)
            for key in targets
        ]
