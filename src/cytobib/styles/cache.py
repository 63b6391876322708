"""Formatted references kept in sqlite3, keyed by content hash.

The key covers the item's content, the style file, the engine and its version, and the
output form, so an unchanged list is formatted again without starting any engine. Any sqlite
failure disables the cache for the run; it never fails a command.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Bumped whenever the style rewriting or the AST-to-text/HTML conversion changes, so that
#: cached references made by older code are not reused.
RENDER_VERSION = "3"

_SQLITE_BATCH = 900


class ReferenceCache:
    """Formatted references in sqlite3, keyed by content hash; any sqlite failure disables it."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.db: sqlite3.Connection | None = None
        if cache_dir is None:
            return
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(cache_dir / "references.sqlite3", timeout=30)
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS refs (k TEXT PRIMARY KEY, text TEXT NOT NULL, "
                "html TEXT NOT NULL, label TEXT NOT NULL)"
            )
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        except (OSError, sqlite3.Error):
            self.db = None

    def meta_get(self, key: str) -> str | None:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else str(row[0])

    def meta_put(self, key: str, value: str) -> None:
        if self.db is None:
            return
        try:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        except sqlite3.Error:
            pass

    def get(self, keys: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        found: dict[str, tuple[str, str, str]] = {}
        if self.db is None:
            return found
        unique = list(dict.fromkeys(keys))
        try:
            for start in range(0, len(unique), _SQLITE_BATCH):
                batch = unique[start : start + _SQLITE_BATCH]
                marks = ",".join("?" * len(batch))
                query = f"SELECT k, text, html, label FROM refs WHERE k IN ({marks})"  # noqa: S608
                for k, text, markup, label in self.db.execute(query, batch):
                    found[k] = (text, markup, label)
        except sqlite3.Error:
            return {}
        return found

    def put(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        if self.db is None or not rows:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO refs VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()
