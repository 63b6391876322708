"""The :class:`Store`: one project's cached values in one SQLite file (see :mod:`cytobib.store`).

Reads go straight to the file, in batches (:meth:`Store.get_many`); writes are buffered and
written in one transaction by :meth:`Store.flush` (or on :meth:`Store.close`), so a run costs
one connection and at most one write transaction however many values it uses.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cytobib.store.codec import Key, decode_many, encode
from cytobib.store.folder import CACHE_DIR_ENV, private_file, private_folder, warn
from cytobib.store.keys import Table

DEFAULT_MAX_BYTES: Final = 256_000_000
TOUCH_AFTER: Final = 3600.0
"""A row read this long after it was last marked used is marked again (LRU to the hour)."""
LOW_WATER: Final = 0.9
"""Eviction frees rows until the store holds this share of ``max_bytes``."""
ROW_OVERHEAD: Final = 64
"""Bytes counted per row on top of its key and value (SQLite's record and index)."""
BUSY_MS: Final = 5000
"""How long a write waits for another process's write transaction before giving up."""

_SCHEMA = 1
_READ_BATCH = 500  # keys per SELECT ... IN (...): under every SQLite's variable limit
_FLUSH_BYTES = 64 * 2**20  # pending writes kept in memory before an early flush
SUFFIXES: Final = ("", "-wal", "-shm", "-journal")
"""The store file and its companions."""


@dataclass(frozen=True)
class TableInfo:
    name: str
    entries: int
    bytes: int


class Store:
    """A project's values between runs (see the module docstring); one per run.

    A ``Store(None)`` (or :data:`NO_STORE`) keeps nothing: every lookup misses. Not for use
    from several threads at once beyond what its lock serialises.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
        touch_after: float = TOUCH_AFTER,
        busy_ms: int = BUSY_MS,
        project: str | None = None,
    ) -> None:
        self.path = path
        self.project = project
        self.max_bytes = max_bytes
        self._clock = clock
        self._touch_after = touch_after
        self._busy_ms = busy_ms
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._pending: dict[tuple[str, Key], tuple[Table, Any, str | bytes]] = {}
        self._pending_bytes = 0
        self._touch: set[tuple[str, Key]] = set()
        self._warned = False
        if path is not None:
            self._db = self._open(path)

    # -- opening -------------------------------------------------------------------------------

    def _open(self, path: Path) -> sqlite3.Connection | None:
        problem = private_folder(path.parent)
        if problem is not None:
            self._disable(f"{problem}; make it yours and private (chmod 700), or set "
                          f"{CACHE_DIR_ENV} to another folder")  # fmt: skip
            return None
        for attempt in (1, 2):
            problem = next(filter(None, (private_file(Path(f"{path}{s}")) for s in SUFFIXES)), None)
            if problem is not None:
                self._disable(f"{problem}; make it yours and private, or delete it")
                return None
            try:
                with contextlib.suppress(FileExistsError):
                    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                    os.close(os.open(path, flags, 0o600))  # sqlite's -wal/-shm copy its mode
                db = sqlite3.connect(
                    path,
                    timeout=self._busy_ms / 1000,
                    isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE
                    check_same_thread=False,  # guarded by self._lock
                )
            except (OSError, sqlite3.Error) as exc:
                self._disable(f"{path} cannot be opened ({exc})")
                return None
            try:
                self._setup(db)
            except sqlite3.DatabaseError as exc:
                db.close()
                damaged = not isinstance(exc, sqlite3.OperationalError) or any(
                    sign in str(exc) for sign in ("malformed", "no such table", "no such column")
                )
                if damaged and attempt == 1 and remove(path):
                    warn(f"the cache file {path} was damaged ({exc}); starting a new one.")
                    continue
                self._disable(f"{path} cannot be used ({exc})")
                return None
            with contextlib.suppress(OSError):
                os.utime(path)  # opened: see FORGET_AFTER
            return db
        return None  # pragma: no cover - the loop returns

    def _setup(self, db: sqlite3.Connection) -> None:
        db.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == _SCHEMA:
            db.execute("SELECT 1 FROM entries LIMIT 1").fetchall()  # a damaged file fails here
            db.execute("PRAGMA synchronous = NORMAL")
            return
        if version != 0:
            raise sqlite3.DatabaseError(f"unknown cache schema {version}")
        # Before anything else (auto_vacuum fixes the page size): rendered items of ~1.5 KB
        # fill 4 KB pages badly, and space freed by eviction is given back to the disk.
        db.execute("PRAGMA page_size = 8192")
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer
        db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(
            """
                BEGIN IMMEDIATE;
                CREATE TABLE IF NOT EXISTS entries (
                    tbl TEXT NOT NULL,
                    key BLOB NOT NULL,
                    salt BLOB NOT NULL,
                    code BLOB NOT NULL,
                    used INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    value NOT NULL,
                    PRIMARY KEY (tbl, key)
                );
                CREATE INDEX IF NOT EXISTS entries_used ON entries (used);
                CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v NOT NULL);
                PRAGMA user_version = 1;
                COMMIT;
                """
        )

    def _disable(self, why: str) -> None:
        """Keep nothing for the rest of the run, and say so once."""
        db, self._db = self._db, None
        self._pending.clear()
        self._pending_bytes = 0
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()
        if not self._warned:
            self._warned = True
            warn(f"the cache is off for this run: {why}.")

    @property
    def enabled(self) -> bool:
        return self._db is not None

    # -- reading -------------------------------------------------------------------------------

    def get_many(self, tbl: Table, keys: Iterable[Key]) -> dict[Key, Any]:
        """The values kept for those of ``keys`` that have one (a miss is simply absent)."""
        found: dict[Key, Any] = {}
        with self._lock:
            if self._db is None:
                return found
            wanted = list(dict.fromkeys(keys))
            if self._pending:
                rest = []
                for key in wanted:
                    pending = self._pending.get((tbl.name, key))
                    if pending is not None and pending[0].salt == tbl.salt:
                        found[key] = pending[1]
                    else:
                        rest.append(key)
                wanted = rest
            stale = self._clock() - self._touch_after
            blobs: list[tuple[Key, bytes]] = []
            used_long_ago: list[Key] = []
            try:
                for start in range(0, len(wanted), _READ_BATCH):
                    batch = wanted[start : start + _READ_BATCH]
                    marks = ",".join("?" * len(batch))
                    rows = self._db.execute(
                        "SELECT key, value, used FROM entries "  # noqa: S608 - only '?' marks
                        f"WHERE tbl = ? AND salt = ? AND key IN ({marks})",
                        (tbl.name, tbl.salt, *batch),
                    )
                    for key, raw, used in rows:
                        if type(raw) is str:
                            found[key] = raw
                        else:
                            blobs.append((key, raw))
                        if used < stale:
                            used_long_ago.append(key)
            except sqlite3.OperationalError:  # locked or unreadable this time: misses
                blobs, used_long_ago = [], []
            except sqlite3.Error as exc:
                self._disable(f"{self.path} cannot be read ({exc})")
                return {}
            found.update(decode_many(blobs))
            self._touch.update((tbl.name, key) for key in used_long_ago if key in found)
        return found

    def get(self, tbl: Table, key: Key) -> Any | None:
        """The value kept under ``key``, or None."""
        return self.get_many(tbl, (key,)).get(key)

    # -- writing -------------------------------------------------------------------------------

    def put_many(self, tbl: Table, values: Mapping[Key, Any]) -> None:
        """Keep ``values`` (written by the next :meth:`flush`).

        Raises:
            TypeError: a value :func:`encode` cannot keep.
        """
        with self._lock:
            if self._db is None:
                return
            for key, value in values.items():
                raw = encode(value, plain=tbl.plain)
                self._pending[(tbl.name, key)] = (tbl, value, raw)
                self._pending_bytes += len(raw) + len(key)
            if self._pending_bytes > _FLUSH_BYTES:
                self.flush()

    def put(self, tbl: Table, key: Key, value: Any) -> None:
        self.put_many(tbl, {key: value})

    def through(self, tbl: Table, key: Key, make: Callable[[], Any]) -> Any:
        """The value kept under ``key``, else ``make()``'s (kept from now on)."""
        value = self.get(tbl, key)
        if value is None:
            value = make()
            self.put(tbl, key, value)
        return value

    def through_many(
        self,
        tbl: Table,
        keys: Sequence[Key],
        make: Callable[[list[Key]], Mapping[Key, Any]],
    ) -> dict[Key, Any]:
        """Every key's value: those kept, and ``make(missing keys)``'s for the rest (one call
        for all of them, so that a batch engine runs once)."""
        found = self.get_many(tbl, keys)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            made = make(missing)
            self.put_many(tbl, made)
            found.update(made)
        return found

    def flush(self) -> None:
        """Write what this run made and mark what it used, in one transaction, then evict the
        least recently used rows beyond the cap. A store that is busy for longer than
        ``busy_ms`` (another process writing) keeps this run's values in memory only."""
        with self._lock:
            db = self._db
            if db is None or not (self._pending or self._touch):
                return
            now = int(self._clock())
            rows = [
                (name, key, t.salt, t.code, now, len(key) + len(raw) + ROW_OVERHEAD, raw)
                for (name, key), (t, _value, raw) in self._pending.items()
            ]
            touch = [(now, name, key) for name, key in self._touch]
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # busy: another process is writing; next flush
                return
            except sqlite3.Error as exc:
                self._disable(f"{self.path} cannot be written ({exc})")
                return
            try:
                if self.project is not None:
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('project', ?)", (self.project,))
                self._purge_old_code(db, rows)
                db.executemany("UPDATE entries SET used = ? WHERE tbl = ? AND key = ?", touch)
                db.executemany(
                    "INSERT OR REPLACE INTO entries (tbl, key, salt, code, used, size, value) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                self._evict(db)
                db.execute("COMMIT")
                self._pending.clear()
                self._pending_bytes = 0
                self._touch.clear()
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                self._disable(f"{self.path} cannot be written ({exc})")
                return
            with contextlib.suppress(sqlite3.Error):
                db.execute("PRAGMA incremental_vacuum")

    def _purge_old_code(self, db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        """Drop every row made by other code than this, the first time this code writes."""
        codes = {row[3] for row in rows if row[3]}
        if not codes:
            return
        known = {r[0] for r in db.execute("SELECT v FROM meta WHERE k LIKE 'code:%'")}
        if codes <= known:
            return
        db.execute("DELETE FROM meta WHERE k LIKE 'code:%'")
        marks = ",".join("?" * len(codes))
        db.execute(
            f"DELETE FROM entries WHERE code != x'' AND code NOT IN ({marks})",  # noqa: S608
            tuple(codes),
        )
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(f"code:{c.hex()}", c) for c in codes])

    def _evict(self, db: sqlite3.Connection) -> None:
        total = db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
        if total <= self.max_bytes:
            return
        excess = total - int(self.max_bytes * LOW_WATER)
        doomed = []
        for rowid, size in db.execute("SELECT rowid, size FROM entries ORDER BY used, rowid"):
            doomed.append((rowid,))
            excess -= size
            if excess <= 0:
                break
        db.executemany("DELETE FROM entries WHERE rowid = ?", doomed)

    # -- the whole store -----------------------------------------------------------------------

    def tables(self) -> list[TableInfo]:
        """Entries and bytes per table name (every salt counted)."""
        with self._lock:
            if self._db is None:
                return []
            try:
                return tables_of(self._db)
            except sqlite3.Error:
                return []

    def close(self) -> None:
        """Flush, then let go of the file."""
        with self._lock:
            self.flush()
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def tables_of(db: sqlite3.Connection) -> list[TableInfo]:
    rows = db.execute(
        "SELECT tbl, COUNT(*), SUM(size) FROM entries GROUP BY tbl ORDER BY tbl"
    ).fetchall()
    return [TableInfo(str(name), int(n), int(size)) for name, n, size in rows]


NO_STORE: Final = Store(None)
"""The store that keeps nothing (``open_project(store=None)`` uses it)."""


def remove(path: Path) -> bool:
    """Delete a store file and its companions; False if one of them cannot be deleted."""
    ok = True
    for suffix in SUFFIXES:
        try:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError:
            ok = False
    return ok
