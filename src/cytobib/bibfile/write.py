"""Writing library.bib without losing a byte the user wrote.

Every command that changes the library goes through :func:`apply_changes`, which splices new
text into the original by character span. Inside an entry only the changed fields are touched
(:func:`edit_fields`); other entries, comments, @string and @preamble blocks, quoting style and
blank lines stay byte-for-byte. Every value written passes :mod:`cytobib.bibfile.door` first,
so nothing from outside can change the file's structure.

Commands change library.bib through :func:`update`: under the project's write lock it reads
the file as it is *now*, applies the planned :class:`Edits` to it (re-applying them to a file
that changed since the plan was made, as far as they still fit), checks the result and
replaces the file atomically (:func:`atomic_write_bytes`: a temp file beside the target, fsync,
rename; through a symlink to its target, keeping mode, owner and group).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import glob
import os
import re
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cytobib.bibfile import door
from cytobib.bibfile.read import BibText, ParsedBib, decode_bytes, parse
from cytobib.bibfile.scan import ENTRY_HEAD, STANDARD_MONTHS, FieldSpan, scan_fields
from cytobib.errors import BibFileError, LibraryStateError, WriteError
from cytobib.model import Entry


def format_value(value: str) -> str:
    """Wrap a field value for writing: braces, or bare for plain numbers and month macros.

    The value must already have passed the door (:func:`_field` does both)."""
    if value.isdigit() or value in STANDARD_MONTHS:
        return value
    return "{" + value + "}"


def _field(value: str, key: str, name: str) -> str:
    """A value as written into library.bib: through the door, then wrapped."""
    door.check_name(name, key)
    return format_value(door.field_value(value, key=key, field=name))


_HEAD_KEY = re.compile(r"\s*@\s*\w+\s*[{(]\s*([^,\s]*)")


def _key_of(raw: str) -> str:
    """The citation key in an entry's head, for messages."""
    head = _HEAD_KEY.match(raw)
    return head.group(1) if head else "?"


_Piece = tuple[int, int, str]  # replace raw[start:end] by text


def edit_fields(raw: str, updates: Mapping[str, str | None], newline: str = "\n") -> str:
    """Change, add (value) or remove (None) fields, leaving the rest of the entry's text as is.

    New fields follow the layout of the entry's last field (indentation, spacing around ``=``).
    """
    layout = scan_fields(raw)
    key = _key_of(raw)
    wanted = {n.lower(): (None if v is None else _field(v, key, n)) for n, v in updates.items()}
    pieces, remaining = _edits(raw, layout.fields, wanted)
    present = {f.name for f in layout.fields}
    additions = [(n, wanted[n.lower()]) for n in updates if n.lower() not in present]
    written = [(n, v) for n, v in additions if v is not None]
    if written:
        pieces.append(_addition(raw, remaining[-1] if remaining else None, written, newline))
    out = raw
    for start, end, text in sorted(pieces, key=lambda p: p[0], reverse=True):
        out = out[:start] + text + out[end:]
    return out


def _edits(
    raw: str, spans: Sequence[FieldSpan], wanted: Mapping[str, str | None]
) -> tuple[list[_Piece], list[FieldSpan]]:
    """The pieces that change or remove existing fields, and the fields that stay
    (``wanted`` values are already written forms)."""
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
        pieces.append((span.value_start, span.value_end, value))
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
    """New fields (values in written form) after the last remaining one, in its layout (or
    after the key)."""
    if last is None:
        head = ENTRY_HEAD.match(raw)
        assert head is not None
        text = "".join(f"{newline}  {n} = {v}," for n, v in additions)
        return (head.end(), head.end(), text + newline)
    line_start = raw.rfind("\n", 0, last.start) + 1
    indent = raw[line_start : last.start]
    if indent.strip():
        indent = "  "
    gap = raw[last.start : last.value_start]
    eq = gap[len(gap.rstrip(" \t=")) :] if "=" in gap else " = "
    eq = eq if eq.strip() == "=" else " = "
    text = "".join(f"{newline}{indent}{n}{eq}{v}," for n, v in additions)
    if last.end > last.value_end:  # the last field already has its comma
        return (last.end, last.end, text)
    return (last.value_end, last.value_end, "," + text[:-1])


def render_entry(
    entry_type: str,
    key: str,
    fields: Sequence[tuple[str, str]],
    newline: str = "\n",
    *,
    checked: bool = True,
) -> str:
    """A new entry in cytobib's layout: two-space indent, ``name = {value},`` per line.

    Every value passes the door (:mod:`~cytobib.bibfile.door`); ``checked=False`` is only
    for text that is never written to library.bib (a pybtex style's input), whose values are
    the library's own."""
    if checked:
        door.check_name(entry_type, key)
        fields = door.entry_values(key, fields)
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


@dataclass(frozen=True)
class FieldEdit:
    """Set (value) or remove (None) fields of the entry ``key``; ``before`` holds each field's
    value when the edit was planned (None: absent), so that a field changed since is left."""

    key: str
    before: Mapping[str, str | None]
    after: Mapping[str, str | None]


@dataclass(frozen=True)
class NewEntry:
    """An entry to append; ``doi`` (canonical) makes it a duplicate if one appeared since."""

    type: str
    key: str
    fields: tuple[tuple[str, str], ...]
    doi: str = ""


@dataclass(frozen=True)
class Edits:
    """A change to library.bib that can be applied to the file as it is when it is written;
    ``removed`` names entries to delete (an entry gone meanwhile is left gone)."""

    fields: tuple[FieldEdit, ...] = ()
    new: tuple[NewEntry, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fields or self.new or self.removed)


@dataclass(frozen=True)
class Skipped:
    """A planned edit that no longer fitted the file when it was written."""

    key: str
    field: str | None  # None: the whole entry
    why: str
    existing: str | None = None  # a new entry's work, added meanwhile under this key


@dataclass(frozen=True)
class Written:
    """What :func:`update` wrote: the text, the key each new entry got (a key taken meanwhile
    gets the next free suffix), and what no longer fitted the file."""

    text: str
    keys: Mapping[str, str]
    skipped: tuple[Skipped, ...] = ()
    removed: tuple[str, ...] = ()

    def kept(self, key: str, field: str) -> bool:
        """Whether the planned change to ``key``'s ``field`` was not written."""
        return any(s.key == key and s.field in (None, field) for s in self.skipped)


def changes_for(parsed: ParsedBib, edits: Edits) -> tuple[list[Change], Written]:
    """The splices that apply ``edits`` to ``parsed`` (the file as it is now)."""
    from cytobib.citekey import free_key
    from cytobib.doi import canonical

    source = parsed.source
    entries: dict[str, Entry] = {}
    for each in parsed.entries:
        entries.setdefault(each.key, each)
    changes: list[Change] = []
    skipped: list[Skipped] = []
    removed = tuple(k for k in dict.fromkeys(edits.removed) if k in entries)
    changes += [Change(entries[k].span, None) for k in removed]
    for edit in edits.fields:
        if edit.key in removed:
            continue
        entry = entries.get(edit.key)
        if entry is None:
            skipped.append(Skipped(edit.key, None, f"is no longer in {source.path}"))
            continue
        fitting = {n: v for n, v in edit.after.items() if entry.fields.get(n) == edit.before.get(n)}
        for name in sorted(set(edit.after) - set(fitting)):
            skipped.append(Skipped(edit.key, name, "was changed meanwhile; that value was kept"))
        if fitting:
            changes.append(Change(entry.span, edit_fields(entry.raw, fitting, source.newline)))
    taken = set(entries)
    dois = {canonical(e.fields["doi"]): e.key for e in parsed.entries if e.fields.get("doi")}
    keys: dict[str, str] = {}
    for new in edits.new:
        if new.doi and new.doi in dois:
            existing = dois[new.doi]
            skipped.append(Skipped(new.key, None, f"was added meanwhile as '{existing}'", existing))
            continue
        key = free_key(new.key, taken)
        taken.add(key)
        keys[new.key] = key
        text = render_entry(new.type, key, new.fields, source.newline)
        changes.append(Change(None, text))
    return changes, Written("", keys, tuple(skipped), removed)


def update(source: BibText, edits: Edits, *, root: Path, planned: str | None = None) -> Written:
    """Apply ``edits`` to library.bib under the project's write lock; see the module docstring.

    ``source`` is the file the edits were planned on and ``planned`` the text they made of it:
    if the file is unchanged, that text is written as it is. Otherwise the edits are applied
    again to the file as it is now: a field changed since is kept, an entry gone is left gone,
    a work added meanwhile is not added twice.

    Raises:
        LibraryStateError: the file kept changing while it was being written.
        WriteError: it could not be written (it is then unchanged).
    """
    from cytobib.lock import locked

    path = Path(source.path)
    with locked(root):
        for _ in range(_ATTEMPTS):
            data = _read_current(path)
            current = decode_bytes(data, source.path)
            if planned is not None and current.text == source.text:
                written = Written(planned, {n.key: n.key for n in edits.new}, (), edits.removed)
                expected = None
            else:
                parsed = parse(current)
                changes, written = changes_for(parsed, edits)
                text = apply_changes(current, changes) if changes else current.text
                written = Written(text, written.keys, written.skipped, written.removed)
                expected = len(parsed.entries) + len(written.keys) - len(written.removed)
            _check(current, written.text, expected)
            if written.text == current.text:
                return written
            try:
                atomic_write_bytes(path, _encoded(current, written.text), unchanged=(path, data))
            except _ChangedMeanwhile:
                continue
            return written
    raise LibraryStateError(
        f"{source.path} kept changing while cytobib was writing it; nothing was written.",
        hint="Close other programs that save it (or wait for them), then run the command again.",
    )


_ATTEMPTS = 5


class _ChangedMeanwhile(Exception):
    """The target's bytes changed between reading and renaming (an editor saved it)."""


def _read_current(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BibFileError(
            f"{path} cannot be read: {exc.strerror or exc}; nothing was written.",
            hint="Check that the file exists and is readable.",
        ) from None


def _check(current: BibText, text: str, expected: int | None) -> None:
    """The new text parses with no more problems than the file had, and with the entries it
    should have: a last guard behind the door."""
    if expected is None and text == current.text:
        return
    before = parse(current)
    after = parse(dataclasses.replace(current, text=text))
    failed = sum(1 for i in after.issues if i.code == "parse-error")
    if failed > sum(1 for i in before.issues if i.code == "parse-error") or (
        expected is not None and len(after.entries) != expected
    ):
        raise WriteError(
            f"The change to {current.path} would not read back as planned; nothing was written.",
            hint="This is a bug in cytobib: please report it with the command you ran.",
        )


def _encoded(source: BibText, text: str) -> bytes:
    try:
        return text.encode(source.encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise WriteError(
            f"{source.path} is stored as {source.encoding}, which cannot hold {bad!r}; "
            "nothing was written.",
            hint="Convert the file to UTF-8 first (e.g. `iconv -f cp1252 -t utf-8`).",
        ) from None


def atomic_write_bytes(
    path: Path,
    data: bytes,
    *,
    durable: bool = True,
    unchanged: tuple[Path, bytes] | None = None,
) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never half.

    A temp file beside the target is written, fsynced and renamed over it; on any failure
    (including Ctrl-C) the temp file is removed and the target is untouched. A symlink is
    written through to its target; the mode, owner and group are kept where the system
    allows; a file with other hard links is not replaced (that would silently split it).
    ``unchanged=(path, bytes)``: just before the rename, the file must still hold those bytes
    (an editor may have saved it meanwhile), else nothing is replaced. ``durable=False``
    skips the fsyncs, for caches that may be lost but never half-written.
    """
    path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        st: os.stat_result | None = path.stat()
    except FileNotFoundError:
        st = None
    if st is not None and st.st_nlink > 1 and durable:
        raise WriteError(
            f"{path} has {st.st_nlink - 1} other hard link(s); replacing it would leave them "
            "with the old text, so nothing was written.",
            hint="Use a symbolic link instead (cytobib writes through those), or copy the file "
            "to break the hard link.",
        )
    if durable:
        _remove_stale_temps(path)
    fd, tmp = _mkstemp(path, folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777 if st is not None else _new_file_mode())
        if st is not None:
            with contextlib.suppress(OSError):  # only root may give a file to someone else
                os.chown(tmp, st.st_uid, st.st_gid)
        if unchanged is not None and _bytes_of(unchanged[0]) != unchanged[1]:
            raise _ChangedMeanwhile
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


def _bytes_of(path: Path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


STALE_TEMP_SECONDS = 600
"""A temp file of ours this old was left by a killed process (kill -9, power loss): no write
takes that long."""


def _remove_stale_temps(path: Path) -> None:
    """Remove ``.<name>.*.tmp`` files that a killed cytobib left beside ``path``."""
    now = time.time()
    with contextlib.suppress(OSError):
        for old in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                if now - old.lstat().st_mtime > STALE_TEMP_SECONDS:
                    old.unlink()


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
