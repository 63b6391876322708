"""Entry accessors that views and exports rely on."""

from __future__ import annotations

from cytobib import latex
from cytobib.csl import to_csl
from cytobib.model import Entry, Record


def test_doi_drops_latex_escapes_and_resolver_prefix() -> None:
    """A DOI written as BibTeX (`\\_`, braces, resolver URL) is the bare, lower-cased DOI."""
    entry = Entry("k", "article", {"doi": r"https://doi.org/10.1016/J.X.2010.01\_{001}"}, 1)
    assert entry.doi == "10.1016/j.x.2010.01_001"


def test_csl_url_keeps_tilde() -> None:
    """A URL keeps its `~` (to_text would make it a space) and loses its escapes."""
    entry = Entry("k", "misc", {"title": "T", "url": r"https://who.int/x/who\_il2~2020\%20g"}, 1)
    assert to_csl(Record(entry))["URL"] == "https://who.int/x/who_il2~2020%20g"


def test_textsuperscript_decodes_to_superscript() -> None:
    """`CD4\\textsuperscript{+}` reads as CD4⁺, not CD4+."""
    assert latex.to_text(r"CD4\textsuperscript{+}") == "CD4⁺"
