"""Formatted references kept between runs, keyed by content hash.

The key covers the item's content, the style file, the engine and its version, and the
output form, so an unchanged list is formatted again without starting any engine. Where the
references are kept is not decided here: the caller hands in a :class:`ReferenceCache`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Protocol

#: Bumped whenever the style rewriting or the AST-to-text/HTML conversion changes, so that
#: cached references made by older code are not reused.
RENDER_VERSION = "3"


class ReferenceCache(Protocol):
    """Where formatted references are kept between runs, by the keys :func:`sha` makes (they
    cover the item, the style, the engine and its version, and the output form), and the
    engine's version by its binary's stamp. The engines only call it; the store behind it is
    handed in from outside (``cytobib.caching.ReferenceStore``)."""

    def get(self, keys: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """(text, html, label) for the keys that have them."""
        ...

    def put(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Keep (key, text, html, label) rows."""
        ...

    def meta_get(self, key: str) -> str | None: ...

    def meta_put(self, key: str, value: str) -> None: ...


class NoCache:
    """A :class:`ReferenceCache` that keeps nothing: every reference is formatted."""

    def get(self, keys: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        return {}

    def put(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        return None

    def meta_get(self, key: str) -> str | None:
        return None

    def meta_put(self, key: str, value: str) -> None:
        return None


_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
)  # made once: json.dumps with arguments builds an encoder per call (10k items a list)


def canonical(value: Any) -> str:
    return _CANONICAL.encode(value)


def sha(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()
