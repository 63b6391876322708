"""Reading and writing library.bib without losing a byte the user wrote.

The only module that imports bibtexparser. Reading: the file is split into blocks with
their exact text, spans and lines as bibtexparser v2's splitter splits it, and nothing more
(no middlewares: they are slow, and its writer re-serialises everything). Well-formed files
go through a faster copy of the splitter's rules (:func:`_fast_split`, tested against
bibtexparser on real libraries and generated text); anything unusual, every file with an
error included, goes to bibtexparser itself. Macro resolution and delimiter removal are done
here; LaTeX decoding is left to display time.

Writing: every command that changes the library goes through :func:`apply_changes`, which
splices new text into the original by character span. Inside an entry only the changed
fields are touched (:func:`edit_fields`); other entries, comments, @string and @preamble blocks,
quoting style and blank lines stay byte-for-byte. Files are replaced atomically
(:func:`atomic_write`): a temp file in the same folder, fsync, rename.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cytobib._version import __version__
from cytobib.errors import BibFileError, LibraryStateError, WriteError
from cytobib.model import Entry, Issue, Location, Severity

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Refuse larger files with a clear message: the 25 MB replicated 10k Zotero library loads in
about 2 s, so 64 MB is far beyond any real library but still bounded."""

# Fields that Zotero and JabRef repeat within one entry (one per note); merged, not fatal.
MERGEABLE_FIELDS = {"annote": "\n\n", "note": "\n\n", "comment": "\n\n", "keywords": ", "}

_STANDARD_MONTHS = {m: m for m in
                    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                     "nov", "dec")}  # fmt: skip


@dataclass(frozen=True)
class BibText:
    """A decoded library file and what is needed to write it back the same way."""

    path: str
    text: str
    encoding: str  # "utf-8", "utf-8-sig" (BOM) or "cp1252" (legacy latin-1 family)
    newline: str  # "\n" or "\r\n", the dominant style, used for inserted text
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class ParsedBib:
    """What the parser found: entries in file order, macros, and problems as issues."""

    source: BibText
    entries: tuple[Entry, ...]
    strings: Mapping[str, str]
    issues: tuple[Issue, ...] = field(default=())


def read_text(
    path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES, shown: str | None = None
) -> BibText:
    """Read a .bib file: UTF-8 (BOM or not), CRLF, or legacy latin-1 with a warning.

    ``shown`` is the name messages use for the file (default: ``path`` as given).
    """
    shown = shown or str(path)
    return decode_bytes(_read_bytes(Path(path), max_bytes, shown), shown)


def _read_bytes(p: Path, max_bytes: int, shown: str) -> bytes:
    if not p.exists():
        raise BibFileError(
            f"{shown} does not exist.",
            hint="Run `cytobib init` to create a library here, or pass --bib PATH.",
        )
    if p.is_dir():
        raise BibFileError(f"{shown} is a folder, not a BibTeX file.", hint="Pass --bib PATH.")
    size = p.stat().st_size
    if size > max_bytes:
        # MB here are MiB, the unit of `max_bib_mb`, so the limit reads as configured.
        raise BibFileError(
            f"{shown} is {size / 2**20:.1f} MB, more than the {max_bytes / 2**20:g} MB limit "
            "(`max_bib_mb`, 64 unless cytobib.toml sets it).",
            hint="If this really is your library, raise `max_bib_mb` in cytobib.toml; otherwise "
            "check that the path points at the .bib file.",
        )
    return p.read_bytes()


def decode_bytes(data: bytes, shown: str) -> BibText:
    issues: list[Issue] = []
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise BibFileError(
            f"{shown}:{line}: the file contains NUL bytes; it looks binary, not BibTeX.",
            hint="Check the path, or re-export the library from your reference manager.",
        )
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        else:
            text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        text, encoding = _legacy_decode(data, exc, shown)
        issues.append(
            Issue(
                Severity.WARNING,
                "legacy-encoding",
                "The file is not UTF-8; it was read as Windows-1252 (latin-1). cytobib writes "
                "changes back in the same encoding.",
                location=Location(shown, data[: exc.start].count(b"\n") + 1),
                hint="Save library.bib as UTF-8 (e.g. `iconv -f cp1252 -t utf-8`) so that Greek "
                "letters and other scripts can be stored.",
            )
        )
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"
    return BibText(shown, text, encoding, newline, tuple(issues))


def _legacy_decode(data: bytes, exc: UnicodeDecodeError, shown: str) -> tuple[str, str]:
    """Accept a file as cp1252 only if it holds no valid multi-byte UTF-8 at all.

    A file that is mostly UTF-8 with one broken byte is corrupt, and reading it as latin-1
    would turn every "é" into "Ã©": that is an error, not a legacy file.
    """
    line = data[: exc.start].count(b"\n") + 1
    bad = data[exc.start : exc.start + 1].hex()
    has_utf8 = re.search(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}", data) is not None
    if not has_utf8:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    raise BibFileError(
        f"{shown}:{line}: invalid UTF-8 (byte 0x{bad}); the file mixes encodings or is damaged.",
        hint="Open the file in an editor that shows encoding errors, fix that line, and save "
        "as UTF-8.",
    )


# --- parsing -----------------------------------------------------------------------------------

# Both splitters produce the same light blocks, in file order, with character spans:
#   ("string", start, end, line, key, raw value)
#   ("entry", start, end, line, type, key, [(field name, raw value, where), ...])
#   ("failed", start, end, line, bibtexparser's failed block)
# Lines are 1-based. A field's ``where`` is turned into its line only when an issue needs it
# (the fast splitter gives the offset of its `=`, bibtexparser the line). Comments and
# @preamble produce nothing: the splice writer keeps them.
_Field = tuple[str, str, int]
_Block = tuple[Any, ...]

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


def _fast_split(text: str) -> list[_Block]:
    """bibtexparser's splitter, for well-formed `{`-delimited files, several times faster.

    It makes the same decisions from the same marks, but jumps over the inside of a value with
    one regex search per brace instead of stepping through every comma, quote and newline.
    Anything it does not handle exactly like bibtexparser (a parse error, a `(` block, an
    `@type{` at a line start inside a value) raises :class:`_Unusual`, and the caller hands
    the whole file to bibtexparser. tests/test_fast_split.py checks both agree.
    """
    blocks: list[_Block] = []
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
            fields: list[_Field] = []
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


def _fast_fields(text: str, pos: int) -> tuple[list[_Field], int]:
    fields: list[_Field] = []
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


def _slow_split(text: str) -> list[_Block]:
    """bibtexparser's own splitter, for files the fast one leaves alone (and as its oracle)."""
    from bibtexparser import model as bm
    from bibtexparser.entrypoint import parse_string

    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    library = parse_string(text, parse_stack=[])
    blocks: list[_Block] = []
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


def split_blocks(text: str) -> tuple[list[_Block], Callable[[int, int, int], int]]:
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


def parse(source: BibText) -> ParsedBib:
    """Split the text into blocks and build entries and issues."""
    text = source.text
    path = source.path
    issues: list[Issue] = list(source.issues)
    strings: dict[str, str] = dict(_STANDARD_MONTHS)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    blocks, field_line = split_blocks(text)
    for block in blocks:
        kind, start, end, line = block[:4]
        if kind == "string":
            value, missing = resolve_value(block[5], strings)
            strings[block[4].lower()] = value
            for name in missing:
                issues.append(_undefined_macro(path, line, None, name))
            continue
        if kind == "failed":
            issues.append(_parse_failure(block[4], path, line))
            continue
        entry, extra = _make_entry(
            block[5],
            block[4],
            block[6],
            strings,
            path,
            (start, end),
            text[start:end],
            line,
            field_line,
        )
        issues.extend(extra)
        if not entry.key:
            issues.append(
                Issue(
                    Severity.ERROR,
                    "missing-key",
                    f"An @{entry.type} entry has no citation key.",
                    location=Location(path, line),
                    hint="Add a key after the opening brace, e.g. `@article{smith2020il2,`.",
                )
            )
            continue
        folded = entry.key.lower()
        if folded in seen:
            issues.append(
                Issue(
                    Severity.ERROR,
                    "duplicate-key",
                    f"Citation key '{entry.key}' is used again (first at line {seen[folded]}); "
                    "the second entry is ignored.",
                    key=entry.key,
                    location=Location(path, line),
                    hint="Rename one of the two entries (keys are compared ignoring case, since "
                    "annotation file names are).",
                )
            )
            continue
        seen[folded] = line
        entries.append(entry)
    return ParsedBib(source, tuple(entries), strings, tuple(issues))


def _undefined_macro(path: str, line: int, key: str | None, name: str) -> Issue:
    return Issue(
        Severity.WARNING,
        "undefined-macro",
        f"@string macro '{name}' is used but never defined; its name is used as the text.",
        key=key,
        location=Location(path, line),
        hint=f'Define it (`@string{{{name} = "..."}}`) or put the value in braces.',
    )


def _parse_failure(block: object, path: str, line: int) -> Issue:
    raw = getattr(block, "raw", "") or ""
    error = getattr(block, "error", None)
    match = re.match(r"\s*@\s*(\w+)\s*[{(]\s*([^,\s]*)", raw)
    key = match.group(2) if match and match.group(2) else None
    reason = getattr(error, "abort_reason", None) or (str(error) if error else "")
    reason = " ".join(reason.split())
    reason = re.sub(
        r"^Parsing of `@\w+` block \(line \d+\) aborted on line (\d+) due to "
        r"syntactical error in bibtex: ?",
        r"at line \1: ",
        reason,
    )
    reason = reason.strip() or "the block could not be parsed"
    hint = (
        "Check the braces and quotes of this entry: every `{` needs a `}` and fields are "
        "separated by commas."
    )
    if "Unexpected block start" in reason or "still looking" in reason:
        hint = "An entry is not closed before the next one starts: add the missing `}`."
        if 'closing `"`' in reason:
            hint = 'A quoted value is not closed before the next entry starts: add the missing `"`.'
    return Issue(
        Severity.ERROR,
        "parse-error",
        f"This block cannot be read as BibTeX ({reason.strip()}); it is skipped and kept in the "
        "file unchanged.",
        key=key,
        location=Location(path, line),
        hint=hint,
    )


def _make_entry(
    key: str,
    entry_type: str,
    fields: Sequence[_Field],
    strings: Mapping[str, str],
    path: str,
    span: tuple[int, int],
    raw: str,
    line: int,
    field_line: Callable[[int, int, int], int],
) -> tuple[Entry, list[Issue]]:
    issues: list[Issue] = []
    key = key.strip()
    entry_type = entry_type.lower()
    values: dict[str, str] = {}
    for fname, raw_value, where in fields:
        name = fname.lower()
        # Fast path for the usual single braced or quoted token (no `#`, no macro).
        if (
            len(raw_value) >= 2
            and raw_value[0] in '{"'
            and raw_value[-1] == ("}" if raw_value[0] == "{" else '"')
            and "#" not in raw_value
        ):
            value = raw_value[1:-1]
        else:
            value, missing = resolve_value(str(raw_value), strings)
            for macro in missing:
                issues.append(_undefined_macro(path, field_line(where, span[0], line), key, macro))
        if name in values:
            if name in MERGEABLE_FIELDS:
                if value.strip() and value.strip() != values[name].strip():
                    values[name] = values[name] + MERGEABLE_FIELDS[name] + value
                continue
            issues.append(
                Issue(
                    Severity.ERROR,
                    "duplicate-field",
                    f"Field '{name}' appears twice in '{key}'; the first value is used, as "
                    "BibTeX does.",
                    key=key or None,
                    location=Location(path, field_line(where, span[0], line)),
                    hint=f"Delete one of the two '{name}' lines.",
                )
            )
            continue
        values[name] = value
    return Entry(key=key, type=entry_type, fields=values, line=line, raw=raw, span=span), issues


def resolve_value(raw: str, strings: Mapping[str, str]) -> tuple[str, list[str]]:
    """A raw field value -> its text (delimiters removed, macros expanded, ``#`` joined).

    Returns the text and the names of undefined macros (their names stand in for the text).
    """
    raw = raw.strip()
    if not raw:
        return "", []
    if "#" not in raw:  # one token: the common case, no scanning needed
        return _resolve_token(raw, strings)
    parts: list[str] = []
    missing: list[str] = []
    for token in _split_concatenation(raw):
        text, miss = _resolve_token(token, strings)
        parts.append(text)
        missing.extend(miss)
    return "".join(parts), missing


def _resolve_token(token: str, strings: Mapping[str, str]) -> tuple[str, list[str]]:
    token = token.strip()
    if len(token) >= 2 and (
        (token[0] == "{" and token[-1] == "}") or (token[0] == '"' and token[-1] == '"')
    ):
        return token[1:-1], []
    if token.isdigit():
        return token, []
    value = strings.get(token.lower())
    if value is None:
        return token, [token]
    return value, []


def _split_concatenation(raw: str) -> list[str]:
    tokens: list[str] = []
    depth = 0
    in_quotes = False
    start = 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            in_quotes = not in_quotes
        elif ch == "#" and depth == 0 and not in_quotes:
            tokens.append(raw[start:i])
            start = i + 1
    tokens.append(raw[start:])
    return [t for t in tokens if t.strip()]


# --- the parse cache ---------------------------------------------------------------------------

_CACHE_FORMAT = 3


def load(
    path: str | os.PathLike[str],
    *,
    cache_dir: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    checker: Callable[[ParsedBib], list[Issue]] | None = None,
    shown: str | None = None,
) -> tuple[ParsedBib, list[Issue]]:
    """Read and parse a .bib file (and run ``checker`` on it), reusing a cached result when
    the bytes are unchanged.

    The cache is keyed by a hash of the file's bytes, cytobib's version, the path and the
    year (the year check depends on it), so an edit or an upgrade always reparses. It stores
    plain tuples, not the file text or each entry's raw text: both are rebuilt from the bytes
    just read, which keeps a warm load of 10k entries to a fraction of a second. A cache that
    cannot be read is ignored.
    """
    import datetime as dt

    p = Path(path)
    shown = shown or str(path)
    data = _read_bytes(p, max_bytes, shown)
    source = decode_bytes(data, shown)
    if cache_dir is None:
        parsed = parse(source)
        return parsed, checker(parsed) if checker else []
    digest = hashlib.blake2b(data, digest_size=20)
    for part in (__version__, str(p.resolve()), source.path, str(dt.date.today().year),
                 str(_CACHE_FORMAT)):  # fmt: skip
        digest.update(part.encode())
    cached = cache_dir / "parse" / f"{digest.hexdigest()}.pickle"
    if cached.exists():
        with contextlib.suppress(Exception):
            with cached.open("rb") as fh:
                payload = pickle.load(fh)  # noqa: S301 - our own cache file, keyed by content
            return _from_payload(source, payload)
    parsed = parse(source)
    found = checker(parsed) if checker else []
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        payload = _to_payload(parsed, found)
        atomic_write_bytes(cached, pickle.dumps(payload, protocol=5), durable=False)
    return parsed, found


def _to_payload(parsed: ParsedBib, found: list[Issue]) -> tuple[Any, ...]:
    entries = [(e.key, e.type, dict(e.fields), e.line, e.span) for e in parsed.entries]
    own = len(parsed.source.issues)  # decoding issues are recomputed from the bytes
    issues = [issue_to_row(i) for i in parsed.issues[own:]]
    return (_CACHE_FORMAT, entries, dict(parsed.strings), issues, [issue_to_row(i) for i in found])


# Issues travel in caches as plain tuples: unpickling 30k frozen dataclasses took longer than
# everything else in a warm load.
def issue_to_row(i: Issue) -> tuple[Any, ...]:
    loc = i.location
    where = (loc.path, loc.line, loc.column) if loc else None
    return (int(i.severity), i.code, i.message, i.key, where, i.hint)


def issue_from_row(row: tuple[Any, ...]) -> Issue:
    severity, code, message, key, where, hint = row
    return Issue(Severity(severity), code, message, key, Location(*where) if where else None, hint)


def _from_payload(source: BibText, payload: tuple[Any, ...]) -> tuple[ParsedBib, list[Issue]]:
    version, rows, strings, issues, found = payload
    if version != _CACHE_FORMAT:
        raise ValueError("old cache format")
    text = source.text
    entries = tuple(
        Entry(key=k, type=t, fields=f, line=line, raw=text[s:e], span=(s, e))
        for k, t, f, line, (s, e) in rows
    )
    parsed = ParsedBib(source, entries, strings, (*source.issues, *map(issue_from_row, issues)))
    return parsed, [issue_from_row(row) for row in found]


# --- editing -----------------------------------------------------------------------------------


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
_ENTRY_HEAD = re.compile(r"\s*@\s*\w+\s*([{(])\s*[^,\s]*\s*,", re.DOTALL)


def scan_fields(raw: str) -> EntryLayout:
    """Find field spans in an entry's raw text (the parser does not report offsets)."""
    head = _ENTRY_HEAD.match(raw)
    if not head:
        raise ValueError("not an entry with a key")
    closer = "}" if head.group(1) == "{" else ")"
    i = head.end()
    n = len(raw)
    spans: list[FieldSpan] = []
    while i < n:
        while i < n and raw[i] in " \t\r\n,":
            i += 1
        if i >= n or raw[i] == closer:
            break
        m = _FIELD_NAME.match(raw, i)
        if not m:
            raise ValueError(f"unexpected character {raw[i]!r} at offset {i}")
        name = m.group().lower()
        start = i
        i = m.end()
        while i < n and raw[i] in " \t\r\n":
            i += 1
        if i >= n or raw[i] != "=":
            raise ValueError(f"expected '=' after field {name!r}")
        i += 1
        while i < n and raw[i] in " \t\r\n":
            i += 1
        value_start = i
        i = _scan_value(raw, i, closer)
        value_end = i
        while value_end > value_start and raw[value_end - 1] in " \t\r\n":
            value_end -= 1
        j = i
        while j < n and raw[j] in " \t\r\n":
            j += 1
        end = j + 1 if j < n and raw[j] == "," else value_end
        spans.append(FieldSpan(name, start, value_start, value_end, end))
        i = end if end > value_end else j
    close = raw.rfind(closer)
    return EntryLayout(tuple(spans), close)


def _scan_value(raw: str, i: int, closer: str) -> int:
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == "{":
            depth = 0
            while i < n:
                if raw[i] == "\\":
                    i += 2
                    continue
                if raw[i] == "{":
                    depth += 1
                elif raw[i] == "}":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                i += 1
        elif ch == '"':
            i += 1
            depth = 0
            while i < n and not (raw[i] == '"' and depth == 0):
                if raw[i] == "{":
                    depth += 1
                elif raw[i] == "}":
                    depth -= 1
                i += 1
            i += 1
        else:
            while i < n and raw[i] not in ",#" + closer and raw[i] not in " \t\r\n":
                i += 1
        while i < n and raw[i] in " \t\r\n":
            i += 1
        if i < n and raw[i] == "#":
            i += 1
            while i < n and raw[i] in " \t\r\n":
                i += 1
            continue
        return i
    return i


def format_value(value: str) -> str:
    """Wrap a field value for writing: braces, or bare for plain numbers and month macros."""
    if value.isdigit() or value in _STANDARD_MONTHS:
        return value
    return "{" + value + "}"


def edit_fields(raw: str, updates: Mapping[str, str | None], newline: str = "\n") -> str:
    """Change, add (value) or remove (None) fields, leaving the rest of the entry's text as is.

    New fields follow the layout of the entry's last field (indentation, spacing around ``=``).
    """
    layout = scan_fields(raw)
    wanted = {n.lower(): v for n, v in updates.items()}
    present = {f.name for f in layout.fields}
    pieces: list[tuple[int, int, str]] = []
    done: set[str] = set()
    remaining: list[FieldSpan] = []
    for span in layout.fields:
        if span.name not in wanted:
            remaining.append(span)
            continue
        value = wanted[span.name]
        if value is None or span.name in done:  # removal, or a repeated field being replaced
            start = raw.rfind("\n", 0, span.start) + 1
            own_line = not raw[start : span.start].strip()
            if not own_line:
                start = span.start
            end = span.end
            if own_line and raw.startswith("\r\n", end):
                end += 2
            elif own_line and raw.startswith("\n", end):
                end += 1
            pieces.append((start, end, ""))
            continue
        pieces.append((span.value_start, span.value_end, format_value(value)))
        done.add(span.name)
        remaining.append(span)
    additions = [(n, v) for n, v in updates.items() if v is not None and n.lower() not in present]
    if additions:
        if remaining:
            last = remaining[-1]
            line_start = raw.rfind("\n", 0, last.start) + 1
            indent = raw[line_start : last.start]
            if indent.strip():
                indent = "  "
            gap = raw[last.start : last.value_start]
            eq = gap[len(gap.rstrip(" \t=")) :] if "=" in gap else " = "
            eq = eq if eq.strip() == "=" else " = "
            text = "".join(f"{newline}{indent}{n}{eq}{format_value(v)}," for n, v in additions)
            if last.end > last.value_end:  # the last field already has its comma
                pieces.append((last.end, last.end, text))
            else:
                pieces.append((last.value_end, last.value_end, "," + text[:-1]))
        else:
            head = _ENTRY_HEAD.match(raw)
            assert head is not None
            text = "".join(f"{newline}  {n} = {format_value(v)}," for n, v in additions)
            pieces.append((head.end(), head.end(), text + newline))
    out = raw
    for start, end, text in sorted(pieces, key=lambda p: p[0], reverse=True):
        out = out[:start] + text + out[end:]
    return out


def render_entry(
    entry_type: str, key: str, fields: Sequence[tuple[str, str]], newline: str = "\n"
) -> str:
    """A new entry in cytobib's layout: two-space indent, ``name = {value},`` per line."""
    width = max((len(n) for n, _ in fields), default=0)
    lines = [f"@{entry_type}{{{key},"]
    lines += [f"  {n.ljust(width)} = {format_value(v)}," for n, v in fields]
    lines.append("}")
    return newline.join(lines)


@dataclass(frozen=True)
class Change:
    """Replace (text) or delete (None) the entry at ``span``; span None appends ``text``."""

    span: tuple[int, int] | None
    text: str | None


def apply_changes(source: BibText, changes: Iterable[Change]) -> str:
    """Splice changes into the original text; everything else stays byte-for-byte."""
    text = source.text
    changes = list(changes)  # read twice below
    replacements = sorted((c for c in changes if c.span is not None), key=lambda c: c.span or (0,))
    appends = [c.text for c in changes if c.span is None and c.text]
    out: list[str] = []
    pos = 0
    for change in replacements:
        assert change.span is not None
        start, end = change.span
        if start < pos:
            raise ValueError("overlapping changes")
        out.append(text[pos:start])
        if change.text is None:
            # Deleting an entry also takes the blank line after it.
            while end < len(text) and text[end] in " \t":
                end += 1
            if text.startswith(source.newline, end):
                end += len(source.newline)
        else:
            out.append(change.text)
        pos = end
    out.append(text[pos:])
    result = "".join(out)
    if appends:
        nl = source.newline
        if result and not result.endswith("\n"):
            result += nl
        if result.strip():
            result += nl
        result += (nl + nl).join(a for a in appends if a) + nl
    return result


def write_text(source: BibText, text: str) -> None:
    """Write the library back atomically in its own encoding, unless the file on disk is no
    longer the ``source`` the change was made from (edited meanwhile, e.g. while a command
    waited on Crossref): then nothing is written and :class:`LibraryStateError` says why."""
    path = Path(source.path)
    try:
        current = decode_bytes(path.read_bytes(), source.path).text
    except (OSError, BibFileError):
        current = None
    if current != source.text:
        raise LibraryStateError(
            f"{source.path} changed on disk while this command ran; nothing was written.",
            hint="Run the command again.",
        )
    try:
        data = text.encode(source.encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise WriteError(
            f"{source.path} is stored as {source.encoding}, which cannot hold {bad!r}; "
            "nothing was written.",
            hint="Convert the file to UTF-8 first (e.g. `iconv -f cp1252 -t utf-8`).",
        ) from None
    atomic_write_bytes(path, data)


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never half.

    A temp file in the same folder is written, fsynced and renamed over the target; on any
    failure (including Ctrl-C) the temp file is removed and the target is untouched.
    ``durable=False`` skips the fsyncs, for caches that may be lost but never half-written.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _new_file_mode()
    fd, tmp = _mkstemp(path, folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from exc
        raise
    if not durable:
        return
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def create_exclusive(path: Path, data: bytes) -> bool:
    """Write a new file atomically, never replacing an existing one; False if it exists."""
    folder = path.parent
    fd, tmp = _mkstemp(path, folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())
        try:
            os.link(tmp, path)  # fails if the target exists: no overwrite race
        except FileExistsError:
            return False
        return True
    except FileExistsError:
        raise
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _mkstemp(path: Path, folder: Path) -> tuple[int, str]:
    """A temp file beside ``path``; a folder that is missing or read-only is a WriteError."""
    try:
        return tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _write_error(path, exc) from exc


def _write_error(path: Path, exc: OSError) -> WriteError:
    return WriteError(
        f"Could not write {path}: {exc.strerror or exc}; the previous file is unchanged.",
        hint="Check that the folder exists, its permissions and free disk space.",
    )


@functools.lru_cache(maxsize=1)
def _new_file_mode() -> int:
    """rw for whoever the umask allows, as open() would give (mkstemp's files are 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
