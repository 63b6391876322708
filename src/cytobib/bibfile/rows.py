"""A parsed library.bib as plain rows, and back: what the parse cache keeps
(:func:`cytobib.caching.load_bib`).

Rows are tuples, dicts and strings (JSON values), not the file text or each entry's raw
text: both are rebuilt from the bytes just read, which keeps a warm load of 10k entries to a
fraction of a second. Issues travel as plain tuples too (``Issue.as_row``): rebuilding 30k
frozen dataclasses field by field took longer than everything else in a warm load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cytobib.bibfile.read import BibText, ParsedBib
from cytobib.model import Entry, Issue

FORMAT = 4
"""The rows' shape: part of the parse table's salt."""


def to_rows(parsed: ParsedBib, found: Sequence[Issue]) -> tuple[Any, ...]:
    """``parsed`` and the checker's issues (``found``) as rows; the decoding issues are left
    out (they are found again from the bytes)."""
    own = len(parsed.source.issues)
    return (
        [(e.key, e.type, dict(e.fields), e.line, e.span) for e in parsed.entries],
        dict(parsed.strings),
        [i.as_row() for i in parsed.issues[own:]],
        [i.as_row() for i in found],
    )


def from_rows(source: BibText, rows: Sequence[Any]) -> tuple[ParsedBib, list[Issue]]:
    """The parse of ``source`` that :func:`to_rows` kept, and the checker's issues.

    Raises:
        ValueError, TypeError: rows of another shape (the caller treats them as a miss).
    """
    entry_rows, strings, issues, found = rows
    text = source.text
    if not isinstance(strings, Mapping):
        raise TypeError("strings")
    entries = tuple(
        Entry.adopt(key, kind, fields, line, text[start:end], (start, end))
        for key, kind, fields, line, (start, end) in entry_rows
    )
    parsed = ParsedBib(
        source, entries, strings, (*source.issues, *(Issue.from_row(r) for r in issues))
    )
    return parsed, [Issue.from_row(r) for r in found]
