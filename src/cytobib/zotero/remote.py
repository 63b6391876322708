"""Reading the Zotero library for a sync: what changed since the last run, and nothing more.

The desktop client's loop (``shared/docs/zotero-web-api.md`` §10): ``?since=<version>
&format=versions`` lists what changed (one request, no pagination, one consistent library
version), ``/deleted?since=`` what went, then the changed objects are read by ``itemKey``, 50 a
request. The first run reads everything. Zotero 7's local API has other versions and no
``/deleted``: there every object is read, page by page, and deletions are what is missing.

Also here: the collection a sync is limited to (found by name, created by push), the
fingerprints of items no work claims (``others`` in the sync record), and the lock that keeps
two syncs of one project apart.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import filelock

from cytobib.errors import LibraryStateError, ZoteroConflict
from cytobib.zotero import match
from cytobib.zotero.client import Stale, ZoteroClient
from cytobib.zotero.state import LibraryState

SYNC_LOCK = Path(".cytobib") / "zotero.lock"
NOT_ITEMS = frozenset({"note", "attachment", "annotation"})


@dataclass
class Remote:
    """What this run knows of the library: its version, the objects read (key -> data), the
    keys deleted since the last run, and whether ``objects`` is the whole library."""

    version: int
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    complete: bool = False
    _notes: tuple[int, dict[str, list[dict[str, Any]]]] | None = field(
        default=None, repr=False, compare=False
    )

    def gone(self, key: str) -> bool:
        """Deleted (or trashed: the API lists trashed objects nowhere we read)."""
        return key in self.deleted or (self.complete and key not in self.objects)

    def notes_of(self, item: str) -> list[dict[str, Any]]:
        """The child notes of ``item`` among the objects read (indexed once per size)."""
        if self._notes is None or self._notes[0] != len(self.objects):
            notes: dict[str, list[dict[str, Any]]] = {}
            for data in self.objects.values():
                if data.get("itemType") == "note" and data.get("parentItem"):
                    notes.setdefault(str(data["parentItem"]), []).append(data)
            self._notes = (len(self.objects), notes)
        return self._notes[1].get(item, [])


def is_item(data: dict[str, Any]) -> bool:
    """A regular top-level item (not a note, attachment or annotation; not in the trash)."""
    return (
        "parentItem" not in data
        and data.get("itemType") not in NOT_ITEMS
        and not data.get("deleted")
    )


def read(
    client: ZoteroClient,
    lib: LibraryState,
    *,
    progress: Callable[[str, int | None], Callable[[int], None]] | None = None,
) -> Remote:
    """The library as far as this run needs it (see the module docstring)."""
    if client.settings.local:
        advance = progress("reading Zotero", None) if progress else None
        objects = client.everything(advance)
        version = client.version or 0
        return Remote(version, {o["key"]: o["data"] for o in objects}, set(), complete=True)
    snap = client.snapshot(lib.version)
    keys = sorted(snap.changed)
    advance = progress("reading Zotero", len(keys)) if progress and keys else None
    objects = client.fetch(keys, advance) if keys else []
    return Remote(
        snap.version,
        {o["key"]: o["data"] for o in objects},
        set(snap.deleted),
        complete=lib.version is None,
    )


def refresh(client: ZoteroClient, remote: Remote) -> Remote:
    """Read what changed since ``remote`` was read (after a 412) into it."""
    snap = client.snapshot(remote.version)
    objects = client.fetch(sorted(snap.changed)) if snap.changed else []
    remote.objects.update({o["key"]: o["data"] for o in objects})
    remote.deleted |= snap.deleted
    for key in snap.deleted:
        remote.objects.pop(key, None)
    remote.version = snap.version
    return remote


def note_others(lib: LibraryState, remote: Remote) -> None:
    """Keep the fingerprints of items no work claims (``others``) in step with what was read."""
    tracked = lib.by_item()
    if remote.complete:
        lib.others = {}
    for key in remote.deleted:
        lib.others.pop(key, None)
    for key, data in remote.objects.items():
        if key in tracked or not is_item(data):
            lib.others.pop(key, None)
            continue
        lib.others[key] = {
            "version": data.get("version", 0),
            "fp": match.of_item(data).as_json(),
            "collections": list(data.get("collections") or []),
        }


def collection_key(
    client: ZoteroClient, lib: LibraryState, name: str | None, *, create: bool
) -> str | None:
    """The key of the collection named ``name`` (None: no collection), found by name and
    remembered; created when missing and ``create``."""
    if not name:
        return None
    for coll in client.collections():
        data = coll.get("data", coll)
        if str(data.get("name", "")) == name and not data.get("deleted"):
            return str(data["key"])
    if not create:
        return None
    for _ in range(3):  # someone else may write meanwhile: read the version again
        try:
            return client.create_collection(name, client.library_version())
        except Stale:
            continue
    raise ZoteroConflict(
        f"{client.settings.library} kept changing while cytobib created the collection {name!r}.",
        hint="Run the command again when the others have finished.",
    )


@contextlib.contextmanager
def sync_lock(root: Path) -> Iterator[None]:
    """One sync of a project at a time (other commands may still write meanwhile; a dry
    run, which writes nothing, takes no lock).

    Raises:
        LibraryStateError: another ``cytobib zotero`` command is running in this project.
    """
    path = Path(root) / SYNC_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(os.fspath(path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LibraryStateError(
            "Another `cytobib zotero` command is syncing this project; nothing was done.",
            hint="Let it finish, then run this command again.",
        ) from None
    try:
        yield
    finally:
        lock.release()
