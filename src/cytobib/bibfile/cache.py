"""The parse cache: a parsed library.bib and its check results, keyed by the file's bytes.

The key covers a hash of the file's bytes, cytobib's version, the path and the year (the year
check depends on it), so an edit or an upgrade always reparses. It stores plain tuples, not
the file text or each entry's raw text: both are rebuilt from the bytes just read, which keeps
a warm load of 10k entries to a fraction of a second. A cache that cannot be read is ignored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cytobib._version import __version__
from cytobib.model import Entry, Issue, Location, Severity

_CACHE_FORMAT = 3

Hit = tuple[tuple[Entry, ...], Mapping[str, str], list[Issue], list[Issue]]
"""Entries, macros, the parser's issues (decoding issues excluded) and the checker's."""


def cache_file(cache_dir: Path, data: bytes, path: Path, shown: str) -> Path:
    """Where the parse of these bytes, read from ``path`` and shown as ``shown``, is kept."""
    digest = hashlib.blake2b(data, digest_size=20)
    for part in (__version__, str(path.resolve()), shown, str(dt.date.today().year),
                 str(_CACHE_FORMAT)):  # fmt: skip
        digest.update(part.encode())
    return cache_dir / "parse" / f"{digest.hexdigest()}.pickle"


def get(cached: Path, text: str) -> Hit | None:
    """The cached parse of ``text`` (the decoded file), or None."""
    if not cached.exists():
        return None
    with contextlib.suppress(Exception):
        with cached.open("rb") as fh:
            payload = pickle.load(fh)  # noqa: S301 - our own cache file, keyed by content
        return _from_payload(text, payload)
    return None


def put(
    cached: Path,
    entries: Sequence[Entry],
    strings: Mapping[str, str],
    issues: Sequence[Issue],
    found: Sequence[Issue],
) -> None:
    """Keep a parse; a cache that cannot be written is skipped."""
    # Imported here: the writer imports the reader, which imports this module.
    from cytobib.bibfile.atomic import atomic_write_bytes

    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        payload = _to_payload(entries, strings, issues, found)
        atomic_write_bytes(cached, pickle.dumps(payload, protocol=5), durable=False)


def _to_payload(
    entries: Sequence[Entry],
    strings: Mapping[str, str],
    issues: Sequence[Issue],
    found: Sequence[Issue],
) -> tuple[Any, ...]:
    rows = [(e.key, e.type, dict(e.fields), e.line, e.span) for e in entries]
    return (
        _CACHE_FORMAT,
        rows,
        dict(strings),
        [issue_to_row(i) for i in issues],
        [issue_to_row(i) for i in found],
    )


# Issues travel in caches as plain tuples: unpickling 30k frozen dataclasses took longer than
# everything else in a warm load.
def issue_to_row(i: Issue) -> tuple[Any, ...]:
    loc = i.location
    where = (loc.path, loc.line, loc.column) if loc else None
    return (int(i.severity), i.code, i.message, i.key, where, i.hint)


def issue_from_row(row: tuple[Any, ...]) -> Issue:
    severity, code, message, key, where, hint = row
    return Issue(Severity(severity), code, message, key, Location(*where) if where else None, hint)


def _from_payload(text: str, payload: tuple[Any, ...]) -> Hit:
    version, rows, strings, issues, found = payload
    if version != _CACHE_FORMAT:
        raise ValueError("old cache format")
    entries = tuple(Entry.adopt(k, t, f, line, text[s:e], (s, e)) for k, t, f, line, (s, e) in rows)
    return entries, strings, [issue_from_row(r) for r in issues], [issue_from_row(r) for r in found]
