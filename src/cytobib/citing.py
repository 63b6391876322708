"""The reference formatter views are given: formatted references and author sort keys.

Views decide content, order and grouping; what a work looks like in a citation style is asked
of a :class:`Citations` handed in from outside (``views.Formatter``). It converts records to
CSL-JSON, runs the style's engine and keeps the results in the run's store (through
:mod:`cytobib.caching`), and remembers them for its own life, so that `build` formats a list
once for its reading list, review table and evidence map.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cytobib import caching
from cytobib.config import Config
from cytobib.model import Record
from cytobib.store import NO_STORE, Store
from cytobib.styles import Reference, StyleRef
from cytobib.styles.cache import RENDER_VERSION, ReferenceCache


def author_key(record: Record) -> tuple[Any, ...]:
    """How works sort by author: first author's family name, year, title (case folded)."""
    entry = record.entry
    first = entry.authors[0].last.casefold() if entry.authors else "\uffff"
    return (first, entry.year or 0, entry.title.casefold())


def style_path(config: Config, style: str) -> str:
    """The style as ``styles.resolve_style`` should see it: a relative path (a .csl name, or
    anything with a slash) is looked up in the project folder first, then in the working
    directory."""
    path_like = style.endswith(".csl") or "/" in style or os.sep in style
    if path_like and not Path(style).expanduser().is_absolute():
        candidate = config.root / style
        return str(candidate) if candidate.exists() else style
    return style


class Citations:
    """Formatted references and sort keys for the works of one project (``views.Formatter``).

    ``store`` keeps them between runs (:data:`~cytobib.store.NO_STORE`: nothing kept); within
    the object's life a list already formatted in a style is not formatted again.
    """

    def __init__(self, config: Config, store: Store = NO_STORE) -> None:
        self.config = config
        self.store = store
        self._references: dict[tuple[str, tuple[bytes, ...]], list[Reference]] = {}
        self._keys: dict[bytes, tuple[Any, ...]] = {}

    def author_keys(self, records: Sequence[Record]) -> list[tuple[Any, ...]]:
        """:func:`author_key` of each record (names parsed and titles decoded, so kept)."""
        todo = [r for r in records if r.entry.digest not in self._keys]
        if todo:
            made = caching.per_entry(
                self.store, "sort-keys", todo, author_key, _is_sort_key, whole=True
            )
            self._keys.update((r.entry.digest, tuple(k)) for r, k in zip(todo, made, strict=True))
        return [self._keys[r.entry.digest] for r in records]

    def references(self, records: Sequence[Record], style: str) -> list[Reference]:
        """The records formatted in ``style``, in their order (numbers follow it)."""
        memo = (style, tuple(r.entry.digest for r in records))
        known = self._references.get(memo)
        if known is None:
            known = self._references[memo] = self._format(records, style)
        return known

    def _format(self, records: Sequence[Record], style: str) -> list[Reference]:
        from cytobib import styles

        ref = styles.resolve_style(style_path(self.config, style))
        if not self.store.enabled:
            return self._run_engine(records, ref, None)
        cache = caching.ReferenceStore(self.store)
        parts = (ref.name, ref.kind, ref.digest, styles.engine_stamp(), RENDER_VERSION, "html")

        def make() -> list[tuple[str, str, str, str]]:
            refs = self._run_engine(records, ref, cache)
            return [(r.key, r.label, r.text, r.html) for r in refs]

        rows = caching.reference_list(self.store, parts, records, make)
        return [Reference(*row) for row in rows]

    def _run_engine(
        self, records: Sequence[Record], ref: StyleRef, cache: ReferenceCache | None
    ) -> list[Reference]:
        from cytobib import csl, styles

        # Converting needs names parsed and every field decoded: kept between runs by content.
        # For the engine, "and others" ends a name list with the marker it prints as et al.
        to_csl = functools.partial(csl.to_csl, et_al_marker=True)
        items = caching.per_entry(self.store, "csl-items", records, to_csl, _is_item, plain=True)
        # A kept item is the entry's (its digest covers the key): another id is a damaged row,
        # which the engine would take for a duplicate or missing citation key.
        items = [i if i["id"] == r.key else to_csl(r) for r, i in zip(records, items, strict=True)]
        bibtex: dict[str, str] | None = None
        if ref.kind == "pybtex":
            bibtex = {r.key: styles.pybtex.bibtex_source(r.entry) for r in records}
        return styles.format_references(items, ref, output="html", bibtex=bibtex, cache=cache)


def _is_item(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and isinstance(value.get("type"), str)
    )


def _is_sort_key(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], str)
    )
