"""Changing library.bib safely: the one way commands write it.

:func:`update` takes the project's write lock, reads the file as it is *now*, applies the
planned :class:`Edits` to it (re-applying them to a file that changed since the plan was made,
as far as they still fit: a field changed meanwhile keeps the user's value, an entry gone stays
gone, a work added meanwhile is not added twice, a key taken meanwhile gets the next suffix),
checks that the result reads back as planned, and replaces the file atomically
(:func:`~cytobib.bibfile.atomic.atomic_write_bytes`) unless an editor saved it in between.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cytobib.bibfile.atomic import ChangedMeanwhile, atomic_write_bytes
from cytobib.bibfile.read import BibText, ParsedBib, decode_bytes, parse
from cytobib.bibfile.write import Change, apply_changes, edit_fields, render_entry
from cytobib.errors import BibFileError, LibraryStateError, WriteError
from cytobib.model import Entry


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
            except ChangedMeanwhile:
                continue
            return written
    raise LibraryStateError(
        f"{source.path} kept changing while cytobib was writing it; nothing was written.",
        hint="Close other programs that save it (or wait for them), then run the command again.",
    )


_ATTEMPTS = 5


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
