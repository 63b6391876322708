"""A tested stand-in for Zotero's import/export translators (test support, not shipped).

Zotero's own translators (zotero/translators ``BibTeX.js``, ``BibLaTeX.js``, ``RIS.js``,
``CSL JSON.js``, run by translation-server with zotero/utilities) cannot run in CI, so the parts
of them that decide what survives a cytobib -> Zotero -> cytobib round trip are ported here and
checked against byte-exact recordings in ``../shared/fixtures/zotero-translators``
(tests/test_zotero_sim.py). README.md says what is exact and what is not, and why.

    items = import_text(bib_text, "bibtex")        # Zotero API JSON, child notes separate
    items = [desktop_save(i) for i in items]       # optional: what Zotero desktop stores
    text = export_items(items, "ris")              # what Zotero's export translator writes
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._html import unescape_html
from ._items import Item, KeyGenerator, extract_extra_fields, to_export_items
from .biblatex import export_biblatex
from .bibtex import export_bibtex, import_bibtex
from .csljson import export_csljson, import_csljson
from .ris import export_ris, import_ris

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "Item",
    "KeyGenerator",
    "desktop_save",
    "export_items",
    "import_text",
    "unescape_html",
]

IMPORT_FORMATS: dict[str, Callable[[str, KeyGenerator], list[Item]]] = {
    "bibtex": import_bibtex,  # BibLaTeX files too: Zotero has no BibLaTeX import translator
    "biblatex": import_bibtex,
    "ris": import_ris,
    "csljson": import_csljson,
}
EXPORT_FORMATS = ("bibtex", "biblatex", "ris", "csljson")


def import_text(text: str, fmt: str, *, seed: int = 0) -> list[Item]:
    """What translation-server's ``POST /import`` returns for ``text`` read as ``fmt``.

    Item keys are random as Zotero's are, from a generator seeded with ``seed``; child notes
    follow their parent with ``parentItem`` set to its key.
    """
    try:
        reader = IMPORT_FORMATS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown import format {fmt!r}; known: {sorted(IMPORT_FORMATS)}"
        ) from None
    return reader(text, KeyGenerator(seed))


def desktop_save(item: Item) -> Item:
    """What Zotero desktop stores for an imported item: ``Item.fromJSON`` first moves Extra
    lines that name a field (``Citation Key:``, ``PMID:``, ``PMCID:``...) into the field."""
    return extract_extra_fields(item)


def export_items(items: Sequence[Item], fmt: str, **options: Any) -> str:
    """What Zotero's export translator ``fmt`` writes for API JSON ``items``.

    Child notes may be separate items (with ``parentItem``) or nested in ``notes``; options
    are the export dialog's: ``export_notes`` (default on for BibTeX and RIS, off for
    BibLaTeX), ``charset`` (BibTeX), ``use_journal_abbreviation`` (BibTeX, BibLaTeX).
    """
    prepared = to_export_items(list(items))
    if fmt == "bibtex":
        return export_bibtex(prepared, **options)
    if fmt == "biblatex":
        return export_biblatex(prepared, **options)
    if fmt == "ris":
        return export_ris(prepared, **options)
    if fmt == "csljson":
        return export_csljson(prepared, **options)
    raise ValueError(f"unknown export format {fmt!r}; known: {list(EXPORT_FORMATS)}")
