"""Citation keys in one documented scheme: ``<family><year><word>``, e.g. ``rosenberg2014il2``.

* family: the first author's family name (with its particle), accents folded to ASCII,
  letters only, lower-case ("de la Torre" -> ``delatorre``); ``anon`` when there is no author;
* year: four digits, ``0000`` when unknown;
* word: the first title word that is not a stopword, lower-case letters and digits only
  ("IL-2" -> ``il2``; Greek letters are dropped, so "IFN-λ" -> ``ifn``).

Collisions get ``a``, ``b``, ... ``z``, then ``aa``... appended (``lasfar2016ifna``).
"""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Collection, Iterator

from cytobib.controls import without_escape_sequences

STOPWORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "of",
        "on",
        "in",
        "for",
        "and",
        "to",
        "with",
        "from",
        "at",
        "by",
        "as",
        "is",
        "are",
        "its",
        "into",
        "via",
        "new",
    )
)


def ascii_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return (
        "".join(c for c in text if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    )


KEY_PART = 40
"""Letters kept of the family name and of the title word: a 300-letter word from a source
(a chemical name, a hostile title) would otherwise make a key longer than any writer takes."""


def base_key(family: str | None, year: int | None, title: str | None) -> str:
    family, title = without_escape_sequences(family or ""), without_escape_sequences(title or "")
    fam = re.sub(r"[^a-z]", "", ascii_fold(family).lower())[:KEY_PART] or "anon"
    yr = f"{year:04d}" if year else "0000"
    word = ""
    for token in re.split(r"\s+", title):
        cleaned = re.sub(r"[^a-z0-9]", "", ascii_fold(token).lower())
        if cleaned and cleaned not in STOPWORDS:
            word = cleaned[:KEY_PART]
            break
    return f"{fam}{yr}{word}"


def _suffixes() -> Iterator[str]:
    """a, b ... z, aa ... zz, aaa ...: as many as a library can need, shortest first."""
    letters = string.ascii_lowercase
    for width in itertools.count(1):
        for letters_ in itertools.product(letters, repeat=width):
            yield "".join(letters_)


def make_key(
    family: str | None, year: int | None, title: str | None, existing: Collection[str]
) -> str:
    """A key in the scheme that is not in ``existing`` (compared ignoring case)."""
    return free_key(base_key(family, year, title), existing)


def free_key(key: str, existing: Collection[str]) -> str:
    """``key``, or ``key`` with the first free suffix a, b... aa, ab... (ignoring case)."""
    taken = {k.lower() for k in existing}
    key_folded = key.lower()
    if key_folded not in taken:
        return key
    for suffix in _suffixes():  # ends: ``taken`` is finite
        if key_folded + suffix not in taken:
            return key + suffix
    raise AssertionError("unreachable")
