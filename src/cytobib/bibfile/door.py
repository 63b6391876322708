"""The one door into library.bib: every value the writer puts into a field passes here first.

Values reach library.bib from Crossref, from an imported file, from ``--accept``: none of them
may change the file's structure. A field value ``v`` is written as ``{v}``, and the door makes
sure that text parses back to exactly ``v`` with *every* reader's rules (bibtexparser, pybtex,
biber, and classic bibtex, which counts every brace, escaped or not):

- braces balance, counting ``\\{`` and ``\\}`` too; an unmatched brace is written as
  ``\\textbraceleft{}`` / ``\\textbraceright{}``, which LaTeX prints as the same character;
- no line inside the value starts with ``@`` (bibtexparser's splitter would start a new block
  there): such an ``@`` is written ``{@}``;
- no NUL or other control character (tab and newline stay), and no terminal escape sequence:
  removed whole (``cytobib.controls``), not only its ESC, so no ``[31m`` is left behind;
- no TeX command that reads or writes files or redefines commands (``\\input``, ``\\write``,
  ``\\csname``, ``\\def``...): its backslash is written ``\\textbackslash{}``, so a title
  from outside prints as text instead of running when the bibliography is typeset;
- a size cap per field and per entry, with a message naming the work and the field.

Values that had to be escaped decode (``latex.to_text``) to the same text as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cytobib.controls import without_escape_sequences
from cytobib.errors import InputError

MAX_FIELD_CHARS = 256 * 1024
"""No real field comes near this (a long structured abstract is ~5,000 characters); a value
this large is an attack or a broken source, and 64 MB of them would lock the library out."""
MAX_ENTRY_CHARS = 1024 * 1024

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_START_AT = re.compile(r"(\n[ \t]*)@")
# TeX primitives and LaTeX commands that touch files, run code or redefine others; `^^5c` is
# TeX's own spelling of a backslash.
_DANGEROUS = re.compile(
    r"\\(input|include|includeonly|InputIfFileExists|IfFileExists|openin|openout|read|"
    r"readline|write|immediate|special|catcode|csname|expandafter|def|gdef|edef|xdef|let|"
    r"newcommand|renewcommand|providecommand|DeclareRobustCommand|usepackage|RequirePackage|"
    r"documentclass|directlua|luaexec|ShellEscape|write18|endinput|everyeof|everypar|"
    r"pdfliteral|openany)(?![A-Za-z])"
)
_CARETS = re.compile(r"\^(?=\^)")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:+-]*\Z")
_BACKSLASHED_BRACE = re.compile(r"(\\+)([{}])")
_BRACE_WORD = {"{": "\\textbraceleft{}", "}": "\\textbraceright{}"}
_KEY_BAD = re.compile(r"[\s,{}()=\"#%'\\~]")


class UnsafeValueError(InputError):
    """A value cannot be written into library.bib as it is (too large, not a field name)."""


def field_value(value: str, *, key: str, field: str) -> str:
    """The text to put between the braces of ``field`` so that it parses back to itself.

    Raises:
        UnsafeValueError: the value is larger than :data:`MAX_FIELD_CHARS`.
    """
    if len(value) > MAX_FIELD_CHARS:
        raise UnsafeValueError(
            f"The {field} of '{key}' is {len(value) / 1024:,.0f} KB; cytobib writes fields of "
            f"up to {MAX_FIELD_CHARS // 1024} KB into library.bib, so nothing was written.",
            hint="A value this large is a damaged or hostile source; check where it came from.",
        )
    if _CONTROLS.search(value):
        value = without_escape_sequences(value.replace("\r\n", "\n").replace("\r", "\n"))
        value = _CONTROLS.sub("", value)
    if "@" in value and "\n" in value:
        value = _LINE_START_AT.sub(r"\1{@}", value)
    if "\\" in value or "^^" in value:
        value = _DANGEROUS.sub(r"\\textbackslash{}\1", value)
        value = _CARETS.sub("^{}", value)
    if "{" in value or "}" in value or value.endswith("\\"):
        value = balance(value)
    return value


def entry_values(key: str, fields: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every field of a new or changed entry through :func:`field_value`, with the name and
    key checked and the entry's total size capped.

    Raises:
        UnsafeValueError: a bad field name or key, or an entry over the size cap.
    """
    check_key(key)
    out = []
    total = 0
    for name, value in fields:
        check_name(name, key)
        written = field_value(value, key=key, field=name)
        total += len(written)
        out.append((name, written))
    if total > MAX_ENTRY_CHARS:
        raise UnsafeValueError(
            f"The entry '{key}' would be {total / 1024:,.0f} KB; cytobib writes entries of up "
            f"to {MAX_ENTRY_CHARS // 1024} KB, so nothing was written.",
            hint="Check where its values came from.",
        )
    return out


def check_name(name: str, key: str) -> None:
    """A field name every BibTeX reader accepts (letters first; letters, digits, ``_.:+-``)."""
    if not _NAME.match(name):
        raise UnsafeValueError(
            f"'{key}' would get a field named {name[:40]!r}, which is not a BibTeX field name; "
            "nothing was written.",
            hint="Field names are letters, digits and - _ . : + (starting with a letter).",
        )


def check_key(key: str) -> None:
    """A citation key that cannot end or split the entry's head (``@type{key,``)."""
    if not key or _KEY_BAD.search(key) or _CONTROLS.search(key) or len(key) > 200:
        raise UnsafeValueError(
            f"{key[:60]!r} cannot be written as a citation key (blank, over 200 characters, "
            "comma, brace, quote, # % or a control character); nothing was written.",
            hint="Use letters, digits and - _ : . / in citation keys.",
        )


def balance(value: str) -> str:
    """``value`` with every brace counted the same way by every reader, and matched.

    Classic bibtex counts every brace; bibtexparser and biber skip a brace right after a
    backslash. So no brace may follow a backslash: an escaped brace (odd run of backslashes)
    is written ``\\textbraceleft{}`` / ``\\textbraceright{}`` (the same character in print),
    a line break ``\\\\`` before a brace gets a space, and a value may not end in a backslash
    (it would escape the closing brace). Then every unmatched brace is written as its word.
    """
    value = _BACKSLASHED_BRACE.sub(_unescape_brace, value)
    trailing = len(value) - len(value.rstrip("\\"))
    if trailing % 2:
        value = value[:-1] + "\\textbackslash{}"
    elif trailing:
        value += " "
    unmatched: list[int] = []
    opened: list[int] = []
    for i, ch in enumerate(value):
        if ch == "{":
            opened.append(i)
        elif ch == "}":
            if opened:
                opened.pop()
            else:
                unmatched.append(i)
    unmatched.extend(opened)
    if not unmatched:
        return value
    out = []
    pos = 0
    for i in sorted(unmatched):
        out.append(value[pos:i])
        out.append(_BRACE_WORD[value[i]])
        pos = i + 1
    out.append(value[pos:])
    return "".join(out)


def _unescape_brace(match: re.Match[str]) -> str:
    run, brace = match.group(1), match.group(2)
    if len(run) % 2:  # \{ : an escaped brace, the character itself
        return run[:-1] + _BRACE_WORD[brace]
    return run + " " + brace  # \\{ : a line break, then a group


def is_balanced(value: str) -> bool:
    """Whether every brace in ``value`` is matched, counting as classic bibtex does."""
    depth = 0
    for ch in value:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
