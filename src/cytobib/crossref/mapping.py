r"""From a Crossref work ``message`` to BibTeX fields, declaratively; and citation matching.

:func:`map_work` turns the JSON of ``GET /works/{doi}`` into a :class:`MappedWork`: an entry
type, BibTeX field values ready to be written inside braces (``fields``), the same values as
clean text (``plain``), the contributors, and the retraction/correction status. The rules are
the tables below (:data:`ENTRY_TYPES`, :data:`FIELD_RULES`); each was written against a
recorded response in ``shared/fixtures/crossref/`` (``shared/docs/crossref-api.md`` §7).

Entry types: ``journal-article`` → article; ``book-chapter``/``book-part``/``book-section``/
``reference-entry`` → incollection; ``proceedings-article`` → inproceedings; books → book;
``report`` → techreport; ``dissertation`` → phdthesis (Crossref does not say which degree);
everything else (``posted-content``, ``dataset``, ``component``...) → misc.

Fields (``FIELD_RULES``, in output order):

=============  =====================================================  ===========================
Field          From                                                   Only for
=============  =====================================================  ===========================
author         ``author[]``: ``Family, Given``; family only;                 (all)
               organisations (``name``) as ``{Org Name}``
editor         ``editor[]``                                           incollection,
                                                                      inproceedings, book
                                                                      (a journal's "editor" is
                                                                      the handling editor)
title          ``title[0]``; ``<i>``/``<b>``/``<sub>``/``<sup>``/      (all)
               small caps kept as ``\textit{}`` etc.; MathML as text;
               acronyms, mixed case, Greek, single capitals braced
journal        ``container-title[0]``                                 article
shortjournal   ``short-container-title[0]`` when it differs           article
booktitle      ``container-title[0]``, else ``event.name``            incollection, inproceedings
year, month    see "Dates" below; month as ``jan``..``dec``           (all)
volume         ``volume``                                             (all)
number         ``issue``                                              (all)
pages          ``page`` with ranges as ``--`` (``1-1`` → ``1``);       (all)
               else ``article-number``
doi            ``DOI``, lower-cased, verbatim                         (all)
issn, isbn     ``issn-type``/``isbn-type`` print first, then          (all)
               electronic, then ``ISSN[]``/``ISBN[]``; comma-separated
publisher      ``publisher``                                          (all)
address        ``publisher-location``, else ``event.location``        (all; event: inproceedings)
institution    ``institution[0].name``, else ``publisher``            techreport
school         ``institution[0].name``, else ``publisher``            phdthesis
howpublished   ``institution[0].name``, else ``group-title``          misc
note           ``Preprint`` for posted-content (subtype preprint or   misc
               none), its subtype otherwise; ``Dataset``...
url            ``resource.primary.URL`` or ``URL``                    only works without a DOI
abstract       ``abstract`` (JATS): text, section titles run in,      (all)
               a leading "Abstract" heading dropped
=============  =====================================================  ===========================

``pmid`` is never produced: Crossref has none. ``doi`` and ``url`` are verbatim fields
(biblatex, hyperref): they are not LaTeX-escaped; only ``{``, ``}`` and ``\`` are
percent-encoded so braces stay balanced. Every other value is escaped: ``& % $ # _`` get a
backslash, ``{ } ~ ^ \`` become ``\textbraceleft{}`` and friends (a ``\{`` would unbalance
BibTeX's brace counting), Unicode letters stay UTF-8.

Dates: for ``article`` entries the year (and month) come from ``published-print`` when it has
a year, because the volume belongs to the print year (an online-first paper of 2020 in volume
74 (2021) is cited as 2021); otherwise from ``issued`` (Crossref: the earliest of print and
online). When those are missing or ``[[null]]``, ``published``, ``published-print``,
``published-online`` and ``posted`` are tried; if none has a year there is no year field.
Month and year always come from the same date.

Update status: ``updated-by[].type`` ``retraction``/``withdrawal``/``removal`` (anything
containing "retract" or "withdraw") → retracted; ``expression_of_concern`` → concern; any
other update type (``correction``, ``erratum``, ``new_version``...) → corrected; entries from
Retraction Watch count like the publisher's. A title starting ``RETRACTED:``, ``Retracted:``,
``Retraction:`` (or ``Withdrawn:``) → retracted, source ``title``. The most severe wins. A
record with ``update-to`` is itself a notice: kind ``notice``, unless something above applies.

Matching (:func:`match_score`, :func:`best_match`) for ``query.bibliographic`` searches::

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import groupby
from typing import Any, Final, Literal

from rapidfuzz import fuzz

from cytobib.doi import normalize_doi

__all__ = [
    "ACCEPT_SCORE",
    "ENTRY_TYPES",
    "FIELD_RULES",
    "MIN_MARGIN",
    "FieldRule",
    "MappedWork",
    "MatchResult",
    "Name",
    "UpdateStatus",
    "best_match",
    "escape_latex",
    "map_work",
    "markup_to_text",
    "match_score",
]

Message = Mapping[str, Any]
Name = tuple[str, str] | str
"""A contributor: ``(family, given)`` for a person (given may be ``""``), a str for an
organisation."""

UpdateKind = Literal["retracted", "concern", "corrected", "notice"]

# -------------------------------------------------------------------------------------------
# Result types
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateStatus:
    """An editorial update bearing on a work: what, which notice, who said so, when.

    ``source`` is ``publisher``, ``retraction-watch`` or ``title`` (a title prefix). For a
    ``notice`` (a record with ``update-to``), ``notice_doi`` is the record's own DOI and
    ``target_doi`` the work it updates.
    """

    kind: UpdateKind
    notice_doi: str | None
    source: str | None
    date: str | None
    label: str | None
    target_doi: str | None = None


@dataclass(frozen=True)
class MappedWork:
    """A Crossref work as BibTeX: entry type, LaTeX-safe ``fields`` and their ``plain`` text.

    ``plain`` has the same keys as ``fields`` plus ``subtitle`` and ``orcid`` (``Family,
    Given: https://orcid.org/...`` joined by ``; ``) when present.
    """

    doi: str | None
    entry_type: str
    fields: dict[str, str]
    plain: dict[str, str]
    authors: tuple[Name, ...] = ()
    editors: tuple[Name, ...] = ()
    update_status: UpdateStatus | None = None
    updates: tuple[UpdateStatus, ...] = ()
    crossref_type: str | None = None
    orcids: tuple[str | None, ...] = field(default=(), repr=False)


# -------------------------------------------------------------------------------------------
# Markup: JATS / HTML / MathML → styled text spans
# -------------------------------------------------------------------------------------------

Span = tuple[str, frozenset[str]]
_BREAK: Final = ("\n", frozenset({"break"}))
_STYLE_TAGS: Final = {
    "i": "i",
    "em": "i",
    "italic": "i",
    "b": "b",
    "strong": "b",
    "bold": "b",
    "sub": "sub",
    "sup": "sup",
    "sc": "sc",
    "scp": "sc",
    "small-caps": "sc",
}
_BLOCK_TAGS: Final = frozenset(
    {
        "p",
        "sec",
        "title",
        "list",
        "list-item",
        "div",
        "abstract",
        "trans-abstract",
        "caption",
        "disp-formula",
        "table-wrap",
        "fig",
        "boxed-text",
        "def-list",
        "statement",
        "label",
    }
)
_VOID_TAGS: Final = frozenset({"br", "hr", "img", "mspace", "none", "mprescripts"})
_SKIP_TAGS: Final = frozenset({"annotation", "annotation-xml", "script", "style"})
# Formula wrappers: whitespace directly inside them is pretty-printing, not content.
_MATH_TAGS: Final = frozenset({"math", "inline-formula", "disp-formula", "alternatives"})


@dataclass
class _Frame:
    tag: str
    style: str | None
    math: bool
    skip: bool
    children: int = 0


class _MarkupParser(HTMLParser):
    """Collect text with the styles of its enclosing tags; blocks become breaks.

    ``html.parser`` is forgiving (unclosed tags, stray ``<``, entities) and treats
    ``jats:p`` or ``mml:mi`` as plain tag names; only the local name is looked at.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Span] = []
        self._stack: list[_Frame] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        local = tag.rsplit(":", 1)[-1]
        parent = self._stack[-1] if self._stack else None
        if local in _VOID_TAGS:
            if local == "br":
                self.items.append(_BREAK)
            return
        style = _STYLE_TAGS.get(local)
        if local == "span":
            css = " ".join(v or "" for k, v in attrs if k == "style").replace(" ", "")
            if "small-caps" in css:
                style = "sc"
        if parent is not None and parent.tag in ("msub", "msup", "msubsup"):
            parent.children += 1
            if parent.children == 2:
                style = "sup" if parent.tag == "msup" else "sub"
            elif parent.children == 3 and parent.tag == "msubsup":
                style = "sup"
        skip = (
            (parent is not None and parent.skip)
            or local in _SKIP_TAGS
            or (local == "tex-math" and any(f.tag == "alternatives" for f in self._stack))
        )
        math = (parent is not None and parent.math) or local in _MATH_TAGS
        if local == "title" and not math:
            style = "heading"
        if local in _BLOCK_TAGS and not math:
            self.items.append(_BREAK)
        self._stack.append(_Frame(local, style, math, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        local = tag.rsplit(":", 1)[-1]
        if local in _BLOCK_TAGS or local == "br":
            self.items.append(_BREAK)

    def handle_endtag(self, tag: str) -> None:
        local = tag.rsplit(":", 1)[-1]
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth].tag == local:
                del self._stack[depth:]
                if local in _BLOCK_TAGS:
                    self.items.append(_BREAK)
                return
        # An end tag with no start: ignore it, as browsers do.

    def handle_data(self, data: str) -> None:
        frame = self._stack[-1] if self._stack else None
        if frame is not None and frame.skip:
            return
        if frame is not None and frame.math:
            # MathML is pretty-printed: whitespace between tokens is layout, not content.
            if not data.strip():
                return
            if frame.tag != "mtext":
                data = data.strip()
        styles = frozenset(f.style for f in self._stack if f.style)
        self.items.append((data, styles))


_WS = re.compile(r"\s+")
_EDGE_WS = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)


def _drop_controls(text: str) -> str:
    """Remove control characters and lone surrogates (whitespace ones become spaces)."""
    return "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    )


def _collapse(spans: Sequence[Span]) -> list[Span]:
    """Collapse whitespace across spans, move edge spaces out of styled spans, merge, trim."""
    pieces: list[Span] = []
    for raw, styles in spans:
        text = _WS.sub(" ", _drop_controls(raw))
        if styles:
            match = _EDGE_WS.match(text)
            assert match is not None
            lead, core, trail = match.groups()
            pieces += [(lead, frozenset()), (core, styles), (trail, frozenset())]
        else:
            pieces.append((text, styles))
    out: list[Span] = []
    prev_space = True  # trims leading space
    for piece, styles in pieces:
        text = piece
        if not styles:
            if prev_space:
                text = text.lstrip(" ")
            if not text:
                continue
            prev_space = text.endswith(" ")
        elif not text:
            continue
        else:
            prev_space = False
        if out and out[-1][1] == styles:
            out[-1] = (out[-1][0] + text, styles)
        else:
            out.append((text, styles))
    while out and not out[-1][1] and out[-1][0].endswith(" "):
        stripped = out[-1][0].rstrip(" ")
        if stripped:
            out[-1] = (stripped, out[-1][1])
        else:
            out.pop()
    return out


_GENERIC_HEADINGS: Final = frozenset({"abstract", "summary"})
# Pretty-printed JATS puts newlines and indentation around inline tags ("(\n  <i>KRAS</i>\n )",
# "KRAS</i>\n /\n <i>NRAS"). Such whitespace is layout when it touches brackets, slashes,
# hyphens or closing punctuation; between words it stays one space.
_OPENERS: Final = frozenset("([{/-‐–—")
_CLOSERS: Final = frozenset(")]}/-‐–—,.;:!?")


def _drop_layout_space(items: list[Span]) -> list[Span]:
    """Remove newline whitespace at tag boundaries where it only separates punctuation."""
    n = len(items)
    before: list[str | None] = [None] * n
    after: list[str | None] = [None] * n
    last: str | None = None
    for i, item in enumerate(items):
        before[i] = last
        if item is _BREAK:
            last = None
        elif item[0].strip():
            last = item[0].rstrip()[-1]
    last = None
    for i in range(n - 1, -1, -1):
        after[i] = last
        if items[i] is _BREAK:
            last = None
        elif items[i][0].strip():
            last = items[i][0].lstrip()[0]
    out: list[Span] = []
    for i, item in enumerate(items):
        if item is _BREAK:
            out.append(item)
            continue
        text, styles = item
        core = text.strip()
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :] if core else ""
        first = core[0] if core else after[i]
        final = core[-1] if core else before[i]
        if "\n" in lead and (before[i] in _OPENERS or first in _CLOSERS):
            lead = ""
        if "\n" in trail and (final in _OPENERS or after[i] in _CLOSERS):
            trail = ""
        out.append((lead + core + trail, styles))
    return out


def _parse_markup(text: str) -> list[Span]:
    """Markup to styled spans: blocks joined by a space, section titles run in."""
    parser = _MarkupParser()
    parser.feed(text)
    parser.close()
    blocks: list[list[Span]] = [[]]
    for item in _drop_layout_space(parser.items):
        if item is _BREAK:
            blocks.append([])
        else:
            blocks[-1].append(item)
    result: list[Span] = []
    heading: str | None = None
    for block in blocks:
        spans = _collapse(block)
        if not spans:
            continue
        if all("heading" in styles for _, styles in spans):
            words = "".join(t for t, _ in spans).strip()
            if (
                not result
                and heading is None
                and words.rstrip(".:").casefold() in _GENERIC_HEADINGS
            ):
                continue
            heading = words if heading is None else f"{heading} {words}"
            continue
        if result:
            result.append((" ", frozenset()))
        if heading:
            result.append((heading + ("" if heading[-1] in ".:?!" else ":") + " ", frozenset()))
            heading = None
        result.extend((t, s - {"heading"}) for t, s in spans)
    if heading:
        if result:
            result.append((" ", frozenset()))
        result.append((heading, frozenset()))
    return _collapse(result)


def markup_to_text(text: str) -> str:
    """Plain text of a JATS/HTML/MathML string: tags gone, entities decoded, spaces collapsed."""
    return "".join(t for t, _ in _parse_markup(text))


# -------------------------------------------------------------------------------------------
# LaTeX
# -------------------------------------------------------------------------------------------

# Specials only: unlike latex.escape (text -> LaTeX), a mapped value may already hold LaTeX
# on purpose (a "--" page range), so dashes and quote pairs are left alone here.
_LATEX_ESCAPES: Final = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_COMMANDS: Final = (
    ("sup", r"\textsuperscript"),
    ("sub", r"\textsubscript"),
    ("sc", r"\textsc"),
    ("b", r"\textbf"),
    ("i", r"\textit"),
)


def escape_latex(text: str) -> str:
    r"""Escape LaTeX specials so any text survives in a braced BibTeX value.

    Braces become ``\textbraceleft{}``/``\textbraceright{}`` (not ``\{``), because BibTeX
    counts every brace when it looks for the end of a value.
    """
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in _drop_controls(text))


def _is_greek(ch: str) -> bool:
    return "\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff" or ch == "\u00b5"


_LEAD_PUNCT = re.compile(r"^[(\[“\"'‘«]+")
_TRAIL_PUNCT = re.compile(r"[.,;:!?)\]”\"'’»]+$")


def _needs_braces(word: str, first: bool) -> bool:
    """Would a sentence-casing style damage this word? (IL-2, mRNA, IFN-λ, T, CD4, Ca2+)"""
    if any(_is_greek(ch) for ch in word):
        return True
    if not any(ch.isupper() for ch in word):
        return False
    for part in re.split(r"[-/‐–]", word):
        if not part:
            continue
        if any(ch.isupper() for ch in part[1:]):
            return True  # acronyms and mixed case: KRAS, ctDNA, McDonald, II
        if part[0].isupper() and any(ch.isdigit() for ch in part):
            return True  # T2, Th17, Ca2+
        if len(part) == 1 and part.isupper() and not (first and part == "A" and word == "A"):
            return True  # single capitals: T cells, B cells, X-ray (not a title's first "A")
    return False


def _wrap(body: str, styles: frozenset[str]) -> str:
    for style, command in _COMMANDS:
        if style in styles:
            body = f"{command}{{{body}}}"
    return body


def _slice(segments: Sequence[Span], start: int, end: int) -> list[Span]:
    """The part of a word's segments between two character offsets."""
    out: list[Span] = []
    offset = 0
    for text, styles in segments:
        lo, hi = max(start - offset, 0), min(end - offset, len(text))
        if lo < hi:
            out.append((text[lo:hi], styles))
        offset += len(text)
    return out


def _latex(spans: Sequence[Span], protect: bool) -> str:
    r"""Render spans as LaTeX; with ``protect``, brace the words sentence-casing would damage.

    The decision is taken on the whole word, across markup (``Ca<sup>2+</sup>`` is one word),
    and the braces go *inside* the formatting commands: BibTeX treats a group opening with a
    backslash (``{\textit{KRAS}}``) as a special character whose letters it does case-change.
    """
    if not protect:
        return "".join(_wrap(escape_latex(text), styles) for text, styles in spans)
    pieces: list[tuple[str, frozenset[str], bool]] = []
    word: list[Span] = []
    first = True

    def flush() -> None:
        nonlocal first
        if not word:
            return
        joined = "".join(text for text, _ in word)
        lead = _LEAD_PUNCT.match(joined)
        start = lead.end() if lead else 0
        trail = _TRAIL_PUNCT.search(joined[start:])
        end = start + trail.start() if trail else len(joined)
        braced = start < end and _needs_braces(joined[start:end], first)
        pieces.extend((t, st, False) for t, st in _slice(word, 0, start))
        pieces.extend((t, st, braced) for t, st in _slice(word, start, end))
        pieces.extend((t, st, False) for t, st in _slice(word, end, len(joined)))
        word.clear()
        first = False

    for text, styles in spans:
        for piece in re.split(r"(\s+)", text):
            if not piece:
                continue
            if piece.isspace():
                flush()
                pieces.append((piece, styles, False))
            else:
                word.append((piece, styles))
    flush()
    out: list[str] = []
    for styles, group in groupby(pieces, key=lambda piece: piece[1]):
        body = "".join(
            "{" + escape_latex(text) + "}"
            if braced and any(ch.isalpha() for ch in text)
            else escape_latex(text)
            for text, _, braced in group
        )
        out.append(_wrap(body, styles))
    return "".join(out)


def _verbatim(text: str) -> str:
    """A DOI or URL for a verbatim field: no escaping, braces and backslash %-encoded."""
    text = "".join(ch for ch in _drop_controls(text) if not ch.isspace())
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


# -------------------------------------------------------------------------------------------
# Reading the message
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    latex: str
    plain: str


def _strings(message: Message, key: str) -> list[str]:
    """A Crossref string array (or a CSL-JSON string) as non-empty strings."""
    value = message.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v.strip()]


def _first(message: Message, key: str) -> str | None:
    values = _strings(message, key)
    return values[0] if values else None


def _scalar(message: Message, key: str) -> str | None:
    value = message.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, list):  # some CSL-JSON has one-element lists
        value = value[0] if value and isinstance(value[0], str) else None
    if not isinstance(value, str) or not value.strip():
        return None
    return value


def _text(raw: str | None, *, protect: bool = False) -> _Value | None:
    if raw is None:
        return None
    spans = _parse_markup(raw)
    plain = "".join(t for t, _ in spans)
    if not plain:
        return None
    return _Value(_latex(spans, protect), plain)


def _date_parts(value: object) -> tuple[int, int | None] | None:
    """``(year, month)`` of a Crossref date; None for missing, ``[[null]]`` or garbage."""
    if not isinstance(value, Mapping):
        return None
    parts = value.get("date-parts")
    if not (isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]):
        return None
    year = _as_int(parts[0][0])
    if year is None or not 0 < year < 10_000:
        return None
    month = _as_int(parts[0][1]) if len(parts[0]) > 1 else None
    if month is not None and not 1 <= month <= 12:
        month = None
    return year, month


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _iso_date(value: object) -> str | None:
    if not isinstance(value, Mapping):
        return None
    stamp = value.get("date-time")
    if isinstance(stamp, str) and re.match(r"^\d{4}-\d{2}-\d{2}", stamp):
        return stamp[:10]
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list):
        numbers = [_as_int(p) for p in parts[0][:3]]
        if numbers and numbers[0] is not None:
            kept = []
            for n in numbers:
                if n is None:
                    break
                kept.append(n)
            return "-".join(f"{n:04d}" if i == 0 else f"{n:02d}" for i, n in enumerate(kept))
    return None


# -------------------------------------------------------------------------------------------
# Entry types and field rules
# -------------------------------------------------------------------------------------------

ENTRY_TYPES: Final[Mapping[str, str]] = {
    "journal-article": "article",
    "book-chapter": "incollection",
    "book-part": "incollection",
    "book-section": "incollection",
    "book-track": "incollection",
    "reference-entry": "incollection",
    "proceedings-article": "inproceedings",
    "book": "book",
    "edited-book": "book",
    "monograph": "book",
    "reference-book": "book",
    "book-set": "book",
    "proceedings": "proceedings",
    "report": "techreport",
    "report-component": "techreport",
    "dissertation": "phdthesis",
}
"""Crossref ``type`` → BibTeX entry type; anything not listed is ``misc``."""

_NOTES: Final[Mapping[str, str]] = {
    "dataset": "Dataset",
    "peer-review": "Peer review",
    "component": "Component",
    "standard": "Standard",
}
_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_EDITED: Final = frozenset({"incollection", "inproceedings", "book", "proceedings"})


@dataclass(frozen=True)
class _Work:
    """What a rule sees: the message and the entry type already decided."""

    message: Message
    entry_type: str


@dataclass(frozen=True)
class FieldRule:
    """One row of the mapping: a BibTeX field, where it comes from, which entry types get it."""

    field: str
    source: str
    get: Callable[[_Work], _Value | None]
    types: frozenset[str] | None = None


@dataclass(frozen=True)
class _Contributor:
    name: Name
    suffix: str
    orcid: str | None

    @property
    def plain(self) -> str:
        if isinstance(self.name, str):
            return self.name
        family, given = self.name
        return ", ".join(p for p in (family, self.suffix, given) if p)

    @property
    def latex(self) -> str:
        """BibTeX name syntax: ``{Org}``, ``Family``, ``Family, Given``, ``Family, Jr., Given``."""
        if isinstance(self.name, str):
            return "{" + escape_latex(self.name) + "}"
        family, given = self.name
        return ", ".join(_name_part(p) for p in (family, self.suffix, given) if p)


def _names_value(people: Sequence[_Contributor]) -> _Value | None:
    if not people:
        return None
    return _Value(" and ".join(p.latex for p in people), " and ".join(p.plain for p in people))


def _name_part(part: str) -> str:
    """Brace a name part that BibTeX would mis-split (a word "and", a comma)."""
    escaped = escape_latex(part)
    if "," in part or re.search(r"(?i)(^|\s)and(\s|$)", part):
        return "{" + escaped + "}"
    return escaped


def _contributors(message: Message, role: str) -> list[_Contributor]:
    people = message.get(role)
    if not isinstance(people, list):
        return []
    out: list[_Contributor] = []
    for person in people:
        if not isinstance(person, Mapping):
            continue
        family = _clean_name(person.get("family"))
        given = _clean_name(person.get("given"))
        org = _clean_name(person.get("name"))
        name: Name
        if family:
            name = (family, given)
        elif org:
            name = org
        elif given:
            name = (given, "")  # a single-word name deposited as "given"
        else:
            continue  # deposited with neither name
        suffix = _clean_name(person.get("suffix")) if not isinstance(name, str) else ""
        out.append(_Contributor(name, suffix, _orcid(person.get("ORCID"))))
    return out


def _clean_name(value: object) -> str:
    return markup_to_text(value) if isinstance(value, str) else ""


def _orcid(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    match = re.search(r"\d{4}-\d{4}-\d{4}-\d{3}[\dXx]", value)
    return f"https://orcid.org/{match.group(0).upper()}" if match else None


def _authors(work: _Work) -> _Value | None:
    return _names_value(_contributors(work.message, "author"))


def _editors(work: _Work) -> _Value | None:
    return _names_value(_contributors(work.message, "editor"))


def _title(work: _Work) -> _Value | None:
    title = _first(work.message, "title") or _first(work.message, "original-title")
    return _text(title, protect=True)


def _journal(work: _Work) -> _Value | None:
    return _text(_first(work.message, "container-title"))


def _short_journal(work: _Work) -> _Value | None:
    short = _text(
        _first(work.message, "short-container-title")
        or _first(work.message, "container-title-short")
    )
    full = _journal(work)
    if short is None or (full is not None and short.plain.casefold() == full.plain.casefold()):
        return None
    return short


def _event(work: _Work, key: str) -> str | None:
    event = work.message.get("event")
    if isinstance(event, Mapping):
        value = event.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _booktitle(work: _Work) -> _Value | None:
    title = _first(work.message, "container-title")
    if title is None and work.entry_type == "inproceedings":
        title = _event(work, "name")
    return _text(title, protect=True)


_DATE_ORDER: Final = ("issued", "published", "published-print", "published-online", "posted")


def chosen_date(message: Message, entry_type: str) -> tuple[int, int | None] | None:
    """The ``(year, month)`` cytobib writes (see "Dates" in the module docstring)."""
    order = ("published-print", *_DATE_ORDER) if entry_type == "article" else _DATE_ORDER
    for key in order:
        found = _date_parts(message.get(key))
        if found is not None:
            return found
    return None


def _year(work: _Work) -> _Value | None:
    date = chosen_date(work.message, work.entry_type)
    return _Value(str(date[0]), str(date[0])) if date else None


def _month(work: _Work) -> _Value | None:
    date = chosen_date(work.message, work.entry_type)
    if date is None or date[1] is None:
        return None
    name = _MONTHS[date[1] - 1]
    return _Value(name, name)


def _plain_field(key: str) -> Callable[[_Work], _Value | None]:
    def get(work: _Work) -> _Value | None:
        return _text(_scalar(work.message, key))

    get.__name__ = f"_{key}"
    return get


_RANGE = re.compile(r"(?<=[0-9A-Za-z])\s*[-‐‑–—]+\s*(?=[0-9A-Za-z])")
_ONE_RANGE = re.compile(r"^\s*([^\s\-‐‑–—]+)\s*[-‐‑–—]+\s*([^\s\-‐‑–—]+)\s*$")


def _pages(work: _Work) -> _Value | None:
    page = _scalar(work.message, "page")
    if page is None:
        return _text(_scalar(work.message, "article-number"))
    page = markup_to_text(page)
    single = _ONE_RANGE.match(page)
    if single and single.group(1) == single.group(2):
        page = single.group(1)
    latex = escape_latex(_RANGE.sub("--", page))
    return _Value(latex, _RANGE.sub("–", page)) if page else None


def _doi(work: _Work) -> _Value | None:
    raw = _scalar(work.message, "DOI")
    if raw is None:
        return None
    try:
        doi = normalize_doi(raw)
    except ValueError:
        doi = raw.strip().lower()
    return _Value(_verbatim(doi), doi)


def _typed_ids(message: Message, typed_key: str, plain_key: str) -> list[str]:
    """Identifiers print first, then electronic, then any others, without repeats."""
    order = {"print": 0, "pissn": 0, "electronic": 1, "eissn": 1}
    typed: list[tuple[int, str]] = []
    entries = message.get(typed_key)
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(entry.get("value"), str):
                typed.append((order.get(str(entry.get("type")), 2), entry["value"]))
    values = [v for _, v in sorted(typed, key=lambda t: t[0])] + _strings(message, plain_key)
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def _issn(work: _Work) -> _Value | None:
    ids = _typed_ids(work.message, "issn-type", "ISSN")
    return _Value(escape_latex(", ".join(ids)), ", ".join(ids)) if ids else None


def _isbn(work: _Work) -> _Value | None:
    ids = _typed_ids(work.message, "isbn-type", "ISBN")
    return _Value(escape_latex(", ".join(ids)), ", ".join(ids)) if ids else None


def _address(work: _Work) -> _Value | None:
    location = _scalar(work.message, "publisher-location")
    if location is None and work.entry_type == "inproceedings":
        location = _event(work, "location")
    return _text(location)


def _institution_name(message: Message) -> str | None:
    institutions = message.get("institution")
    if isinstance(institutions, list):
        for inst in institutions:
            if isinstance(inst, Mapping) and isinstance(inst.get("name"), str):
                return str(inst["name"])
    return None


def _institution(work: _Work) -> _Value | None:
    return _text(_institution_name(work.message) or _scalar(work.message, "publisher"))


def _howpublished(work: _Work) -> _Value | None:
    return _text(_institution_name(work.message) or _scalar(work.message, "group-title"))


def _note(work: _Work) -> _Value | None:
    kind = work.message.get("type")
    if kind == "posted-content":
        subtype = work.message.get("subtype")
        if not isinstance(subtype, str) or subtype in ("", "preprint"):
            note = "Preprint"
        elif subtype == "other":
            note = "Posted content"
        else:
            note = subtype.replace("_", " ").replace("-", " ").capitalize()
        return _Value(escape_latex(note), note)
    other = _NOTES.get(str(kind))
    return _Value(other, other) if other else None


def _url(work: _Work) -> _Value | None:
    if _scalar(work.message, "DOI"):
        return None  # the DOI is the link
    resource = work.message.get("resource")
    url = None
    if isinstance(resource, Mapping) and isinstance(resource.get("primary"), Mapping):
        url = resource["primary"].get("URL")
    url = url if isinstance(url, str) and url.strip() else _scalar(work.message, "URL")
    return _Value(_verbatim(url), url.strip()) if url else None


def _abstract(work: _Work) -> _Value | None:
    return _text(_scalar(work.message, "abstract"))


_ALL = None
FIELD_RULES: Final[tuple[FieldRule, ...]] = (
    FieldRule("author", "author[]", _authors, _ALL),
    FieldRule("editor", "editor[]", _editors, _EDITED),
    FieldRule("title", "title[0]", _title, _ALL),
    FieldRule("journal", "container-title[0]", _journal, frozenset({"article"})),
    FieldRule("shortjournal", "short-container-title[0]", _short_journal, frozenset({"article"})),
    FieldRule(
        "booktitle",
        "container-title[0] | event.name",
        _booktitle,
        frozenset({"incollection", "inproceedings"}),
    ),
    FieldRule("year", "published-print (article) | issued", _year, _ALL),
    FieldRule("month", "same date as year", _month, _ALL),
    FieldRule("volume", "volume", _plain_field("volume"), _ALL),
    FieldRule("number", "issue", _plain_field("issue"), _ALL),
    FieldRule("pages", "page | article-number", _pages, _ALL),
    FieldRule("doi", "DOI", _doi, _ALL),
    FieldRule("issn", "issn-type | ISSN", _issn, _ALL),
    FieldRule("isbn", "isbn-type | ISBN", _isbn, _ALL),
    FieldRule("publisher", "publisher", _plain_field("publisher"), _ALL),
    FieldRule("address", "publisher-location | event.location", _address, _ALL),
    FieldRule(
        "institution", "institution[0].name | publisher", _institution, frozenset({"techreport"})
    ),
    FieldRule("school", "institution[0].name | publisher", _institution, frozenset({"phdthesis"})),
    FieldRule(
        "howpublished", "institution[0].name | group-title", _howpublished, frozenset({"misc"})
    ),
    FieldRule("note", "type / subtype", _note, frozenset({"misc"})),
    FieldRule("url", "resource.primary.URL | URL (no DOI only)", _url, _ALL),
    FieldRule("abstract", "abstract (JATS)", _abstract, _ALL),
)
"""The mapping, in output order. ``types`` None means every entry type."""


# -------------------------------------------------------------------------------------------
# Updates (retractions, corrections)
# -------------------------------------------------------------------------------------------

_SEVERITY: Final[Mapping[str, int]] = {"retracted": 3, "concern": 2, "corrected": 1, "notice": 0}
_TITLE_RETRACTED = re.compile(r"^\s*(retracted|retraction(\s+note)?|withdrawn)\s*:", re.I)


def _update_kind(kind: object) -> UpdateKind:
    text = str(kind or "").strip().lower().replace("-", "_").replace(" ", "_")
    if "retract" in text or "withdraw" in text or text == "removal":
        return "retracted"
    if "concern" in text:
        return "concern"
    return "corrected"  # correction, erratum, corrigendum, new_version, and unknown updates


def _doi_or_none(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return normalize_doi(value)
    except ValueError:
        return value.strip().lower() or None


def update_statuses(message: Message, title: str | None = None) -> tuple[UpdateStatus, ...]:
    """Every update signal of a record: ``updated-by``, a retraction title, ``update-to``."""
    found: list[UpdateStatus] = []
    updated_by = message.get("updated-by")
    for entry in updated_by if isinstance(updated_by, list) else []:
        if not isinstance(entry, Mapping):
            continue
        found.append(
            UpdateStatus(
                kind=_update_kind(entry.get("type")),
                notice_doi=_doi_or_none(entry.get("DOI")),
                source=str(entry.get("source") or "publisher"),
                date=_iso_date(entry.get("updated")),
                label=str(entry["label"]) if entry.get("label") else None,
            )
        )
    if title is not None and _TITLE_RETRACTED.match(title):
        found.append(
            UpdateStatus(
                "retracted",
                _doi_or_none(message.get("DOI")),
                "title",
                None,
                title.split(":", 1)[0].strip(),
            )
        )
    update_to = message.get("update-to")
    for entry in update_to if isinstance(update_to, list) else []:
        if not isinstance(entry, Mapping):
            continue
        found.append(
            UpdateStatus(
                kind="notice",
                notice_doi=_doi_or_none(message.get("DOI")),
                source=str(entry.get("source") or "publisher"),
                date=_iso_date(entry.get("updated")),
                label=str(entry["label"]) if entry.get("label") else None,
                target_doi=_doi_or_none(entry.get("DOI")),
            )
        )
    return tuple(found)


def _most_severe(updates: Sequence[UpdateStatus]) -> UpdateStatus | None:
    if not updates:
        return None
    return max(updates, key=lambda u: (_SEVERITY[u.kind], u.date or ""))


# -------------------------------------------------------------------------------------------
# map_work
# -------------------------------------------------------------------------------------------


def entry_type_for(message: Message) -> str:
    """The BibTeX entry type for a Crossref ``type`` (``misc`` when unknown)."""
    return ENTRY_TYPES.get(str(message.get("type") or ""), "misc")


def map_work(message: Message) -> MappedWork:
    """Map a Crossref work ``message`` (or a whole ``{"message": ...}`` envelope) to BibTeX.

    Never raises on odd data: a missing or malformed part simply gives no field.
    """
    if not isinstance(message, Mapping):
        raise TypeError("map_work expects the JSON object of a Crossref work")
    if isinstance(message.get("message"), Mapping) and "message-type" in message:
        message = message["message"]
    entry_type = entry_type_for(message)
    work = _Work(message, entry_type)
    fields: dict[str, str] = {}
    plain: dict[str, str] = {}
    for rule in FIELD_RULES:
        if rule.types is not None and entry_type not in rule.types:
            continue
        value = rule.get(work)
        if value is None or not value.plain:
            continue
        fields[rule.field] = value.latex
        plain[rule.field] = value.plain
    subtitle = _text(_first(message, "subtitle"))
    if subtitle is not None:
        plain["subtitle"] = subtitle.plain
    authors = _contributors(message, "author")
    orcids = [f"{a.plain}: {a.orcid}" for a in authors if a.orcid]
    if orcids:
        plain["orcid"] = "; ".join(orcids)
    doi = plain.get("doi")
    updates = update_statuses(message, plain.get("title"))
    return MappedWork(
        doi=doi,
        entry_type=entry_type,
        fields=fields,
        plain=plain,
        authors=tuple(a.name for a in authors),
        editors=tuple(e.name for e in _contributors(message, "editor")),
        update_status=_most_severe(updates),
        updates=updates,
        crossref_type=str(message["type"]) if message.get("type") else None,
        orcids=tuple(a.orcid for a in authors),
    )


# -------------------------------------------------------------------------------------------
# Matching search candidates
# -------------------------------------------------------------------------------------------

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
    if not _is_greek(ch):
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
    titles = _strings(candidate, "title")
    subtitles = _strings(candidate, "subtitle")
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
    for key in _DATE_ORDER:
        found = _date_parts(candidate.get(key))
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
    year_value = _as_int(entry_year) if entry_year is not None else None
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
