"""Full-text search: the text of a work, folded so that case and accents do not matter.

A work's text is its title, abstract and keywords (decoded from LaTeX) and every text of its
annotation: summary, claims (text, quote, numbers), caveats, agents (as written, their
vocabulary labels and details), targets, cancers, tags, unconfirmed facts and the reader's own
``x-`` fields. The ``--where`` language reads it through the fields ``text`` and ``notes``
(:mod:`cytobib.query`), and ``cytobib list --search`` through :func:`compile_search`.

Folding (:func:`fold`) drops accents and case: "Rébé" is "rebe", "RÉNAL" is "renal".
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache

from cytobib.model import Annotation, Entry, Record
from cytobib.vocabulary import Vocabulary

ENTRY_FIELDS = ("title", "abstract", "keywords")


def fold(text: str) -> str:
    """``text`` without accents, case-folded: the form every text comparison uses."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def unaccented(text: str) -> str:
    """``text`` without accents, case kept: what a regular expression is matched against
    (case is ignored by the pattern's own flag, so ``\\D`` stays ``\\D``)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def entry_text(entry: Entry) -> str:
    """Title, abstract and keywords, decoded, one per line."""
    return _entry_text(entry.digest, tuple(entry.get(name) for name in ENTRY_FIELDS))


@lru_cache(maxsize=16384)
def _entry_text(digest: bytes, raw: tuple[str, ...]) -> str:
    """Decoding LaTeX is the costly part; an entry's text is kept by its digest."""
    from cytobib import latex

    return "\n".join(latex.to_text(value) for value in raw if value)


def claims_text(ann: Annotation) -> str:
    """Every claim with its quote and numbers, one per line."""
    return "\n".join(
        " ".join(part for part in (c.text, c.quote, c.numbers) if part) for c in ann.claims
    )


def annotation_text(ann: Annotation, vocabulary: Vocabulary) -> str:
    """Every text the reader wrote about the work, one piece per line."""
    parts = [ann.summary, claims_text(ann), *ann.caveats, *ann.targets, *ann.tags]
    for use in ann.agents:
        label = vocabulary.label_of(use.id)
        parts.append(use.describe(f"{use.name} {label}" if label != use.name else use.name))
    parts += ann.cancers
    parts += vocabulary.cancers.labels(ann.cancer_ids)
    parts += ann.unconfirmed
    parts += _strings(ann.extra)
    return "\n".join(p for p in parts if p)


def _strings(value: object) -> Iterator[str]:
    """The text values of the reader's own ``x-`` fields, however nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)


def record_text(record: Record, vocabulary: Vocabulary) -> str:
    """The whole text of a work: its entry's, then its annotation's."""
    text = entry_text(record.entry)
    if record.annotation is not None:
        text += "\n" + annotation_text(record.annotation, vocabulary)
    return text


_SEPARATORS = r"[\s\-‐‑‒–—/]?"


class Term:
    """A search term over folded text: it starts a word, its parts may be joined by a hyphen,
    a space or nothing ("IL-2" finds "IL 2" and "IL2"), and a term that ends in a digit does
    not match a longer number ("IL-2" does not find "IL-21").

    The start of a word is checked by hand, not by a look-behind in the pattern: a pattern
    that starts with a literal is scanned for it several times faster."""

    def __init__(self, term: str) -> None:
        parts = re.findall(r"[^\W\d_]+|\d+|[^\w\s\-‐‑‒–—/]", fold(term))
        if not parts:
            raise ValueError(f"nothing to search for in {term!r}")
        body = _SEPARATORS.join(re.escape(p) for p in parts)
        tail = r"(?!\d)" if parts[-1].isdigit() else ""
        self.pattern = re.compile(body + tail)
        self.at_word = parts[0][0].isalnum()  # "%" or "+" may follow a letter

    def search(self, folded: str) -> bool:
        for found in self.pattern.finditer(folded):
            start = found.start()
            if not self.at_word or start == 0 or not _word_char(folded[start - 1]):
                return True
        return False


def _word_char(ch: str) -> bool:
    """What ``\\w`` matches: a letter, a digit or the underscore."""
    return ch.isalnum() or ch == "_"


def compile_search(
    text: str, vocabulary: Vocabulary, *, folded_entry: Callable[[Entry], str] | None = None
) -> Callable[[Record], bool]:
    """A predicate that is true when every term of ``text`` is in the work's text.

    Terms are separated by spaces; "quoted words" are one term. Case and accents are ignored.
    ``folded_entry`` gives an entry's folded text (a caller may keep it between runs: decoding
    the abstracts of 10,000 works takes seconds).

    Raises:
        ValueError: ``text`` holds no word to search for.
    """
    try:
        words = shlex.split(text)
    except ValueError:  # an unclosed quote: search for the words as typed
        words = text.split()
    terms = [Term(w) for w in words if w.strip()]
    if not terms:
        raise ValueError("nothing to search for")
    entry_part = folded_entry or (lambda entry: fold(entry_text(entry)))

    def matches(record: Record) -> bool:
        folded = entry_part(record.entry)
        if record.annotation is not None:
            folded += "\n" + fold(annotation_text(record.annotation, vocabulary))
        return all(t.search(folded) for t in terms)

    return matches
