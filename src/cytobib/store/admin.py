"""``cytobib cache info`` and ``cytobib cache clear``: what the cache folder holds, and deleting
it (only files cytobib names, never a folder's other contents)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cytobib.store.database import SUFFIXES, TableInfo, tables_of
from cytobib.store.folder import (
    CACHE_DIR_ENV,
    NO_CACHE_ENV,
    cache_root,
    disabled,
    private_file,
    private_folder,
)
from cytobib.store.project import FOLDER, store_path

_LEGACY = (  # the caches before this store (parse, annotation stamps, memo, references, outputs)
    "parse/*.pickle", "annotations/*.pickle", "derived/*/*.pickle", "render/*/*.pickle",
    "citations/references.sqlite3*", "outputs/*/*.out",
)  # fmt: skip
_CROSSREF = "crossref/crossref.sqlite3*"
_PUBMED = "pubmed/pubmed.sqlite3*"  # PubMed's answers, beside Crossref's (pubmed/cache.py)


@dataclass(frozen=True)
class CacheInfo:
    """What ``cytobib cache info`` shows."""

    root: Path
    off: str | None
    """Why caching is off (None: it is on)."""
    store: Path
    store_bytes: int
    tables: tuple[TableInfo, ...]
    other_stores: int
    other_bytes: int
    crossref_bytes: int
    legacy_files: int
    legacy_bytes: int


@dataclass(frozen=True)
class Cleared:
    """What ``cytobib cache clear`` deleted."""

    files: int
    bytes: int


def _files(root: Path, patterns: Iterable[str]) -> Iterator[tuple[Path, int]]:
    """Regular files (never a symlink) matching ``patterns`` under ``root``, with sizes."""
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            with contextlib.suppress(OSError):
                st = path.lstat()
                if stat.S_ISREG(st.st_mode):
                    yield path, st.st_size


def info(root: Path) -> CacheInfo:
    """Where the cache is and what it holds, for the project in ``root`` (creates nothing)."""
    base = cache_root()
    path = store_path(root)
    off = f"{NO_CACHE_ENV} is set" if disabled() else None
    if off is None and base.exists():
        off = private_folder(base)
    tables: list[TableInfo] = []
    if off is None and path.is_file():
        off = private_file(path)
    if off is None and path.is_file():
        try:  # read-only: looking changes nothing, not even a damaged file
            with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
                tables = tables_of(db)
        except sqlite3.Error as exc:
            off = f"{path} cannot be read ({exc}); `cytobib cache clear` deletes it"
    mine = {f"{path}{s}" for s in SUFFIXES}
    own = other = others = 0
    for found, size in _files(base, [f"{FOLDER}/*.sqlite3*"]):
        if str(found) in mine:
            own += size
        else:
            other += size
            others += found.name.endswith(".sqlite3")
    legacy = list(_files(base, _LEGACY))
    return CacheInfo(
        root=base,
        off=off,
        store=path,
        store_bytes=own,
        tables=tuple(tables),
        other_stores=others,
        other_bytes=other,
        crossref_bytes=sum(size for _, size in _files(base, [_CROSSREF, _PUBMED])),
        legacy_files=len(legacy),
        legacy_bytes=sum(size for _, size in legacy),
    )


def clear(root: Path, *, everything: bool = False) -> Cleared:
    """Delete the store of the project in ``root``; with ``everything``, every project's store,
    the Crossref and PubMed answers and the files of the caches before this store too. Only
    files cytobib names are deleted, never a folder's other contents.

    Raises:
        WriteError: the cache folder is not the user's, or a file cannot be deleted.
    """
    from cytobib.errors import WriteError

    base = cache_root()
    if not base.exists():
        return Cleared(0, 0)
    getuid = getattr(os, "getuid", None)
    if getuid is not None and base.stat().st_uid != getuid():
        raise WriteError(f"Not clearing {base}: it belongs to another user.",
                         hint=f"Set {CACHE_DIR_ENV} to your own cache folder.")  # fmt: skip
    if everything:
        patterns = [f"{FOLDER}/*.sqlite3*", _CROSSREF, _PUBMED, *_LEGACY]
    else:
        patterns = [f"{FOLDER}/{store_path(root).name}{s}" for s in SUFFIXES]
    files = count = 0
    for path, size in list(_files(base, patterns)):
        try:
            path.unlink()
        except OSError as exc:
            raise WriteError(f"Could not delete {path}: {exc.strerror or exc}.",
                             hint="Check the folder's permissions.") from exc  # fmt: skip
        files += 1
        count += size
    if everything:  # the old per-project folders, if now empty (never a folder we did not make)
        for kind in ("derived", "render", "outputs"):
            for folder in base.glob(f"{kind}/" + "[0-9a-f]" * 16):
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return Cleared(files, count)
