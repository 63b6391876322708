"""A work's link in a reading list or reference list: one per work, never a second copy.

The link goes to the DOI (as written: doi.org keeps its case), else to the entry's URL when
it is http(s). Many styles print the DOI or URL themselves (Vancouver: "doi:10.…" or
"Available from: URL"; APA: "https://doi.org/10.…"); the formats then give the link a short
text ("DOI ↗", "link ↗") instead of printing the same target again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from cytobib import latex
from cytobib.formats.escape import doi_url, http_url
from cytobib.model import Entry


@dataclass(frozen=True)
class WorkLink:
    """Where a work's link points, its full text, and whether the citation shows it."""

    href: str  # https://doi.org/... or the entry's http(s) URL, percent-encoded
    text: str  # the target as a reader knows it: "doi:10.1056/NEJMoa2034577" or the URL
    kind: Literal["doi", "url"]
    shown: bool  # the formatted citation already prints the DOI or the URL

    @property
    def short(self) -> str:
        """The link text for a target the citation already shows (without the arrow)."""
        return "DOI" if self.kind == "doi" else "link"

    def printed_in(self, citation: str) -> bool:
        """True when the citation holds the link target itself (APA's doi.org URL, NLM's
        "Available from: URL"): a plain-text list need not print it on a line of its own."""
        return self.shown and (self.kind == "url" or unquote(self.href) in citation)


def work_link(entry: Entry, citation: str) -> WorkLink | None:
    """The link for a work whose formatted (plain-text) citation is ``citation``."""
    doi = entry.doi_as_written
    if doi:
        return WorkLink(doi_url(doi), f"doi:{doi}", "doi", doi.lower() in citation.lower())
    url = latex.verbatim(entry.get("url")) if entry.get("url") else ""
    href = http_url(url) if url else None
    if href is None:
        return None
    return WorkLink(href, url, "url", url in citation or unquote(href) in citation)
