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
  dicts with other keys than strings travel in small tagged objects, see :func:`encode`);
  folders are created 0700 and files 0600, and a folder or file that another user owns or may
  write turns the cache off for the run (one warning line) instead of being read.
- **Never fails a command.** A store that cannot be opened, read or written (damaged file,
  read-only folder, full disk, a second process holding the lock) behaves as an empty one that
  keeps nothing; a damaged file is replaced. Two processes may use a store at once (WAL, one
  short write transaction per run).
- **One switch.** ``CYTOBIB_NO_CACHE=1`` (``cytobib --no-cache``) turns every cache off.

The modules, each one concern:

* :mod:`~cytobib.store.folder`: the cache folder, the folder and file rules, the switch;
* :mod:`~cytobib.store.keys`: content keys and table salts;
* :mod:`~cytobib.store.codec`: values as JSON;
* :mod:`~cytobib.store.database`: the :class:`Store` (SQLite, batches, LRU eviction);
* :mod:`~cytobib.store.project`: a project's store, and what ``store=`` arguments mean;
* :mod:`~cytobib.store.admin`: ``cytobib cache info`` and ``cytobib cache clear``.

Which values are cached, under which key, is decided outside the steps that make them
(:mod:`cytobib.caching`, :mod:`cytobib.outputs`).
"""

from __future__ import annotations

from cytobib.store.admin import CacheInfo, Cleared, clear, info
from cytobib.store.codec import Key, decode, encode
from cytobib.store.database import DEFAULT_MAX_BYTES, NO_STORE, Store, TableInfo
from cytobib.store.folder import (
    CACHE_DIR_ENV,
    NO_CACHE_ENV,
    cache_root,
    disabled,
    private_file,
    private_folder,
    warn,
)
from cytobib.store.keys import LIBRARIES, Table, code_digest, code_salt, key_of, table
from cytobib.store.project import (
    DEFAULT,
    MAX_MB_ENV,
    cap_bytes,
    open_store,
    resolve,
    store_path,
)

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT",
    "DEFAULT_MAX_BYTES",
    "LIBRARIES",
    "MAX_MB_ENV",
    "NO_CACHE_ENV",
    "NO_STORE",
    "CacheInfo",
    "Cleared",
    "Key",
    "Store",
    "Table",
    "TableInfo",
    "cache_root",
    "cap_bytes",
    "clear",
    "code_digest",
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
