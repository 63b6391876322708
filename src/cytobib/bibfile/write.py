"""Splicing changes into library.bib's text without losing a byte the user wrote.

:func:`apply_changes` splices new text into the original by character span. Inside an entry
only the changed fields are touched (:func:`edit_fields`); other entries, comments, @string and
@preamble blocks, quoting style and blank lines stay byte-for-byte. Every value written passes
:mod:`cytobib.bibfile.door` first, so nothing from outside can change the file's structure.
Commands do not call these directly: they describe their change as :class:`~cytobib.bibfile.
update.Edits` and :func:`~cytobib.bibfile.update.update` applies it under the project lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cytobib.bibfile import door
from cytobib.bibfile.read import BibText
from cytobib.bibfile.scan import ENTRY_HEAD, STANDARD_MONTHS, FieldSpan, scan_fields


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
