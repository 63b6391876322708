r"""Crossref's markup (JATS, HTML, MathML) to plain text and to LaTeX.

Titles and abstracts arrive as JATS/HTML fragments with MathML inside. :func:`parse_markup`
turns them into styled text spans (italic, bold, sub/superscript, small caps, section
headings); :func:`markup_to_text` joins the spans as plain text and :func:`spans_to_latex`
writes them as LaTeX for a braced BibTeX value, with ``\textit{}`` and friends. Every value is
escaped (:func:`escape_latex`): ``& % $ # _`` get a backslash, ``{ } ~ ^ \`` become
``\textbraceleft{}`` and friends (a ``\{`` would unbalance BibTeX's brace counting), Unicode
letters stay UTF-8. DOIs and URLs go to verbatim fields (:func:`verbatim`): not escaped, only
``{``, ``}`` and ``\`` percent-encoded so braces stay balanced.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import groupby
from typing import Final

from cytobib import latex
from cytobib.controls import without_escape_sequences

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


def _own_style(local: str, attrs: list[tuple[str, str | None]]) -> str | None:
    """The style a tag gives its text (``<span style="font-variant:small-caps">`` too)."""
    if local == "span":
        css = " ".join(v or "" for k, v in attrs if k == "style").replace(" ", "")
        return "sc" if "small-caps" in css else None
    return _STYLE_TAGS.get(local)


def _script_style(parent: _Frame | None) -> str | None:
    """MathML ``msub``/``msup``/``msubsup``: the second child is the sub- or superscript, the
    third of ``msubsup`` the superscript. Counts the child as a side effect."""
    if parent is None or parent.tag not in ("msub", "msup", "msubsup"):
        return None
    parent.children += 1
    if parent.children == 2:
        return "sup" if parent.tag == "msup" else "sub"
    if parent.children == 3 and parent.tag == "msubsup":
        return "sup"
    return None


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
        style = _script_style(parent) or _own_style(local, attrs)
        math = (parent is not None and parent.math) or local in _MATH_TAGS
        if local == "title" and not math:
            style = "heading"
        if local in _BLOCK_TAGS and not math:
            self.items.append(_BREAK)
        self._stack.append(_Frame(local, style, math, self._skips(local, parent)))

    def _skips(self, local: str, parent: _Frame | None) -> bool:
        """Inside a skipped element, or one whose text is not content (a TeX twin of MathML)."""
        return (
            (parent is not None and parent.skip)
            or local in _SKIP_TAGS
            or (local == "tex-math" and any(f.tag == "alternatives" for f in self._stack))
        )

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


def drop_controls(text: str) -> str:
    """Remove terminal escape sequences (whole), control characters and lone surrogates
    (whitespace ones become spaces)."""
    return "".join(
        " " if ch.isspace() else ch
        for ch in without_escape_sequences(text)
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    )


def _collapse(spans: Sequence[Span]) -> list[Span]:
    """Collapse whitespace across spans, move edge spaces out of styled spans, merge, trim."""
    pieces: list[Span] = []
    for raw, styles in spans:
        text = _WS.sub(" ", drop_controls(raw))
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


def parse_markup(text: str) -> list[Span]:
    """Markup to styled spans: blocks joined by a space, section titles run in."""
    parser = _MarkupParser()
    parser.feed(text)
    parser.close()
    return _collapse(_run_in(_blocks(_drop_layout_space(parser.items))))


def _blocks(items: Sequence[Span]) -> list[list[Span]]:
    """Spans cut at the breaks, each block's whitespace collapsed; empty blocks dropped."""
    blocks: list[list[Span]] = [[]]
    for item in items:
        if item is _BREAK:
            blocks.append([])
        else:
            blocks[-1].append(item)
    return [spans for spans in map(_collapse, blocks) if spans]


def _run_in(blocks: Sequence[list[Span]]) -> list[Span]:
    """Blocks joined by a space, each section title run in before its text ("Methods: ...");
    a leading "Abstract" or "Summary" heading is dropped."""
    result: list[Span] = []
    heading: str | None = None
    for spans in blocks:
        if all("heading" in styles for _, styles in spans):
            words = "".join(t for t, _ in spans).strip()
            generic = words.rstrip(".:").casefold() in _GENERIC_HEADINGS
            if not (generic and not result and heading is None):
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
    return result


def markup_to_text(text: str) -> str:
    """Plain text of a JATS/HTML/MathML string: tags gone, entities decoded, spaces collapsed."""
    return "".join(t for t, _ in parse_markup(text))


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
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in drop_controls(text))


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


def spans_to_latex(spans: Sequence[Span], protect: bool) -> str:
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
        lead, core, _trail = latex.word_core(joined)
        start, end = len(lead), len(lead) + len(core)
        braced = latex.needs_protection(core, first=first)
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


def verbatim(text: str) -> str:
    """A DOI or URL for a verbatim field: no escaping, braces and backslash %-encoded."""
    text = "".join(ch for ch in drop_controls(text) if not ch.isspace())
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")
