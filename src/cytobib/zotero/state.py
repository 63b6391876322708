"""What the sync remembers between runs: ``.cytobib/zotero.json``, never library.bib.

Per library (``groups/123``): the library version last seen, and per citation key a
:class:`Link` - the Zotero item key and the key of cytobib's child note, the versions last seen,
and the *base* of a three-way merge: a digest of each field as it was when both sides last
agreed, the tags cytobib set, and a digest of the note's content. Whatever differs from the
base on one side was edited there; edited on both sides is a conflict, never overwritten.

Keys cytobib makes for new items are recorded *before* they are sent (``pending``), so a run
killed after Zotero saved them but before this file was written finds them again instead of
creating them twice. Items in the library that no work claims keep a small fingerprint in
``others`` (what matching needs), so a later push need not read them again; objects a push
found edited in Zotero are listed in ``unpulled`` until a pull has brought (or reported) them,
since the push moves the library version past them.

Written atomically under the project's write lock; a file that cannot be read is an error,
never silently replaced (it is the only record of which Zotero item is which work).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cytobib.bibfile import atomic_write_bytes
from cytobib.errors import InputError, WriteError
from cytobib.lock import locked
from cytobib.model import Location

STATE_FILE = Path(".cytobib") / "zotero.json"
FORMAT = 1


def digest(value: str) -> str:
    """A short digest of a value (the base of the three-way merge keeps no values)."""
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


@dataclass
class Link:
    """One work's Zotero identity and merge base (see the module docstring)."""

    item: str
    note: str | None = None
    item_version: int = 0
    note_version: int = 0
    fields: dict[str, str] = field(default_factory=dict)  # flat Zotero field -> digest
    tags: list[str] = field(default_factory=list)
    note_digest: str | None = None
    pending: bool = False  # item and note keys minted, the item not yet confirmed by Zotero
    note_pending: bool = False  # a note key minted for an existing item, not yet confirmed
    gone: bool = False  # deleted (or trashed) in Zotero: not recreated
    fp: list[str] = field(default_factory=list)  # the entry's fingerprint (a renamed key)
    kind: str = ""  # the item's Zotero type (an adopted item keeps its own)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Link:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        """The link as JSON data (shallow: ``dataclasses.asdict`` deep-copies, 30x slower)."""
        out = dict(self.__dict__)
        out["fields"] = dict(sorted(self.fields.items()))
        return out


@dataclass
class LibraryState:
    """The sync's memory of one Zotero library."""

    version: int | None = None
    collection: str | None = None  # key of the collection synced, if any
    links: dict[str, Link] = field(default_factory=dict)  # citation key -> link
    others: dict[str, dict[str, Any]] = field(default_factory=dict)  # item key -> fingerprint
    unpulled: list[str] = field(default_factory=list)  # Zotero edits a push saw, pull's to bring

    def by_item(self) -> dict[str, str]:
        """Zotero item key -> citation key."""
        return {link.item: key for key, link in self.links.items()}

    def by_note(self) -> dict[str, str]:
        """Zotero note key -> citation key."""
        return {link.note: key for key, link in self.links.items() if link.note}


@dataclass
class SyncState:
    """``.cytobib/zotero.json``: every library synced from this project."""

    path: Path
    libraries: dict[str, LibraryState] = field(default_factory=dict)

    def library(self, name: str) -> LibraryState:
        return self.libraries.setdefault(name, LibraryState())

    @classmethod
    def load(cls, root: Path) -> SyncState:
        """The project's sync record; a missing file is an empty one.

        Raises:
            InputError: the file exists but cannot be read as the sync record.
        """
        path = root / STATE_FILE
        shown = STATE_FILE.as_posix()
        keep = (
            "cytobib will not replace it: it is the only record of which Zotero item is which work."
        )
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{shown} cannot be read ({getattr(exc, 'strerror', None) or exc}); {keep}",
                hint="Check that .cytobib is a folder and the file is readable UTF-8.",
            ) from None
        try:
            data = json.loads(text)
            libraries = {
                name: LibraryState(
                    version=lib.get("version"),
                    collection=lib.get("collection"),
                    links={k: Link.from_json(v) for k, v in lib.get("links", {}).items()},
                    others=dict(lib.get("others", {})),
                    unpulled=list(lib.get("unpulled", [])),
                )
                for name, lib in data["libraries"].items()
            }
        except ValueError as exc:
            raise InputError(
                f"{shown} is not valid JSON ({getattr(exc, 'msg', exc)}); {keep}",
                hint="Fix the file (a git conflict marker?), or restore it from a backup.",
                where=Location(shown, getattr(exc, "lineno", None), getattr(exc, "colno", None)),
            ) from None
        except (KeyError, TypeError, AttributeError):
            raise InputError(
                f"{shown} is JSON but not cytobib's Zotero sync record; {keep}",
                hint="Restore it from a backup, or move it aside to start over (the next push "
                "then matches works to Zotero items by key, DOI, PMID and title).",
                where=Location(shown),
            ) from None
        return cls(path, libraries)

    def save(self, root: Path) -> None:
        """Write the record atomically, under the project's write lock."""
        data = {
            "about": "Written by cytobib: which Zotero item and note is which work, and the "
            "state both sides last agreed on. Not part of the library; do not edit.",
            "format": FORMAT,
            "libraries": {
                name: {
                    "version": lib.version,
                    "collection": lib.collection,
                    "links": {k: v.to_json() for k, v in sorted(lib.links.items())},
                    "others": dict(sorted(lib.others.items())),
                    "unpulled": sorted(set(lib.unpulled)),
                }
                for name, lib in sorted(self.libraries.items())
            },
        }
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        with locked(root):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WriteError(
                    f"Cannot create the folder {self.path.parent}: {exc.strerror or exc}.",
                    hint="cytobib keeps its records in the folder .cytobib; rename the file "
                    "that has that name.",
                ) from None
            atomic_write_bytes(self.path, text.encode("utf-8"))
