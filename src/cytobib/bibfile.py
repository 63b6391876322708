"""Reading and writing library.bib without losing a byte the user wrote.

The only module that imports bibtexparser. Reading: bibtexparser v2 splits the file into
blocks with their exact ``raw`` text and start line, and nothing more (an empty parse stack:
its middlewares are slow and its writer re-serialises everything). Macro resolution and
delimiter removal are done here; LaTeX decoding is left to display time.

Writing: every command that changes the library goes through :func:`apply_changes`, which
splices new text into the original by character span. Inside an entry only the changed
fields are touched (:func:`edit_fields`); other entries, comments, @string and @preamble blocks,
quoting style and blank lines stay byte-for-byte. Files are replaced atomically
(:func:`atomic_write`): a temp file in the same folder, fsync, rename.
"""

from __future__ import annotations

import bisect
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
from cytobib.errors import BibFileError, WriteError
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


def read_text(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> BibText:
    """Read a .bib file: UTF-8 (BOM or not), CRLF, or legacy latin-1 with a warning."""
    p = Path(path)
    shown = str(path)
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
    data = p.read_bytes()
    return decode_bytes(data, shown)


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
    """Split the text into blocks with bibtexparser and build entries and issues."""
    from bibtexparser import model as bm
    from bibtexparser.entrypoint import parse_string

    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    text = source.text
    path = source.path
    library = parse_string(text, parse_stack=[])

    issues: list[Issue] = list(source.issues)
    strings: dict[str, str] = dict(_STANDARD_MONTHS)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    cursor = 0

    def span_of(block: bm.Block) -> tuple[int, int]:
        # Blocks come in file order and each raw is a verbatim slice of the text, so the next
        # occurrence after the previous block is this block.
        nonlocal cursor
        raw = block.raw or ""
        at = text.find(raw, cursor)
        if at < 0:  # cannot happen for blocks the splitter cut out of this text
            starts = _line_starts(text)
            at = starts[min(block.start_line or 0, len(starts) - 1)]
            return (at, at)
        cursor = at + len(raw)
        return (at, at + len(raw))

    for block in library.blocks:
        start, end = span_of(block)
        line = (block.start_line or 0) + 1
        if isinstance(block, bm.String):
            value, missing = resolve_value(str(block.value), strings)
            strings[block.key.lower()] = value
            for name in missing:
                issues.append(_undefined_macro(path, line, None, name))
            continue
        if isinstance(block, bm.DuplicateFieldKeyBlock):
            inner = block.ignore_error_block
            assert isinstance(inner, bm.Entry)
            entry, extra = _make_entry(inner, strings, path, (start, end), block.raw or "", line)
            issues.extend(extra)
        elif isinstance(block, bm.DuplicateBlockKeyBlock):
            continue  # the splitter never makes these without middlewares; see below
        elif isinstance(block, bm.ParsingFailedBlock):
            issues.append(_parse_failure(block, path, line))
            continue
        elif isinstance(block, bm.Entry):
            entry, extra = _make_entry(block, strings, path, (start, end), block.raw or "", line)
            issues.extend(extra)
        else:
            continue  # comments, @preamble: kept verbatim by the splice writer
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


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


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
    block: object,
    strings: Mapping[str, str],
    path: str,
    span: tuple[int, int],
    raw: str,
    line: int,
) -> tuple[Entry, list[Issue]]:
    issues: list[Issue] = []
    key = str(getattr(block, "key", "") or "").strip()
    entry_type = str(getattr(block, "entry_type", "misc")).lower()
    values: dict[str, str] = {}
    for fld in getattr(block, "fields", ()):
        name = fld.key.lower()
        raw_value: str = fld.value
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
                fline = (fld.start_line or 0) + 1 if fld.start_line is not None else line
                issues.append(_undefined_macro(path, fline, key, macro))
        if name in values:
            fline = (fld.start_line or 0) + 1 if fld.start_line is not None else line
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
                    location=Location(path, fline),
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

_CACHE_FORMAT = 2


def load(
    path: str | os.PathLike[str],
    *,
    cache_dir: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    checker: Callable[[ParsedBib], list[Issue]] | None = None,
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
    source = read_text(p, max_bytes=max_bytes)
    if cache_dir is None:
        parsed = parse(source)
        return parsed, checker(parsed) if checker else []
    digest = hashlib.blake2b(source.text.encode("utf-8", "surrogatepass"), digest_size=20)
    for part in (__version__, str(p.resolve()), str(dt.date.today().year), str(_CACHE_FORMAT)):
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
    return (_CACHE_FORMAT, entries, dict(parsed.strings), parsed.issues[own:], found)


def _from_payload(source: BibText, payload: tuple[Any, ...]) -> tuple[ParsedBib, list[Issue]]:
    version, rows, strings, issues, found = payload
    if version != _CACHE_FORMAT:
        raise ValueError("old cache format")
    text = source.text
    entries = tuple(
        Entry(key=k, type=t, fields=f, line=line, raw=text[s:e], span=(s, e))
        for k, t, f, line, (s, e) in rows
    )
    parsed = ParsedBib(source, entries, strings, (*source.issues, *issues))
    return parsed, list(found)


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
        m = re.compile(r"[^\s=,{}()\"#]+").match(raw, i)
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
    """Write the library back atomically in its own encoding."""
    try:
        data = text.encode(source.encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise WriteError(
            f"{source.path} is stored as {source.encoding}, which cannot hold {bad!r}; "
            "nothing was written.",
            hint="Convert the file to UTF-8 first (e.g. `iconv -f cp1252 -t utf-8`).",
        ) from None
    atomic_write_bytes(Path(source.path), data)


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


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return bisect.bisect_right(_line_starts(text), offset)
