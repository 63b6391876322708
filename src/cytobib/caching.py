"""Caching wrapped around the pure steps, from outside (issue 15 item 2).

The steps (parse library.bib, parse annotation files, derive sort keys and CSL items, format
references, render reading-list items) know nothing of caches; each accepts a wrapper, or is
called through one, as bibtexparser's middleware wraps parsing. Every wrapper here takes the
run's :class:`~cytobib.store.Store` and serves the step's result for inputs it has seen:

=======================  ================  ===============================  =====================
step                     table             key                              salt besides the code
=======================  ================  ===============================  =====================
parse + check .bib       ``parse``         the file's bytes, shown path     row format, the year
parse annotation files   ``annotations``   a file's bytes, shown name       row shapes, vocabulary
author sort keys         ``sort-keys``     ``Entry.digest`` (and a row per
                                           list: ``sort-keys-lists``)
CSL-JSON items           ``csl-items``     ``Entry.digest``
formatted references     ``references``    styles' key (item, style,        render version
                                           engine, output, ambiguity group)
a list's references      ``reference-      style, engine, render version,
                         lists``           every entry's digest in order
CSL engine version       ``engine``        binary path, size and mtime
rendered items           ``rendered-FMT``  the work, the item's number,     sections, vocabulary,
                                           note, reference and extras       project templates
=======================  ================  ===============================  =====================

A whole command's output is reused one level up (:mod:`cytobib.outputs`). With
:data:`~cytobib.store.NO_STORE` every wrapper is a plain call of its step. docs/caching.md
has the measurements behind each table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cytobib import annotations as ann
from cytobib import progress
from cytobib.bibfile import BibText, ParsedBib, ParseStep, rows
from cytobib.model import Issue, Record
from cytobib.store import Key, Store, Table, key_of, table
from cytobib.vocabulary import Vocabulary

_OTHER_SHAPE = (TypeError, ValueError, KeyError, IndexError)
"""What reading a kept row of another shape raises (a damaged store): it is a miss."""

# --- library.bib -------------------------------------------------------------------------------


def around_parse(
    store: Store,
) -> Callable[[bytes, BibText, ParseStep], tuple[ParsedBib, list[Issue]]]:
    """A wrapper for ``bibfile.load(around=...)``: the parse and check of bytes seen before.

    The checks' results are kept with the parse, so the table is salted with the year (the
    year check depends on it) and, like every table, with cytobib's code (a changed check
    is a miss).
    """

    def around(data: bytes, source: BibText, step: ParseStep) -> tuple[ParsedBib, list[Issue]]:
        tbl = table("parse", rows.FORMAT, dt.date.today().year, plain=True)
        key = key_of(data, source.path)
        kept = store.get(tbl, key)
        if kept is not None:
            with contextlib.suppress(*_OTHER_SHAPE):  # a row of another shape: a miss
                return rows.from_rows(source, kept)
        parsed, found = step(source)
        store.put(tbl, key, rows.to_rows(parsed, found))
        return parsed, found

    return around


# --- annotations ---------------------------------------------------------------------------------


def around_annotations(store: Store, vocabulary: Vocabulary) -> ann.Around:
    """A wrapper for ``annotations.load_all(around=...)``: files whose bytes and name were
    parsed before are not parsed again (the vocabulary the agents and cancers were resolved
    with is part of the salt)."""
    indexes = (sorted(vocabulary.index.items()), sorted(vocabulary.cancers.index.items()))
    tbl = table("annotations", ann.ROW_SHAPES, indexes)

    def around(files: Sequence[ann.AnnotationFile], step: ann.ParseFiles) -> list[ann.Loaded]:
        keys = [key_of(f.data, f.shown) for f in files]
        kept = store.get_many(tbl, keys)
        out: list[ann.Loaded | None] = [None] * len(files)
        for n, key in enumerate(keys):
            row = kept.get(key)
            if row is not None:
                with contextlib.suppress(*_OTHER_SHAPE):  # a row of another shape: a miss
                    out[n] = ann.loaded_from_row(row)
        todo = [n for n, done in enumerate(out) if done is None]
        if todo:
            made = step([files[n] for n in todo])
            fresh: dict[Key, Any] = {}
            for n, loaded in zip(todo, made, strict=True):
                out[n] = loaded
                fresh[keys[n]] = ann.loaded_to_row(loaded)
            store.put_many(tbl, fresh)
        return [loaded for loaded in out if loaded is not None]

    return around


# --- values derived per entry ----------------------------------------------------------------


def through_many(
    store: Store,
    tbl: Table,
    keys: Sequence[Key],
    make: Callable[[list[Key]], Mapping[Key, Any]],
    valid: Callable[[Any], bool],
) -> dict[Key, Any]:
    """``Store.through_many``, where a kept value that is not ``valid`` (a damaged store)
    is made again like a missing one."""
    found = {k: v for k, v in store.get_many(tbl, keys).items() if valid(v)}
    missing = [k for k in dict.fromkeys(keys) if k not in found]
    if missing:
        made = make(missing)
        store.put_many(tbl, made)
        found.update(made)
    return found


def per_entry(
    store: Store,
    name: str,
    records: Sequence[Record],
    make: Callable[[Record], Any],
    valid: Callable[[Any], bool],
    *,
    whole: bool = False,
    plain: bool = False,
) -> list[Any]:
    """``make(record)`` for each record, kept in table ``name`` by the entry's digest (the
    value may depend on the entry alone).

    With ``whole``, the values of the whole batch are kept as one row too (table
    ``name-lists``, keyed by every digest in order): a run over an unchanged library reads
    one row instead of one per entry; after an edit, the rows per entry serve all but the
    edited entries. ``plain``: the values are JSON without tuples (``Table.plain``).
    """
    digests = [record.entry.digest for record in records]
    lists = table(f"{name}-lists")
    batch = key_of(*digests) if whole else b""
    kept = store.get(lists, batch) if whole else None
    if isinstance(kept, list) and len(kept) == len(records) and all(map(valid, kept)):
        return kept
    by_key: dict[Key, Record] = {}
    for record in records:
        by_key.setdefault(record.entry.digest, record)

    def make_missing(missing: list[Key]) -> Mapping[Key, Any]:
        return {key: make(by_key[key]) for key in missing}

    found = through_many(store, table(name, plain=plain), list(by_key), make_missing, valid)
    values = [found[digest] for digest in digests]
    if whole:
        store.put(lists, batch, values)
    return values


# --- formatted references ----------------------------------------------------------------------


def reference_list(
    store: Store,
    parts: Sequence[object],
    records: Sequence[Record],
    make: Callable[[], list[Any]],
) -> list[tuple[str, str, str, str]]:
    """A whole list's formatted references, (key, label, text, html) in list order, kept as
    one row by the style and engine (``parts``) and the digest of every entry in order: the
    numbers, labels and disambiguation of a list depend on all of it. An unchanged list is
    read back without converting a record or asking the engine's cache item by item; any
    other list is ``make()``'s (which uses the cache per item, :class:`ReferenceStore`)."""
    tbl = table("reference-lists", plain=True)
    key = key_of(*parts, *(record.entry.digest for record in records))
    kept = store.get(tbl, key)
    if (
        isinstance(kept, list)
        and len(kept) == len(records)
        and all(_four_texts(row) for row in kept)
    ):
        return [(row[0], row[1], row[2], row[3]) for row in kept]
    rows = make()
    store.put(tbl, key, [list(row) for row in rows])
    return rows


def _four_texts(row: Any) -> bool:
    return isinstance(row, list) and len(row) == 4 and all(isinstance(v, str) for v in row)


class ReferenceStore:
    """The references cache of :mod:`cytobib.styles` (``styles.cache.ReferenceCache``) in the
    store: the engine formats only the items it has not formatted before."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._refs = table("references", plain=True)
        self._engine = table("engine")

    def get(self, keys: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        found = self.store.get_many(self._refs, keys)
        return {
            str(k): (str(v[0]), str(v[1]), str(v[2]))
            for k, v in found.items()
            if isinstance(v, list) and len(v) == 3
        }

    def put(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        self.store.put_many(self._refs, {k: [text, html, label] for k, text, html, label in rows})

    def meta_get(self, key: str) -> str | None:
        value = self.store.get(self._engine, key)
        return value if isinstance(value, str) else None

    def meta_put(self, key: str, value: str) -> None:
        self.store.put(self._engine, key, value)


# --- rendered items --------------------------------------------------------------------------


def rendered_items(store: Store, root: Path | None, vocabulary: Vocabulary) -> Any:
    """An item renderer for ``RenderContext.items`` that renders only items whose text it
    does not have (``templating.ItemRenderer``).

    Rendering through Jinja is the costliest warm step of a large reading list (~0.2 ms an
    item; a 10k library grouped by agent has ~20k items). An item's key covers all its text can
    depend on: the work (entry and annotation), its number, note and reference, and the
    format's own extras; the table's salt the rest: the format, the sections, the project's
    template files and the vocabulary (and cytobib's code, packaged templates included).
    """
    from cytobib.config import template_files
    from cytobib.formats.templating import RenderItem, render_items

    templates = template_files(root)
    vocab = key_of(repr(vocabulary))

    def render(
        target: str, sections: Sequence[str], tasks: Sequence[tuple[Any, ...]], make: RenderItem
    ) -> list[str]:
        tbl = table(f"rendered-{target}", tuple(sections), vocab, templates)
        keys: list[Key] = [_item_key(task) for task in tasks]
        by_key = dict(zip(keys, tasks, strict=True))

        made = [0]  # items rendered now: render_items advances the progress task for them

        def make_missing(missing: list[Key]) -> Mapping[Key, str]:
            made[0] = len(missing)
            texts = render_items(target, sections, [by_key[k] for k in missing], make)
            return dict(zip(missing, texts, strict=True))

        found = through_many(store, tbl, keys, make_missing, lambda v: isinstance(v, str))
        progress.advance(len(keys) - made[0])  # the items kept from earlier runs
        return [found[key] for key in keys]

    return render


def _item_key(task: tuple[Any, ...]) -> bytes:
    item, *extra = task
    record = item.record
    note = record.annotation
    # A loaded annotation carries a digest of its file; repr() is the slow way.
    notes = note.source if note is not None and note.source else repr(note)
    ref = item.reference
    own = (item.number, item.note, ref.key, ref.label, ref.text, ref.html, tuple(extra))
    return key_of(record.entry.digest, notes, own)
