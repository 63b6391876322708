"""Minimal, checked edits of an annotation file's text: fill empty fields, mark or unmark them
as ``suggested``. Pure functions from text to text; :mod:`cytobib.online.suggest` writes.

A person's annotation is theirs: comments, order, quoting and every filled field stay byte for
byte. Only the line of an empty field (``agents: []``, ``study_type: ""``, a key with no value)
changes, the new value's lines go after it (and after the comment lines that continue it, as
in a stub), a field the file lacks is appended, and the ``suggested:`` block is rewritten at the
end. Every edit is checked by loading the new text: every field that was there has the same
value, the filled ones have the new one; anything else is refused (:class:`EditRefused`), and
nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from cytobib.annotations import YamlProblem, load_yaml

__all__ = ["SUGGESTED", "EditRefused", "empty", "fill", "unmark"]

SUGGESTED = "suggested"
_COMMENT = (
    "# drafts by `cytobib suggest`, with their evidence: check them, then run "
    "`cytobib suggest --accept KEY`"
)


class EditRefused(ValueError):
    """The file cannot be edited safely (not YAML, not a mapping, or the check failed)."""


def empty(value: Any) -> bool:
    """A field a person has not filled: absent, null, "" or an empty list or mapping."""
    return value is None or value in ("", [], {})


def _load(text: str) -> tuple[dict[str, Any], dict[tuple[str | int, ...], tuple[int, int]]]:
    try:
        data, positions = load_yaml(text)
    except YamlProblem as exc:
        raise EditRefused(f"it is not valid YAML (line {exc.line}: {exc.message})") from None
    if data is None:
        return {}, positions
    if not isinstance(data, dict):
        raise EditRefused("it does not hold a mapping of fields")
    return data, positions


def _dump(name: str, value: Any) -> list[str]:
    text = yaml.safe_dump(
        {name: value}, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return text.splitlines()


def _continuation(lines: Sequence[str], index: int) -> int:
    """The index after the key line ``index`` and the comment-only lines that follow it
    indented (a stub's ``#   role: primary`` under ``agents: []``)."""
    end = index + 1
    while end < len(lines) and re.match(r"^\s+#", lines[end]):
        end += 1
    return end


def fill(text: str, values: Mapping[str, Any], evidence: Mapping[str, Sequence[str]]) -> str:
    """``text`` with each empty field of ``values`` filled and listed under ``suggested``
    (with its ``evidence``); fields a person filled are left alone.

    Raises:
        EditRefused: the file is not a YAML mapping, or the result would change anything
            else (the check in the module docstring).
    """
    data, positions = _load(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    todo = {k: v for k, v in values.items() if empty(data.get(k)) and not empty(v)}
    if not todo:
        return text
    appended: list[str] = []
    inserts: dict[int, list[str]] = {}
    for name, value in todo.items():
        block = _dump(name, value)
        where = positions.get((name, "<key>"))
        if name not in data or where is None:
            appended += block
            continue
        index = where[0] - 1
        line = lines[index]
        match = re.match(rf"^({re.escape(name)}\s*:)([^#]*)(#.*)?$", line)
        if match is None or not re.fullmatch(r"\s*(\[\]|\{\}|\"\"|''|~|null)?\s*", match.group(2)):
            raise EditRefused(
                f"the empty field '{name}' is written in a form cytobib does not edit"
            )
        head, comment = block[0], match.group(3)
        if len(block) == 1:  # a scalar: "study_type: review"
            lines[index] = head + (f"  {comment}" if comment else "")
            continue
        lines[index] = head + (f"  {comment}" if comment else "")
        inserts[_continuation(lines, index)] = block[1:]
    out: list[str] = []
    for i, line in enumerate(lines):
        out += inserts.get(i, [])
        out.append(line)
    out += inserts.get(len(lines), [])
    out += appended
    merged = dict(data.get(SUGGESTED) or {}) if isinstance(data.get(SUGGESTED), dict) else {}
    merged.update({name: list(evidence.get(name) or ["cytobib suggest"]) for name in todo})
    out = _without_block(out, SUGGESTED)
    out += [_COMMENT, *_dump(SUGGESTED, merged)]
    new = newline.join(out) + newline
    _check(data, new, {**todo, SUGGESTED: merged})
    return new


def unmark(text: str, fields: Sequence[str] | None = None) -> str:
    """``text`` with ``fields`` (all, when None) no longer marked ``suggested``: the person
    confirmed them. The values stay as they are.

    Raises:
        EditRefused: as for :func:`fill`.
    """
    data, _ = _load(text)
    marked = data.get(SUGGESTED)
    if not isinstance(marked, dict) or not marked:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    keep = {k: v for k, v in marked.items() if fields is not None and k not in fields}
    out = _without_block(text.splitlines(), SUGGESTED)
    if keep:
        out += [_COMMENT, *_dump(SUGGESTED, keep)]
    new = newline.join(out) + newline
    expected = dict(data)
    expected.pop(SUGGESTED)
    if keep:
        expected[SUGGESTED] = keep
    _check({k: v for k, v in data.items() if k != SUGGESTED}, new, expected)
    return new


def _without_block(lines: Sequence[str], name: str) -> list[str]:
    """The lines without the top-level block ``name:`` (its indented lines, and the comment
    line cytobib writes before it)."""
    out: list[str] = []
    skipping = False
    for line in lines:
        if skipping:
            if line.startswith((" ", "-", "\t")) or not line.strip():
                continue
            skipping = False
        if re.match(rf"^{re.escape(name)}\s*:", line):
            skipping = True
            if out and out[-1] == _COMMENT:
                out.pop()
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return out


def _check(before: Mapping[str, Any], new: str, changed: Mapping[str, Any]) -> None:
    after, _ = _load(new)
    for name, value in before.items():
        if name in changed:
            continue
        if after.get(name) != value:
            raise EditRefused(f"the edit would have changed the field '{name}'")
    for name, value in changed.items():
        if after.get(name) != value:
            raise EditRefused(f"the edit did not give '{name}' the value intended")
    extra = set(after) - set(before) - set(changed)
    if extra:
        raise EditRefused(f"the edit would have added {sorted(extra)}")
