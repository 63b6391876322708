"""A project's store: where it lives, opening it (or one that keeps nothing), forgetting the
stores of projects nobody opens any more, and what an API's ``store`` argument means."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from pathlib import Path
from typing import Any, Final

from cytobib.store.database import DEFAULT_MAX_BYTES, NO_STORE, Store, remove
from cytobib.store.folder import CACHE_DIR_ENV, cache_root, disabled, private_folder

MAX_MB_ENV: Final = "CYTOBIB_CACHE_MAX_MB"
FORGET_AFTER: Final = 90 * 86_400.0
"""The store of a project not opened for this long is deleted when another one is opened."""
FOLDER: Final = "store"
"""The stores' folder in the cache folder."""


def _project_id(root: Path) -> str:
    ident = str(root.resolve()).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(ident, digest_size=8).hexdigest()


def cap_bytes() -> int:
    """The size cap of a project's store: ``CYTOBIB_CACHE_MAX_MB``, else 256 MB (also for a
    value that is not a finite number)."""
    env = os.environ.get(MAX_MB_ENV, "").strip()
    try:
        return max(1, int(float(env) * 1e6)) if env else DEFAULT_MAX_BYTES
    except (ValueError, OverflowError):  # "abc", "nan"; "inf", "1e400"
        return DEFAULT_MAX_BYTES


def store_path(root: Path) -> Path:
    """Where the store of the project in ``root`` lives."""
    return cache_root() / FOLDER / f"{_project_id(root)}.sqlite3"


def open_store(root: Path, *, max_bytes: int | None = None) -> Store:
    """The store of the project in ``root``; one that keeps nothing when caching is off
    (``CYTOBIB_NO_CACHE``) or the cache folder cannot be trusted or used (one warning line).

    The cap is ``max_bytes``, else ``CYTOBIB_CACHE_MAX_MB``, else :data:`DEFAULT_MAX_BYTES`.
    """
    limit = max_bytes or cap_bytes()
    if disabled():
        return Store(None, max_bytes=limit)
    path = store_path(root)
    problem = private_folder(path.parent.parent)
    if problem is not None:
        store = Store(None, max_bytes=limit)
        store._disable(f"{problem}; make it yours and private (chmod 700), or set "
                       f"{CACHE_DIR_ENV} to another folder")  # fmt: skip
        return store
    with contextlib.suppress(OSError):  # our own folder: private even if an old run made it 0755
        if path.parent.is_dir() and path.parent.stat().st_mode & 0o077:
            path.parent.chmod(0o700)
    store = Store(path, max_bytes=limit, project=str(root.resolve()))
    if store.enabled:
        _forget_old_stores(path.parent, keep=path)
    return store


def _forget_old_stores(folder: Path, keep: Path, now: float | None = None) -> None:
    """Delete the stores of projects that no run has opened for :data:`FORGET_AFTER`."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError), os.scandir(folder) as scan:
        for item in scan:
            if not item.name.endswith(".sqlite3") or item.path == str(keep):
                continue
            with contextlib.suppress(OSError):
                if now - item.stat(follow_symlinks=False).st_mtime > FORGET_AFTER:
                    remove(Path(item.path))


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final[Any] = _Default()
"""``open_project(store=DEFAULT)``: the project's own store, unless caching is off."""


def resolve(store: Store | Any | None, root: Path) -> Store:
    """What an API's ``store`` argument means: :data:`DEFAULT` the project's store
    (:func:`open_store`), ``None`` no caching (:data:`NO_STORE`), a :class:`Store` itself."""
    if store is DEFAULT:
        return open_store(root)
    if store is None:
        return NO_STORE
    if isinstance(store, Store):
        return store
    raise TypeError(f"store must be a Store, None or DEFAULT, not {type(store).__name__}")
