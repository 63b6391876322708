"""Writing library.bib without losing a byte the user wrote.

Every command that changes the library goes through :func:`apply_changes`, which splices new
text into the original by character span. Inside an entry only the changed fields are touched
(:func:`edit_fields`); other entries, comments, @string and @preamble blocks, quoting style and
blank lines stay byte-for-byte. Files are replaced atomically (:func:`atomic_write_bytes`): a
temp file in the same folder, fsync, rename.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cytobib.bibfile.read import BibText, decode_bytes
from cytobib.bibfile.scan import ENTRY_HEAD, STANDARD_MONTHS, FieldSpan, scan_fields
from cytobib.errors import BibFileError, LibraryStateError, WriteError


def format_value(value: str) -> str:
    """Wrap a field value for writing: braces, or bare for plain numbers and month macros."""
    if value.isdigit() or value in STANDARD_MONTHS:
        return value
    return "{" + value + "}"


_Piece = tuple[int, int, str]  # replace raw[start:end] by text


def edit_fields(raw: str, updates: Mapping[str, str | None], newline: str = "\n") -> str:
    """Change, add (value) or remove (None) fields, leaving the rest of the entry's text as is.

    New fields follow the layout of the entry's last field (indentation, spacing around ``=``).
    """
    layout = scan_fields(raw)
    pieces, remaining = _edits(raw, layout.fields, {n.lower(): v for n, v in updates.items()})
    present = {f.name for f in layout.fields}
    additions = [(n, v) for n, v in updates.items() if v is not None and n.lower() not in present]
    if additions:
        pieces.append(_addition(raw, remaining[-1] if remaining else None, additions, newline))
    out = raw
    for start, end, text in sorted(pieces, key=lambda p: p[0], reverse=True):
        out = out[:start] + text + out[end:]
    return out


def _edits(
    raw: str, spans: Sequence[FieldSpan], wanted: Mapping[str, str | None]
) -> tuple[list[_Piece], list[FieldSpan]]:
    """The pieces that change or remove existing fields, and the fields that stay."""
    pieces: list[_Piece] = []
    done: set[str] = set()
    remaining: list[FieldSpan] = []
    for span in spans:
        if span.name not in wanted:
            remaining.append(span)
            continue
        value = wanted[span.name]
        if value is None or span.name in done:  # removal, or a repeated field being replaced
            pieces.append(_removal(raw, span))
            continue
        pieces.append((span.value_start, span.value_end, format_value(value)))
        done.add(span.name)
        remaining.append(span)
    return pieces, remaining


def _removal(raw: str, span: FieldSpan) -> _Piece:
    """Remove a field, with its line when it has one of its own."""
    start = raw.rfind("\n", 0, span.start) + 1
    own_line = not raw[start : span.start].strip()
    if not own_line:
        return (span.start, span.end, "")
    end = span.end
    if raw.startswith("\r\n", end):
        end += 2
    elif raw.startswith("\n", end):
        end += 1
    return (start, end, "")


def _addition(
    raw: str, last: FieldSpan | None, additions: Sequence[tuple[str, str]], newline: str
) -> _Piece:
    """New fields after the last remaining one, in its layout (or after the key)."""
    if last is None:
        head = ENTRY_HEAD.match(raw)
        assert head is not None
        text = "".join(f"{newline}  {n} = {format_value(v)}," for n, v in additions)
        return (head.end(), head.end(), text + newline)
    line_start = raw.rfind("\n", 0, last.start) + 1
    indent = raw[line_start : last.start]
    if indent.strip():
        indent = "  "
    gap = raw[last.start : last.value_start]
    eq = gap[len(gap.rstrip(" \t=")) :] if "=" in gap else " = "
    eq = eq if eq.strip() == "=" else " = "
    text = "".join(f"{newline}{indent}{n}{eq}{format_value(v)}," for n, v in additions)
    if last.end > last.value_end:  # the last field already has its comma
        return (last.end, last.end, text)
    return (last.value_end, last.value_end, "," + text[:-1])


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
    changes = list(changes)  # read twice below
    replacements = sorted((c for c in changes if c.span is not None), key=lambda c: c.span or (0,))
    appends = [c.text for c in changes if c.span is None and c.text]
    return _appended(_replaced(source, replacements), appends, source.newline)


def _replaced(source: BibText, replacements: Sequence[Change]) -> str:
    """The text with entries replaced or deleted (changes sorted by span)."""
    text = source.text
    out: list[str] = []
    pos = 0
    for change in replacements:
        assert change.span is not None
        start, end = change.span
        if start < pos:
            raise ValueError("overlapping changes")
        out.append(text[pos:start])
        if change.text is None:
            end = _after_deleted(text, end, source.newline)
        else:
            out.append(change.text)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _after_deleted(text: str, end: int, newline: str) -> int:
    """Deleting an entry also takes the rest of its last line."""
    while end < len(text) and text[end] in " \t":
        end += 1
    return end + len(newline) if text.startswith(newline, end) else end


def _appended(result: str, appends: Sequence[str | None], nl: str) -> str:
    """New entries at the end, one blank line apart from what is there."""
    if not appends:
        return result
    if result and not result.endswith("\n"):
        result += nl
    if result.strip():
        result += nl
    return result + (nl + nl).join(a for a in appends if a) + nl


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
