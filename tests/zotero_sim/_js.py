"""JavaScript semantics the translators rely on, for Python's ``re``.

The translators run as JavaScript: ``\\s`` is ECMAScript white space, ``\\b`` and ``\\w`` are
ASCII-only, and XRegExp's ``\\p{Letter}``/``\\p{Uppercase_Letter}`` are Unicode categories.
Python's ``re`` differs on all of these (its ``\\b`` and ``\\w`` are Unicode-aware, it has no
``\\p{...}``), so the ports build their patterns from the classes here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

# ECMAScript WhiteSpace + LineTerminator (ECMA-262 §12.2, §12.3): what JS `\s` matches.
WS_CHARS = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
WS = "[" + WS_CHARS + "]"
NOT_WS = "[^" + WS_CHARS + "]"

# JS `\w` and `\b` are ASCII-only.
W = "[A-Za-z0-9_]"
B = r"(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))"


def _class_of(test: Callable[[str], bool]) -> str:
    """A character class body (no brackets) of every BMP code point whose category passes."""
    ranges: list[tuple[int, int]] = []
    start = -1
    for cp in range(0x10000):  # XRegExp without the astral flag: the BMP only
        ok = test(unicodedata.category(chr(cp)))
        if ok and start < 0:
            start = cp
        elif not ok and start >= 0:
            ranges.append((start, cp - 1))
            start = -1
    if start >= 0:
        ranges.append((start, 0xFFFF))
    out = []
    for a, b in ranges:
        out.append(_esc(a) if a == b else _esc(a) + "-" + _esc(b))
    return "".join(out)


def _esc(cp: int) -> str:
    return f"\\u{cp:04x}"


# XRegExp \p{Letter} (L*), \p{Uppercase_Letter} (Lu) and \p{N} as class bodies.
LETTER = _class_of(lambda c: c.startswith("L"))
UPPER = _class_of(lambda c: c == "Lu")
NUMBER = _class_of(lambda c: c.startswith("N"))


def trim(s: str) -> str:
    """``String.prototype.trim``: strip ECMAScript white space only."""
    return s.strip(WS_CHARS)


def lpad(value: object, pad: str, length: int) -> str:
    """``Zotero.Utilities.lpad``."""
    s = "" if value is None or value == "" else str(value)
    while len(s) < length:
        s = pad + s
    return s
