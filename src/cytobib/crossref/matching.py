"""Matching Crossref search candidates to an entry, for ``query.bibliographic`` searches::

    score = (0.70 * title + 0.15 * author + 0.15 * year) * type_factor

* ``title``: rapidfuzz ``token_sort_ratio`` / 100 of the normalised titles (markup stripped,
  accents removed, Greek letters spelled out, letters split from digits, punctuation dropped,
  case folded), best of the candidate's title with and without its subtitle. Halved when both
  titles carry numbers or Greek letters and these differ: IL-2 is not IL-12, IFN-α is not
  IFN-β, however similar the rest.
* ``author``: 1 when the first author's family name matches (``ratio`` ≥ 90 after accents
  and case are removed), 0 when it does not, 0.5 when either side has no author.
* ``year``: 1 when any of the candidate's issued/print/online/posted years is within 1 of the
  entry's, 0 when none is, 0.5 when either side has no year.
* ``type_factor``: 0.5 for record types a review never cites (``component``, ``peer-review``,
  ``grant``, journal/issue/series containers), else 1.

:func:`best_match` accepts the top candidate only when its score is at least
:data:`ACCEPT_SCORE` (0.88) **and** beats the second by at least :data:`MIN_MARGIN` (0.10);
otherwise it accepts nothing and returns the scored candidates for a person to choose. A
perfect title with a matching year but a different first author scores 0.85: not accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz

from cytobib.crossref.markup import markup_to_text
from cytobib.crossref.message import DATE_ORDER, Message, as_int, date_parts, strings
from cytobib.latex import is_greek

ACCEPT_SCORE: Final = 0.88
MIN_MARGIN: Final = 0.10
_WEIGHTS: Final = {"title": 0.70, "author": 0.15, "year": 0.15}
_NEVER_CITED: Final = frozenset(
    {
        "component",
        "peer-review",
        "grant",
        "journal",
        "journal-issue",
        "journal-volume",
        "book-series",
        "report-series",
        "proceedings-series",
    }
)


def _greek_name(ch: str) -> str | None:
    if not is_greek(ch):
        return None
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    return name.split()[-1].lower() if "LETTER" in name or ch == "\u00b5" else None


def _title_key(text: str) -> str:
    """Normalised title for fuzzy comparison (see the module docstring)."""
    plain = markup_to_text(text)
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", plain):
        greek = _greek_name(ch)
        out.append(f" {greek} " if greek else ch)
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    folded = re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", folded)
    return " ".join(re.findall(r"[^\W_]+", folded))


_GREEK_WORDS: Final = frozenset(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "lamda",
        "lambda",
        "mu",
        "nu",
        "xi",
        "omicron",
        "pi",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "chi",
        "psi",
        "omega",
        "micro",
    ]
)


def _discriminators(key: str) -> frozenset[str]:
    """Numbers and Greek letters in a normalised title: what tells IL-2 from IL-12."""
    return frozenset(t for t in key.split() if t.isdigit() or t in _GREEK_WORDS)


def _title_similarity(entry_title: str, candidate: Message) -> float:
    entry = _title_key(entry_title)
    if not entry:
        return 0.0
    titles = strings(candidate, "title")
    subtitles = strings(candidate, "subtitle")
    forms = []
    for title in titles[:1]:
        forms.append(title)
        if subtitles:
            forms.append(f"{title} {subtitles[0]}")
    best = 0.0
    for form in forms:
        key = _title_key(form)
        if not key:
            continue
        similarity = fuzz.token_sort_ratio(entry, key) / 100.0
        mine, theirs = _discriminators(entry), _discriminators(key)
        if mine and theirs and mine != theirs:
            similarity *= 0.5
        best = max(best, similarity)
    return best


def _family_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", markup_to_text(text))
    return "".join(
        ch for ch in decomposed if ch.isalpha() and not unicodedata.combining(ch)
    ).casefold()


def _first_author_family(candidate: Message) -> str | None:
    people = candidate.get("author")
    if not isinstance(people, list) or not people:
        return None
    firsts = [p for p in people if isinstance(p, Mapping) and p.get("sequence") == "first"]
    person = firsts[0] if firsts else people[0]
    if not isinstance(person, Mapping):
        return None
    value = person.get("family") or person.get("name")
    return value if isinstance(value, str) and value.strip() else None


def _candidate_years(candidate: Message) -> set[int]:
    years = set()
    for key in DATE_ORDER:
        found = date_parts(candidate.get(key))
        if found is not None:
            years.add(found[0])
    return years


def match_score(
    entry_title: str,
    entry_first_author_family: str | None,
    entry_year: int | str | None,
    candidate_message: Message,
) -> float:
    """How well a Crossref candidate fits an entry, 0..1 (formula in the module docstring).

    Pass plain text (no LaTeX) for the title and family name.
    """
    title = _title_similarity(entry_title, candidate_message)
    family = _first_author_family(candidate_message)
    mine = _family_key(entry_first_author_family or "")
    if not mine or family is None:
        author = 0.5
    else:
        author = 1.0 if fuzz.ratio(mine, _family_key(family)) >= 90 else 0.0
    year_value = as_int(entry_year) if entry_year is not None else None
    years = _candidate_years(candidate_message)
    if year_value is None or not years:
        year = 0.5
    else:
        year = 1.0 if any(abs(y - year_value) <= 1 for y in years) else 0.0
    factor = 0.5 if candidate_message.get("type") in _NEVER_CITED else 1.0
    score = _WEIGHTS["title"] * title + _WEIGHTS["author"] * author + _WEIGHTS["year"] * year
    return round(score * factor, 4)


@dataclass(frozen=True)
class MatchResult:
    """The outcome of matching: the accepted work (or None) and every candidate, best first."""

    accepted: Message | None
    candidates: tuple[tuple[float, Message], ...]
    reason: str


def best_match(
    entry_title: str,
    entry_first_author_family: str | None,
    entry_year: int | str | None,
    candidates: Sequence[Message],
) -> MatchResult:
    """Accept the top candidate only if it passes :data:`ACCEPT_SCORE` and clearly beats the
    second; otherwise return the scored candidates for a person to choose."""
    scored = sorted(
        (
            (match_score(entry_title, entry_first_author_family, entry_year, c), c)
            for c in candidates
        ),
        key=lambda pair: pair[0],
        reverse=True,
    )
    ranked = tuple(scored)
    if not ranked:
        return MatchResult(None, ranked, "Crossref returned no candidates.")
    top = ranked[0][0]
    if top < ACCEPT_SCORE:
        return MatchResult(
            None, ranked, f"The best candidate scores {top:.2f}, below {ACCEPT_SCORE:.2f}."
        )
    if len(ranked) > 1 and top - ranked[1][0] < MIN_MARGIN:
        return MatchResult(
            None,
            ranked,
            f"The two best candidates score {top:.2f} and {ranked[1][0]:.2f}: too close to choose.",
        )
    return MatchResult(ranked[0][1], ranked, f"Accepted with score {top:.2f}.")
