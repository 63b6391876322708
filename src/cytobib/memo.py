"""On-disk memo tables: values derived from content, kept between runs.

A table is one pickle under the cache folder holding a salt and the entries that the last run
used. Keys are digests of the content a value was derived from, and the salt covers cytobib's
own code (plus whatever the caller adds), so a changed input can only miss, never be served
a stale value. A damaged or foreign table is treated as empty, and one that cannot be
written is skipped: a cache never fails a command.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

RACY_NS = 2_000_000_000
"""A file whose ctime is this close to the start of the run that recorded its stat may have
changed again within the clock's granularity without its stat showing it (git's racy-clean
rule): its stat is not trusted."""


def settled(ctime_ns: int, recorded_ns: int) -> bool:
    """Whether a stat with this ctime, recorded by a run that started at ``recorded_ns``, can
    stand for the file's content."""
    return ctime_ns < recorded_ns - RACY_NS


@functools.cache
def code_digest() -> bytes:
    """A digest of cytobib's code and packaged data (templates, vocabulary, schema): values
    made by other code are stale, whether or not the version number moved (development
    installs)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(sys.version.encode(), digest_size=20)  # casefold, NFC tables
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".j2", ".yaml", ".json") and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.digest()


class Memo:
    """One table: ``get``/``put`` by digest, then ``save`` keeps what this run used."""

    def __init__(self, path: Path | None, *salt: object) -> None:
        self.path = path
        digest = hashlib.blake2b(code_digest(), digest_size=20)
        digest.update(repr(salt).encode("utf-8", "surrogatepass"))
        self.salt = digest.digest()
        self.old: dict[bytes, Any] = {}
        self.new: dict[bytes, Any] = {}
        if path is not None:
            with contextlib.suppress(Exception):
                with path.open("rb") as fh:
                    saved = pickle.load(fh)  # noqa: S301 - our own cache file
                if saved[0] == self.salt:
                    self.old = saved[1]

    def get(self, key: bytes) -> Any | None:
        value = self.old.get(key)
        if value is not None:
            self.new[key] = value
        return value

    def put(self, key: bytes, value: Any) -> None:
        self.new[key] = value

    def through(self, key: bytes, make: Callable[[], Any]) -> Any:
        """The value kept under ``key``, else ``make()``'s (kept from now on)."""
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def save(self) -> None:
        """Write this run's entries atomically (skipped when nothing changed)."""
        if self.path is None or self.new.keys() == self.old.keys():
            return
        from cytobib.bibfile import atomic_write_bytes
        from cytobib.errors import WriteError

        with contextlib.suppress(OSError, WriteError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            payload = pickle.dumps((self.salt, self.new), protocol=5)
            atomic_write_bytes(self.path, payload, durable=False)
