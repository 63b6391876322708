"""A pybtex formatting style that prints cytobib annotations under each reference.

Registered as ``cytobib-annotated`` in the ``pybtex.style.formatting`` entry-point group, so
pybtex (``pybtex --style cytobib-annotated refs.aux``) and sphinxcontrib-bibtex
(``bibtex_default_style = "cytobib-annotated"``) can use it. It is pybtex's ``unsrt`` with
title words protected from lowercasing (IL-2, IFN-λ, T cells), "and others" as "et al.", and
without Zotero's data lines in ``note`` (``Type: Journal Article``), followed by the annotation:
its summary and key claims from the cytobib project found from the current folder (or from
``$CYTOBIB_PROJECT``), else the entry's own ``annote``/``annotation`` field, which
``cytobib export --to bibtex`` writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pybtex.richtext import Symbol, Tag, Text
from pybtex.style import FormattedEntry
from pybtex.style.formatting.unsrt import Style as UnsrtStyle

from cytobib import latex
from cytobib.styles.pybtex import bibtex_rules, prepare_entry


@lru_cache(maxsize=4)
def _project_notes(start: str) -> Mapping[str, tuple[str, tuple[str, ...]]]:
    """key -> (summary, claims) from the nearest cytobib project; {} when there is none."""
    from cytobib.config import find_config
    from cytobib.errors import CytobibError
    from cytobib.library import open_project

    if find_config(Path(start)) is None:
        return {}
    try:
        project = open_project(start)
    except CytobibError:
        return {}
    out = {}
    for record in project.library:
        ann = record.annotation
        if ann is not None:
            out[record.key] = (ann.summary, tuple(c.text for c in ann.claims))
    return out


class AnnotatedStyle(bibtex_rules(UnsrtStyle)):  # type: ignore[misc]
    """``unsrt`` plus the reviewer's annotation of each entry."""

    default_label_style = "number"

    def format_entries(self, entries: Any, bib_data: Any = None) -> Iterator[FormattedEntry]:
        notes = _project_notes(os.environ.get("CYTOBIB_PROJECT") or os.getcwd())
        by_key: dict[str, Any] = {}
        for entry in entries:
            by_key.setdefault(entry.key, entry)  # the first entry with a key, as a scan finds
            prepare_entry(entry)
        for formatted in super().format_entries(entries, bib_data):
            yield self._annotate(formatted, by_key.get(formatted.key), notes)

    def _annotate(
        self,
        formatted: FormattedEntry,
        entry: Any,
        notes: Mapping[str, tuple[str, tuple[str, ...]]],
    ) -> FormattedEntry:
        summary, claims = notes.get(formatted.key, ("", ()))
        if not summary and entry is not None:
            raw = entry.fields.get("annotation") or entry.fields.get("annote") or ""
            summary = latex.to_text(str(raw))
        if not summary and not claims:
            return formatted
        parts: list[Any] = [formatted.text, Symbol("newblock"), Tag("em", "Notes: "), summary]
        for claim in claims:
            parts += [Symbol("newblock"), "• ", claim]
        return FormattedEntry(formatted.key, Text(*parts), formatted.label)
