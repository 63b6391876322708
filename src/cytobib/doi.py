"""DOI normalisation: one canonical spelling, so caches, lookups and duplicates agree.

DOIs are case-insensitive (Crossref returns them lower-cased, see
``shared/docs/crossref-api.md`` §5) and users paste them in many shapes: bare, with a
``doi:`` prefix, as ``https://doi.org/`` or ``dx.doi.org`` links, or percent-encoded
(``10.1000%2Fabc``). :func:`normalize_doi` turns all of them into ``10.xxxx/suffix`` in lower
case and refuses anything that is not a DOI, saying why. :func:`canonical` is the same for
code that must not raise: the entry model, ``check`` and the merge rule all compare DOIs
through it, so a DOI written two ways is one DOI everywhere. :func:`as_written` is the form
for output: the same clean-up, the case kept (``10.1056/NEJMoa2034577``, as registered and
as Zotero prints it).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

__all__ = ["as_written", "canonical", "is_valid_doi", "normalize_doi", "problem"]

# Prefixes users paste in front of a DOI, tried repeatedly (a link to "doi:10..." exists).
# ``info:doi/`` is the OpenURL form; ``urn:doi:`` appears in some exports.
_PREFIX = re.compile(
    r"""^(?:
        (?:https?://)?(?:dx\.|www\.)?doi\.org/   # resolver links, with or without scheme
      | doi\s*:\s*                               # doi:10.1000/x, DOI: 10.1000/x
      | info:doi/
      | urn:doi:
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# "10." + registrant code (digits, optionally dotted subdivisions as in 10.1000.10) + "/".
_DOI_PREFIX = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def normalize_doi(text: str) -> str:
    """Return the canonical lower-case ``10.xxxx/suffix`` form of a DOI written any usual way.

    Raises:
        ValueError: the text is not a DOI; the message says what is wrong with it.
    """
    return _clean(text).lower()


def _clean(text: str) -> str:
    """:func:`normalize_doi` without the lower-casing (the checks do not depend on case)."""
    if not isinstance(text, str):
        raise ValueError(f"A DOI must be text, not {type(text).__name__}.")
    doi = text.strip()
    if not doi:
        raise ValueError("The DOI is empty.")
    for _ in range(3):  # "https://doi.org/doi:10..." style stacks, bounded
        stripped = _PREFIX.sub("", doi, count=1).strip()
        if stripped == doi:
            break
        doi = stripped
    if _PERCENT.search(doi):
        # Decode exactly once: URLs carry DOIs percent-encoded ("10.1000%2Fabc").
        try:
            doi = unquote(doi, errors="strict")
        except UnicodeDecodeError:
            raise ValueError(
                f"{text.strip()!r} is not a DOI: its %-escapes do not decode as UTF-8."
            ) from None
        doi = _PREFIX.sub("", doi, count=1).strip()
    doi = unicodedata.normalize("NFC", doi)
    if not doi.startswith("10."):
        raise ValueError(f"{text.strip()!r} is not a DOI: a DOI starts with '10.'.")
    if "/" not in doi:
        raise ValueError(f"{text.strip()!r} is not a DOI: it has no '/' after the prefix.")
    if not _DOI_PREFIX.match(doi):
        raise ValueError(
            f"{text.strip()!r} is not a DOI: the prefix must be '10.' followed by "
            "4 to 9 digits, then '/'."
        )
    suffix = doi.split("/", 1)[1]
    if not suffix:
        raise ValueError(f"{text.strip()!r} is not a DOI: nothing follows the '/'.")
    bad = next((c for c in doi if c.isspace() or unicodedata.category(c).startswith("C")), None)
    if bad is not None:
        what = "whitespace" if bad.isspace() else "a control character"
        raise ValueError(f"{text.strip()!r} is not a DOI: it contains {what} ({bad!r}).")
    bad = next((c for c in doi if c in _NEVER), None)
    if bad is not None:
        # Legal in the DOI syntax, but no registered DOI uses them, and a value from outside
        # that does is an attempt to break out of a BibTeX field or a LaTeX \url.
        raise ValueError(
            f"{text.strip()[:80]!r} is not a DOI: it contains {bad!r} (braces, backslashes and "
            "double quotes are not used in DOIs)."
        )
    return doi


def is_valid_doi(text: str) -> bool:
    """Tell whether :func:`normalize_doi` accepts ``text``, for filters that must not raise."""
    return problem(text) is None


def problem(text: str) -> str | None:
    """Why :func:`normalize_doi` refuses ``text`` (its message), or ``None`` if it is a DOI."""
    if isinstance(text, str) and _PLAIN.fullmatch(text.strip()):
        return None
    try:
        normalize_doi(text)
    except ValueError as exc:
        return str(exc)
    return None


# A DOI as most files hold it: already bare, printable ASCII without "%". For these
# normalize_doi only lower-cases; telling them apart is 10x cheaper than running it.
_PLAIN = re.compile(r"10\.\d{4,9}(?:\.\d+)*/[!#$&-\[\]-z|~]+")
_NEVER = frozenset('{}\\"')


def as_written(text: str) -> str:
    """The DOI for output: :func:`canonical` without the lower-casing.

    DOIs are case-insensitive for matching, not for reading: a publisher registers
    ``10.1056/NEJMoa2034577`` and every citation manager prints it so.
    """
    doi = text.strip()
    if _PLAIN.fullmatch(doi):
        return doi
    try:
        return _clean(doi)
    except ValueError:
        return _PREFIX.sub("", doi, count=1).strip()


def canonical(text: str) -> str:
    """:func:`normalize_doi`'s answer, or, for text that is not a DOI, the text stripped and
    lower-cased with any resolver prefix removed (so that ``check`` can report it as is)."""
    doi = text.strip()
    if _PLAIN.fullmatch(doi):
        return doi.lower()
    try:
        return normalize_doi(doi)
    except ValueError:
        return _PREFIX.sub("", doi, count=1).strip().lower()
