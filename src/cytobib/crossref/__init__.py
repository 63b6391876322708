"""Crossref for cytobib: a polite, cached client and a tested mapping to BibTeX.

Parts, each usable on its own:

* :func:`normalize_doi`, :func:`is_valid_doi`, from :mod:`cytobib.doi` (the model uses it too).
* :mod:`~cytobib.crossref.ratelimit`: :class:`RateLimiter`, paced by Crossref's headers.
* :mod:`~cytobib.crossref.cache`: :class:`Cache`, SQLite, outside the limiter.
* :mod:`~cytobib.crossref.http`: :class:`CrossrefClient` (``work``, ``works``, ``search``).
* :mod:`~cytobib.crossref.fields`: :func:`map_work` → :class:`MappedWork`, by declarative
  field rules over :mod:`~cytobib.crossref.message` (reading the JSON),
  :mod:`~cytobib.crossref.markup` (JATS/MathML to text and LaTeX) and
  :mod:`~cytobib.crossref.updates` (retractions and corrections);
* :mod:`~cytobib.crossref.matching`: :func:`match_score` and :func:`best_match` for searches.

Facts about the API behind every choice: ``shared/docs/crossref-api.md``.
"""

from __future__ import annotations

from cytobib.crossref.cache import Cache, CachedResponse, CacheMode, default_cache_dir
from cytobib.crossref.fields import MappedWork, map_work
from cytobib.crossref.http import ClientStats, CrossrefClient, user_agent
from cytobib.crossref.markup import escape_latex, markup_to_text
from cytobib.crossref.matching import ACCEPT_SCORE, MIN_MARGIN, MatchResult, best_match, match_score
from cytobib.crossref.message import Name
from cytobib.crossref.ratelimit import (
    POLITE_LIMITS,
    PUBLIC_LIMITS,
    Clock,
    Limits,
    RateLimiter,
    SystemClock,
)
from cytobib.doi import is_valid_doi, normalize_doi

__all__ = [
    "ACCEPT_SCORE",
    "MIN_MARGIN",
    "POLITE_LIMITS",
    "PUBLIC_LIMITS",
    "Cache",
    "CacheMode",
    "CachedResponse",
    "ClientStats",
    "Clock",
    "CrossrefClient",
    "Limits",
    "MappedWork",
    "MatchResult",
    "Name",
    "RateLimiter",
    "SystemClock",
    "best_match",
    "default_cache_dir",
    "escape_latex",
    "is_valid_doi",
    "map_work",
    "markup_to_text",
    "match_score",
    "normalize_doi",
    "user_agent",
]
