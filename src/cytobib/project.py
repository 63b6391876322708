"""Project scaffolding: `cytobib init`, annotation stubs (`cytobib annotate`) and where the
annotation schema is referenced from."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Stubs:
    """What :func:`write_stubs` did: the files ``written``, and those ``skipped`` because they
    exist already (left as they are)."""

    written: tuple[Path, ...] = ()
    skipped: tuple[Path, ...] = ()


def write_stubs(project: Project, keys: Iterable[str] = (), *, missing: bool = False) -> Stubs:
    """Write annotation stubs (annotations/KEY.yaml) for :func:`stub_keys`. A file that
    exists is skipped, never replaced, and the rest of the batch is written.

    Raises:
        UnknownKeyError, AnnotationFileError: see :func:`stub_keys` (nothing is written).
    """
    from cytobib.errors import KeyExistsError
    from cytobib.lock import locked

    targets = list(dict.fromkeys(stub_keys(project, keys, missing=missing)))
    ref = schema_ref_for(project.config)
    if not targets:
        return Stubs()
    folder = project.config.annotations
    written: list[Path] = []
    skipped: list[Path] = []
    with locked(project.config.root):
        ensure_local_schema(project.config)
        for key in targets:
            try:
                written.append(ann.write_stub(folder, project.library.by_key[key].entry, ref))
            except KeyExistsError:
                skipped.append(ann.path_for(folder, key))
    return Stubs(tuple(written), tuple(skipped))


def write_annotation(
    project: Project, key: str, data: bytes, *, expected: bytes | None, draft: Path
) -> Path:
    """Replace annotations/KEY.yaml with ``data`` (``cytobib edit``), atomically and under
    the project's write lock, only if the file still holds ``expected`` (None: it does not
    exist yet).

    Raises:
        LibraryStateError: the file changed meanwhile; nothing is written, and the message
            names ``draft``, where the new text waits.
        WriteError: the file cannot be written (the old one is unchanged).
    """
    from cytobib.bibfile import atomic_write_bytes
    from cytobib.errors import LibraryStateError
    from cytobib.lock import locked

    path = ann.path_for(project.config.annotations, key)
    with locked(project.config.root):
        current = path.read_bytes() if path.exists() else None
        if current != expected:
            shown = os.path.relpath(draft) if draft.is_absolute() else str(draft)
            raise LibraryStateError(
                f"{path.name} changed while it was being edited, so the edit was not saved "
                f"over it; it is kept in {shown}.",
                hint=f"Compare the two, then run `cytobib edit {key}` to reopen the edit.",
            )
        ensure_local_schema(project.config)
        path.parent.mkdir(parents=True, exist_ok=True)
        if expected is None:
            if not create_exclusive(path, data):
                raise LibraryStateError(  # created between the check and now
                    f"{path.name} was created while it was being edited; the edit is kept in "
                    f"{draft}.",
                    hint=f"Run `cytobib edit {key}` to reopen the edit.",
                )
        else:
            atomic_write_bytes(path, data)
    return path
