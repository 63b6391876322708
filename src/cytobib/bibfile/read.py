"""Reading library.bib: decode the bytes, split, resolve macros, build entries and issues.

Macro resolution and delimiter removal are done here; LaTeX decoding is left to display time
(:meth:`cytobib.model.Entry.text`). Problems in the file are :class:`~cytobib.model.Issue`
values; only a file that cannot be read at all raises :class:`~cytobib.errors.BibFileError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cytobib.bibfile.scan import STANDARD_MONTHS, Field, split_blocks
from cytobib.errors import BibFileError
from cytobib.model import Entry, Issue, Location, Severity

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Refuse larger files with a clear message: the 25 MB replicated 10k Zotero library loads in
about 2 s, so 64 MB is far beyond any real library but still bounded."""

# Fields that Zotero and JabRef repeat within one entry (one per note); merged, not fatal.
MERGEABLE_FIELDS = {"annote": "\n\n", "note": "\n\n", "comment": "\n\n", "keywords": ", "}


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
    return decode_bytes(read_bytes(Path(path), max_bytes, shown), shown)


def read_bytes(p: Path, max_bytes: int, shown: str) -> bytes:
    """The file's bytes, unless it is missing, a folder or larger than ``max_bytes``."""
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


def parse(source: BibText) -> ParsedBib:
    """Split the text into blocks and build entries and issues."""
    text = source.text
    path = source.path
    issues: list[Issue] = list(source.issues)
    strings: dict[str, str] = dict(STANDARD_MONTHS)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    blocks, field_line = split_blocks(text)
    for block in blocks:
        kind, start, end, line = block[:4]
        if kind == "string":
            try:
                value, missing = resolve_value(block[5], strings)
            except MacroTooLong:
                value, missing = block[5], []
                issues.append(_too_long(path, line, None, f"@string {block[4]}"))
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
    fields: Sequence[Field],
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
            try:
                value, missing = resolve_value(str(raw_value), strings)
            except MacroTooLong:
                value, missing = str(raw_value), []
                issues.append(_too_long(path, field_line(where, span[0], line), key, f"The {name}"))
            for macro in missing:
                issues.append(_undefined_macro(path, field_line(where, span[0], line), key, macro))
        if name in values:  # rare: merged (notes, keywords) or reported
            if name not in MERGEABLE_FIELDS:
                issues.append(_duplicate_field(name, key, path, field_line(where, span[0], line)))
            elif value.strip() and value.strip() != values[name].strip():
                values[name] = values[name] + MERGEABLE_FIELDS[name] + value
            continue
        values[name] = value
    return Entry.adopt(key, entry_type, values, line, raw, span), issues


def _duplicate_field(name: str, key: str, path: str, line: int) -> Issue:
    return Issue(
        Severity.ERROR,
        "duplicate-field",
        f"Field '{name}' appears twice in '{key}'; the first value is used, as BibTeX does.",
        key=key or None,
        location=Location(path, line),
        hint=f"Delete one of the two '{name}' lines.",
    )


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
    size = 0
    for token in _split_concatenation(raw):
        text, miss = _resolve_token(token, strings)
        size += len(text)
        if size > MAX_EXPANDED_CHARS:  # checked before joining: never built in memory
            raise MacroTooLong(size)
        parts.append(text)
        missing.extend(miss)
    return "".join(parts), missing


MAX_EXPANDED_CHARS = 1024 * 1024
"""A value that @string macros expand past this is a bomb (each macro doubling the last one
reaches gigabytes in 30 steps): it is reported and left unexpanded."""


class MacroTooLong(ValueError):
    """A value's @string expansion would exceed :data:`MAX_EXPANDED_CHARS`."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size:,} characters")
        self.size = size


def _too_long(path: str, line: int, key: str | None, what: str) -> Issue:
    return Issue(
        Severity.ERROR,
        "macro-too-long",
        f"{what} expands through @string macros to more than "
        f"{MAX_EXPANDED_CHARS // 1024:,} KB; it is left unexpanded.",
        key=key,
        location=Location(path, line),
        hint="Check the @string definitions it uses: one that repeats another (a # a) "
        "doubles with every step.",
    )


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


# --- loading -----------------------------------------------------------------------------------


ParseStep = Callable[[BibText], tuple[ParsedBib, list[Issue]]]
"""Parse a decoded file and check it: the step :func:`load` lets a caller wrap."""
Around = Callable[[bytes, BibText, ParseStep], tuple[ParsedBib, list[Issue]]]
"""A wrapper around the parse step (the parse cache): given the file's bytes, its decoded text
and the step, it returns what the step would."""


def load(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    checker: Callable[[ParsedBib], list[Issue]] | None = None,
    shown: str | None = None,
    around: Around | None = None,
) -> tuple[ParsedBib, list[Issue]]:
    """Read, decode and parse a .bib file, and run ``checker`` on it.

    ``around`` wraps the parse-and-check step from outside, as bibtexparser's middleware
    wraps parsing: the parse cache (:func:`cytobib.caching.around_parse`) serves the step's
    result for bytes it has seen.
    """
    shown = shown or str(path)
    data = read_bytes(Path(path), max_bytes, shown)
    source = decode_bytes(data, shown)

    def step(text: BibText) -> tuple[ParsedBib, list[Issue]]:
        parsed = parse(text)
        return parsed, checker(parsed) if checker else []

    return step(source) if around is None else around(data, source, step)
