"""A persistent SQLite cache of Crossref answers, consulted before the rate limiter.

Crossref asks clients to cache what they fetch (``api_tips.md``, "Cache the results of your
requests"), and a review library is enriched and checked again and again. Answers are kept in
``crossref.sqlite3`` in the directory given to :class:`Cache`; the commands give it
``<cache folder>/crossref/`` (the cache folder is ``$CYTOBIB_CACHE_DIR`` or the platform's user
cache dir). Without a directory, :func:`default_cache_dir` is used.

Rows are keyed by the normalised request (:func:`work_key`, :func:`search_key`: lower-cased
DOI, collapsed query text, never the contact address) and hold the status, the raw body and
when it was fetched. How long a row stays fresh is decided when it is read, so changing a TTL
applies to rows already stored:

========================================  ==========  ==============================================
Row                                       Fresh for   Why
========================================  ==========  ==============================================
work (200)                                30 days     metadata rarely changes
work that carries ``updated-by`` or       7 days      update links keep arriving after deposit
``update-to``                                         (crossref-api.md §7.7)
404 (DOI unknown to Crossref)             1 day       may be registered soon, or a typo fixed
search result list                        7 days      new works keep being indexed
========================================  ==========  ==============================================

Modes: ``normal`` uses fresh rows; ``refresh`` ignores rows but still writes; ``offline`` uses
any row however old and never touches the network (a miss raises ``OfflineCacheMiss`` in the
client). Each thread gets its own connection; each write is one transaction, so a Ctrl-C leaves
either the old row or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cytobib import store
from cytobib.doi import normalize_doi
from cytobib.errors import CrossrefError, CytobibError

__all__ = [
    "DAY",
    "Cache",
    "CacheMode",
    "CachedResponse",
    "default_cache_dir",
    "search_key",
    "work_key",
]

CacheMode = Literal["normal", "refresh", "offline"]
DAY = 86_400.0
CACHE_DIR_ENV = store.CACHE_DIR_ENV
FILENAME = "crossref.sqlite3"
_SCHEMA_VERSION = 1
_MODES: tuple[CacheMode, ...] = ("normal", "refresh", "offline")


def default_cache_dir() -> Path:
    """``$CYTOBIB_CACHE_DIR`` if set, else the platform's user cache dir for cytobib."""
    return store.cache_root()


def work_key(doi: str) -> str:
    """Cache key of ``GET /works/{doi}``: the lower-cased, normalised DOI."""
    return f"works/{normalize_doi(doi)}"


def search_key(bibliographic: str, rows: int) -> str:
    """Cache key of a bibliographic search: whitespace collapsed and case folded."""
    query = re.sub(r"\s+", " ", bibliographic).strip().casefold()
    return f"works?query.bibliographic={query}&rows={rows}"


@dataclass(frozen=True)
class CachedResponse:
    """One stored answer. ``fresh`` says whether its TTL still runs at read time."""

    key: str
    status: int
    body: bytes
    fetched_at: float
    has_updates: bool
    fresh: bool


class Cache:
    """The SQLite cache; safe to share between threads (one connection per thread).

    Another source's answers (PubMed: :class:`cytobib.pubmed.cache.PubMedCache`) live in a
    file of their own under the same folder rules: a subclass names its ``filename``, the
    ``label`` its warnings use, the ``error`` it raises for a damaged file, and its own
    :meth:`ttl_for`.
    """

    filename: str = FILENAME
    label: str = "Crossref"
    error: type[CytobibError] = CrossrefError

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        mode: CacheMode = "normal",
        ttl: float = 30 * DAY,
        not_found_ttl: float = 1 * DAY,
        update_ttl: float = 7 * DAY,
        search_ttl: float = 7 * DAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Open (creating if needed) ``crossref.sqlite3`` in ``directory``.

        Args:
            directory: where to keep the file; default :func:`default_cache_dir`.
            mode: ``normal``, ``refresh`` (ignore stored rows) or ``offline`` (cache only).
            ttl: freshness of a work record, in seconds.
            not_found_ttl: freshness of a 404.
            update_ttl: freshness of a record carrying ``updated-by`` / ``update-to``.
            search_ttl: freshness of a search result list.
            clock: wall-clock time in seconds (injected for tests of expiry).

        Raises:
            CrossrefError: the file exists but is not a usable SQLite database.
        """
        if mode not in _MODES:
            raise ValueError(f"Unknown cache mode {mode!r}; use one of {', '.join(_MODES)}.")
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.path = self.directory / self.filename
        self.mode: CacheMode = mode
        self.ttl = ttl
        self.not_found_ttl = not_found_ttl
        self.update_ttl = update_ttl
        self.search_ttl = search_ttl
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        # The folder rules of every cache (cytobib.store): off with CYTOBIB_NO_CACHE; a folder
        # or file another user owns or may write is not used (one warning line); made 0700/0600.
        self.off = store.disabled()
        problem = None if self.off else store.private_folder(self.directory)
        problem = problem or (None if self.off else store.private_file(self.path))
        if problem is not None:
            store.warn(f"{self.label} answers are not cached in this run: {problem}.")
            self.off = True
        if self.off:
            return
        try:
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self._setup(self._conn())
        except (OSError, sqlite3.OperationalError) as exc:  # read-only folder, full disk, locked
            store.warn(f"{self.label} answers are not cached in this run: {self.path}: {exc}.")
            self.close()
            self.off = True
        except sqlite3.DatabaseError as exc:  # not a database: its answers are not ours to drop
            raise self.error(
                f"The {self.label} cache {self.path} is not a usable SQLite database ({exc}).",
                hint=f"Delete that file: it only holds cached {self.label} answers.",
            ) from exc

    # -- connections ------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError(f"This {self.label} cache has been closed.")
            # check_same_thread=False only so close() may close every thread's connection;
            # each connection is otherwise used by the thread that opened it.
            conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        # WAL lets readers run while one thread writes; it is a property of the file.
        conn.execute("PRAGMA journal_mode = WAL")
        with conn:
            conn.execute(
                """CREATE TABLE IF NOT EXISTS responses (
                    key TEXT PRIMARY KEY,
                    status INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    fetched_at REAL NOT NULL,
                    has_updates INTEGER NOT NULL DEFAULT 0
                )"""
            )
            conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def close(self) -> None:
        """Close every thread's connection; the file stays for the next run."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- policy -----------------------------------------------------------------------------

    def ttl_for(self, key: str, status: int, has_updates: bool) -> float:
        """Seconds a row stays fresh (see the table in the module docstring)."""
        if status == 404:
            return self.not_found_ttl
        if "?" in key:
            return self.search_ttl
        if has_updates:
            return self.update_ttl
        return self.ttl

    # -- reading and writing ----------------------------------------------------------------

    def lookup(self, key: str) -> CachedResponse | None:
        """Return the stored row for ``key``, fresh or stale, or None."""
        if self.off:
            return None
        row = (
            self._conn()
            .execute(
                "SELECT status, body, fetched_at, has_updates FROM responses WHERE key = ?",
                (key,),
            )
            .fetchone()
        )
        if row is None:
            return None
        status, body, fetched_at, has_updates = (
            int(row[0]),
            bytes(row[1]),
            float(row[2]),
            bool(row[3]),
        )
        age = self._clock() - fetched_at
        fresh = age < self.ttl_for(key, status, has_updates)
        return CachedResponse(key, status, body, fetched_at, has_updates, fresh)

    def get(self, key: str) -> CachedResponse | None:
        """The row the current mode may use: fresh in ``normal``, any in ``offline``, none in
        ``refresh``."""
        if self.mode == "refresh":
            return None
        found = self.lookup(key)
        if found is None or (self.mode == "normal" and not found.fresh):
            return None
        return found

    def store(self, key: str, status: int, body: bytes, *, has_updates: bool = False) -> None:
        """Write one answer in its own transaction (all or nothing, even on Ctrl-C). A write
        that fails (read-only folder, full disk) turns the cache off for the run: never the
        command."""
        if self.off:
            return
        conn = self._conn()
        try:
            with conn:
                conn.execute(
                    "INSERT OR REPLACE INTO responses (key, status, body, fetched_at, has_updates) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (key, status, sqlite3.Binary(body), self._clock(), int(has_updates)),
                )
        except sqlite3.OperationalError as exc:
            store.warn(f"{self.label} answers are not cached in this run: {self.path}: {exc}.")
            self.off = True

    def delete(self, key: str) -> None:
        """Forget one answer."""
        if self.off:
            return
        conn = self._conn()
        with conn:
            conn.execute("DELETE FROM responses WHERE key = ?", (key,))

    def clear(self) -> None:
        """Forget every answer."""
        if self.off:
            return
        conn = self._conn()
        with conn:
            conn.execute("DELETE FROM responses")

    def __len__(self) -> int:
        if self.off:
            return 0
        row = self._conn().execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(row[0])

    def keys(self) -> list[str]:
        """Every stored key, sorted (for tests)."""
        if self.off:
            return []
        rows = self._conn().execute("SELECT key FROM responses ORDER BY key").fetchall()
        return [str(r[0]) for r in rows]
