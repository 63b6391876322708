"""BibTeX name lists split by bibtexparser's rules, for :func:`cytobib.model.parse_names`.

Only names with braces or backslashes come here (brace levels and escapes decide where a name
ends); the model splits plain names itself, several times faster.
"""

from __future__ import annotations

from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)


def split_names(value: str) -> list[str]:
    """An ``and``-separated name list -> the raw names, as BibTeX splits them."""
    return list(split_multiple_persons_names(value))


def name_parts(raw: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """One raw name -> its (first, von, last, jr) words (``strict=False``: never raises on
    odd commas; other failures propagate)."""
    parts = parse_single_name_into_parts(raw, strict=False)
    return list(parts.first), list(parts.von), list(parts.last), list(parts.jr)
