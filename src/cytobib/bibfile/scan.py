"""Splitting BibTeX text into blocks and finding fields inside an entry's raw text.

The file is split into blocks with their exact text, spans and lines as bibtexparser v2's
splitter splits it, and nothing more (no middlewares: they are slow, and its writer
re-serialises everything). Well-formed files go through a faster copy of the splitter's rules
(:func:`_fast_split`, tested against bibtexparser on real libraries and generated text);
anything unusual, every file with an error included, goes to bibtexparser itself
(:func:`_slow_split`). :func:`scan_fields` finds the character spans of an entry's fields,
which the parser does not report and the writer splices by.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: BibTeX's predefined month macros (``jan`` ... ``dec``), which every file may use unquoted.
STANDARD_MONTHS = {m: m for m in
                   ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                    "nov", "dec")}  # fmt: skip

# Both splitters produce the same light blocks, in file order, with character spans:
#   ("string", start, end, line, key, raw value)
#   ("entry", start, end, line, type, key, [(field name, raw value, where), ...])
#   ("failed", start, end, line, bibtexparser's failed block)
# Lines are 1-based. A field's ``where`` is turned into its line only when an issue needs it
# (the fast splitter gives the offset of its `=`, bibtexparser the line). Comments and
# @preamble produce nothing: the splice writer keeps them.
Field = tuple[str, str, int]
Block = tuple[Any, ...]

# bibtexparser's marks (splitter.py): an `@type` followed by `{` or `(` starts a block
# anywhere; `{ } " , =` count unless a backslash precedes them.
_AT = r"@\w*[ \t]*(?=[{(])"
_BLOCK_START = re.compile(_AT)
_MARKS = re.compile(r'(?<!\\)[{}",=]|' + _AT)
_BRACES = re.compile(r"(?<!\\)[{}]|" + _AT)
_QUOTES = re.compile(r'(?<!\\)"|' + _AT)
# The usual field in one match: a name, `=`, then braced values without nested braces, quoted
# values without braces, and bare words or `#`, up to the `,` or `}` that ends it. Backslashes
# and `@` are left to the general scanner (they change what counts as a mark).
_SIMPLE_FIELD = re.compile(r'([^{}",=@\\]*)=((?:\{[^{}\\@]*\}|"[^"{}\\@]*"|[^{}",=@\\])*)([,}])')


class _Unusual(Exception):
    """The fast splitter met something it leaves to bibtexparser (any error, `(` blocks)."""


def _newlines(text: str, start: int, end: int) -> int:
    """Newlines in ``text[start:end]`` as bibtexparser counts them: one right after a
    backslash is not a mark there, so it does not count."""
    return text.count("\n", start, end) - text.count("\\\n", max(start - 1, 0), end)


class _LineCounter:
    """Line of a position, counted forward; positions must not go backwards."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def at(self, pos: int) -> int:
        self.line += _newlines(self.text, self.pos, pos)
        self.pos = pos
        return self.line


def _fast_split(text: str) -> list[Block]:
    """bibtexparser's splitter, for well-formed `{`-delimited files, several times faster.

    It makes the same decisions from the same marks, but jumps over the inside of a value with
    one regex search per brace instead of stepping through every comma, quote and newline.
    Anything it does not handle exactly like bibtexparser (a parse error, a `(` block, an
    `@type{` at a line start inside a value) raises :class:`_Unusual`, and the caller hands
    the whole file to bibtexparser. tests/test_fast_split.py checks both agree.
    """
    blocks: list[Block] = []
    lines = _LineCounter(text)
    block_start, marks = _BLOCK_START.search, _MARKS.search
    pos = 0
    while (m := block_start(text, pos)) is not None:
        start, opener = m.start(), m.end()
        if text[opener] == "(":
            raise _Unusual
        line = lines.at(start)
        kind = m.group().lower()
        body = opener + 1
        if kind.startswith(("@comment", "@preamble")):
            pos = _closing_brace(text, body) + 1
            continue
        if kind.startswith("@string"):
            eq = marks(text, body)
            if eq is None or eq.group() != "=":
                raise _Unusual
            close = _closing_brace(text, eq.end())
            key, value = text[body : eq.start()].strip(), text[eq.end() : close].strip()
            blocks.append(("string", start, close + 1, line, key, value))
            pos = close + 1
            continue
        first = marks(text, body)
        if first is None:
            raise _Unusual
        key = text[body : first.start()].strip()
        if first.group() == "}":
            fields: list[Field] = []
            end = first.end()
        elif first.group() == ",":
            fields, end = _fast_fields(text, first.end())
        else:
            raise _Unusual
        blocks.append(("entry", start, end, line, kind[1:].strip(), key, fields))
        pos = end
    return blocks


def _at_line_start(text: str, pos: int) -> bool:
    for i in range(pos - 1, -1, -1):
        if text[i] == "\n":
            return True
        if not text[i].isspace():
            return False
    return True


def _closing_brace(text: str, pos: int) -> int:
    """Index of the `}` closing a comment, @preamble or @string body that starts at ``pos``."""
    depth = 0
    braces = _BRACES.search
    while (m := braces(text, pos)) is not None:
        pos = m.end()
        mark = m.group()
        if mark == "{":
            depth += 1
        elif mark == "}":
            if not depth:
                return m.start()
            depth -= 1
        elif _at_line_start(text, m.start()):
            raise _Unusual
    raise _Unusual


def _fast_fields(text: str, pos: int) -> tuple[list[Field], int]:
    fields: list[Field] = []
    marks, braces, quotes = _MARKS.search, _BRACES.search, _QUOTES.search
    simple_field = _SIMPLE_FIELD.match
    size = len(text)
    while True:
        while (simple := simple_field(text, pos)) is not None:
            name, value, closing = simple.groups()
            fields.append((name.strip(), value.strip(), simple.end(1)))
            pos = simple.end()
            if closing == "}":
                return fields, pos
        eq = marks(text, pos)
        if eq is None:
            raise _Unusual
        if eq.group() == "}":
            if text[pos : eq.start()].strip():
                raise _Unusual  # a name with no `=`
            return fields, eq.end()
        if eq.group() != "=":
            raise _Unusual
        name_end = value_start = eq.end()
        # The value runs to the first `,` or `}` outside braces and quotes.
        depth, quoted, cur = 0, False, value_start
        while True:
            m = (braces if depth else quotes if quoted else marks)(text, cur)
            if m is None:
                raise _Unusual
            mark, at = m.group(), m.start()
            cur = m.end()
            if mark[0] == "@":
                if _at_line_start(text, at):
                    raise _Unusual
            elif depth:
                depth += 1 if mark == "{" else -1
            elif quoted:
                # `{"}` is a literal quote inside a quoted value (bibtexparser issue #487).
                if not (at + 2 < size and text[at - 1] == "{" and text[at + 1] == "}"):
                    quoted = False
            elif mark == '"':
                quoted = True
            elif mark == "{":
                depth = 1
            elif mark in ",}":
                break
        fields.append((text[pos : name_end - 1].strip(), text[value_start:at].strip(), eq.start()))
        if mark == "}":
            return fields, cur
        pos = cur


def _slow_split(text: str) -> list[Block]:
    """bibtexparser's own splitter, for files the fast one leaves alone (and as its oracle)."""
    from bibtexparser import model as bm
    from bibtexparser.entrypoint import parse_string

    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    library = parse_string(text, parse_stack=[])
    blocks: list[Block] = []
    cursor = 0
    for wrapped in library.blocks:
        # The library wraps a second block with the same key; the splitter one with repeated
        # fields. Both are read as plain blocks: parse() reports them its own way.
        block: bm.Block | None = wrapped
        if isinstance(wrapped, bm.DuplicateBlockKeyBlock | bm.DuplicateFieldKeyBlock):
            block = wrapped.ignore_error_block
        if block is None:
            continue
        # Blocks come in file order and each raw is a verbatim slice of the text, so the next
        # occurrence after the previous block is this block.
        raw = block.raw or ""
        start = text.find(raw, cursor)
        if start < 0:  # cannot happen for blocks the splitter cut out of this text
            continue
        cursor = end = start + len(raw)
        line = (block.start_line or 0) + 1
        if isinstance(block, bm.String):
            blocks.append(("string", start, end, line, block.key, str(block.value)))
        elif isinstance(block, bm.Entry):
            fields = [(f.key, str(f.value), (f.start_line or 0) + 1) for f in block.fields]
            blocks.append(("entry", start, end, line, block.entry_type, block.key, fields))
        elif isinstance(block, bm.ParsingFailedBlock):
            blocks.append(("failed", start, end, line, block))
    return blocks


def split_blocks(text: str) -> tuple[list[Block], Callable[[int, int, int], int]]:
    """The file's strings and entries (and failed blocks), as bibtexparser splits them, and
    ``field_line(where, entry_start, entry_line)``, which turns a field's ``where`` into a line.
    """
    try:
        blocks = _fast_split(text)
    except _Unusual:
        return _slow_split(text), _given_line

    def line_of(where: int, start: int, line: int) -> int:
        return line + _newlines(text, start, where)

    return blocks, line_of


def _given_line(where: int, start: int, line: int) -> int:
    return where


# --- fields inside an entry's raw text ------------------------------------------------------


@dataclass(frozen=True)
class FieldSpan:
    """Where one field sits inside an entry's raw text (offsets relative to the raw)."""

    name: str
    start: int  # first character of the field name
    value_start: int
    value_end: int
    end: int  # after the trailing comma, if any


@dataclass(frozen=True)
class EntryLayout:
    """The fields of an entry's raw text and the offset of its closing delimiter."""

    fields: tuple[FieldSpan, ...]
    close: int


_FIELD_NAME = re.compile(r"[^\s=,{}()\"#]+")
ENTRY_HEAD = re.compile(r"\s*@\s*\w+\s*([{(])\s*[^,\s]*\s*,", re.DOTALL)


def scan_fields(raw: str) -> EntryLayout:
    """Find field spans in an entry's raw text (the parser does not report offsets)."""
    head = ENTRY_HEAD.match(raw)
    if not head:
        raise ValueError("not an entry with a key")
    closer = "}" if head.group(1) == "{" else ")"
    i = head.end()
    spans: list[FieldSpan] = []
    while True:
        i = _skip(raw, i, " \t\r\n,")
        if i >= len(raw) or raw[i] == closer:
            break
        span, i = _field(raw, i, closer)
        spans.append(span)
    return EntryLayout(tuple(spans), raw.rfind(closer))


_BLANK = " \t\r\n"


def _skip(raw: str, i: int, chars: str = _BLANK) -> int:
    """The first position at or after ``i`` whose character is not in ``chars``."""
    while i < len(raw) and raw[i] in chars:
        i += 1
    return i


def _field(raw: str, start: int, closer: str) -> tuple[FieldSpan, int]:
    """The field whose name starts at ``start``, and where scanning goes on after it."""
    m = _FIELD_NAME.match(raw, start)
    if not m:
        raise ValueError(f"unexpected character {raw[start]!r} at offset {start}")
    name = m.group().lower()
    i = _skip(raw, m.end())
    if i >= len(raw) or raw[i] != "=":
        raise ValueError(f"expected '=' after field {name!r}")
    value_start = _skip(raw, i + 1)
    i = _scan_value(raw, value_start, closer)
    value_end = i
    while value_end > value_start and raw[value_end - 1] in _BLANK:
        value_end -= 1
    j = _skip(raw, i)
    end = j + 1 if j < len(raw) and raw[j] == "," else value_end
    return FieldSpan(name, start, value_start, value_end, end), (end if end > value_end else j)


def _scan_value(raw: str, i: int, closer: str) -> int:
    """The end of a value: braced, quoted or bare tokens joined by ``#``."""
    while i < len(raw):
        ch = raw[i]
        if ch == "{":
            i = _braced_end(raw, i)
        elif ch == '"':
            i = _quoted_end(raw, i)
        else:
            while i < len(raw) and raw[i] not in ",#" + closer + _BLANK:
                i += 1
        i = _skip(raw, i)
        if i < len(raw) and raw[i] == "#":
            i = _skip(raw, i + 1)
            continue
        return i
    return i


def _braced_end(raw: str, i: int) -> int:
    """After the ``}`` that closes the ``{`` at ``i`` (a backslash escapes the next char)."""
    depth = 0
    while i < len(raw):
        if raw[i] == "\\":
            i += 2
            continue
        if raw[i] == "{":
            depth += 1
        elif raw[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _quoted_end(raw: str, i: int) -> int:
    """After the ``"`` that closes the one at ``i``, by the splitter's rules (so that edits
    find the value the parser read): the first ``"`` not after a backslash, except the
    literal ``{"}``. Braces do not count: ``"a } b"`` is one value (``check`` reports its
    braces)."""
    i += 1
    while i < len(raw):
        if (
            raw[i] == '"'
            and raw[i - 1] != "\\"
            and not (raw[i - 1] == "{" and raw.startswith("}", i + 1))
        ):
            return i + 1
        i += 1
    return i
