"""PubMed answers, kept per id beside Crossref's: ``<cache folder>/pubmed/pubmed.sqlite3``.

The same class as the Crossref cache (:class:`cytobib.crossref.cache.Cache`: per user, outside
the rate limiter, one transaction per answer, the store's folder rules, ``--offline`` serves
stale rows, ``--refresh`` re-asks) in a file of its own, with its own freshness rules. Rows are
one per id, not per request: a batch of 200 PMIDs is split into 200 rows, so a later run asking
for any subset costs no request.

==========================  ==========  ===================================================
Row (key)                   Fresh for   Why
==========================  ==========  ===================================================
``pmid/N`` record (200)     30 days     citations change little once indexed
record with an erratum,     7 days      notices keep arriving (and ``check --online``
retraction or concern link              should see a retraction soon)
``pmid/N`` unknown (404)    1 day       may be a typo fixed, or a record not yet public
``pmid/N`` deleted (410)    30 days     NLM's deletions are final
``idconv/TYPE/ID`` (200)    30 days     PMC ids, once assigned, stay
``idconv/...`` none (404)   7 days      a work may enter PMC later
``doi/DOI`` PMID found      30 days     ESearch by DOI, for works not in PMC
``doi/DOI`` none (404)      7 days      indexing lags publication
==========================  ==========  ===================================================
"""

from __future__ import annotations

from cytobib.crossref.cache import DAY, Cache
from cytobib.errors import PubMedError

__all__ = ["PubMedCache", "doi_key", "idconv_key", "pmid_key"]


def pmid_key(pmid: str) -> str:
    """Cache key of one EFetch record."""
    return f"pmid/{pmid}"


def idconv_key(idtype: str, value: str) -> str:
    """Cache key of one ID Converter answer (DOIs and PMCIDs case-folded)."""
    folded = value.strip().casefold() if idtype in ("doi", "pmcid") else value.strip()
    return f"idconv/{idtype}/{folded}"


def doi_key(doi: str) -> str:
    """Cache key of an ESearch ``DOI[doi]`` answer."""
    return f"doi/{doi.strip().casefold()}"


class PubMedCache(Cache):
    """The PubMed answer cache (see the module docstring for what stays fresh how long)."""

    filename = "pubmed.sqlite3"
    label = "PubMed"
    error = PubMedError

    def ttl_for(self, key: str, status: int, has_updates: bool) -> float:
        """Seconds a row stays fresh (the table in the module docstring)."""
        if key.startswith("pmid/"):
            if status == 404:
                return self.not_found_ttl
            if status == 410:
                return 30 * DAY
            return self.update_ttl if has_updates else self.ttl
        if status == 404:
            return 7 * DAY
        return self.ttl
