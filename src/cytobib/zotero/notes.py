"""cytobib's child note in Zotero, and the annotation file a co-author's edit of it changes.

The note is written and read only through :mod:`cytobib.zotero_note` (one writer, one
reader): :func:`note_html` is ``to_html(blocks(record))``, :func:`read_note` is ``read`` on the
note's text. Two notes are the same when they *say* the same (:func:`content_digest`: what
``read`` rebuilds), so Zotero re-wrapping the HTML (its editor adds
``<div data-schema-version>``) is not an edit.

A co-author's edit comes back into ``annotations/KEY.yaml`` with the smallest change:
:func:`updated_annotation` rewrites only the top-level fields whose value changed and keeps
every other line (comments, ``x-`` fields, layout) as it is; the result must pass the
annotation schema or nothing is written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from cytobib import annotations as ann
from cytobib import zotero_note
from cytobib.exports import split_keywords
from cytobib.model import Record
from cytobib.zotero.state import digest
from cytobib.zotero_note import NoteContent

MANAGED = (
    "summary", "study_type", "status", "priority", "agents", "targets", "cancers", "claims",
    "caveats", "unconfirmed", "tags", "related", "verified",
)  # fmt: skip
"""The annotation fields cytobib's note carries (zotero_note's order); others stay in the file."""


def note_html(record: Record) -> str:
    """The note cytobib keeps under a work's item: the layout of the round-trip issue, with
    the entry's keywords and its own ``note`` where exports put them too."""
    entry = record.entry
    blocks = zotero_note.blocks(
        record, keywords=split_keywords(entry.text("keywords")), entry_note=entry.text("note")
    )
    return zotero_note.to_html(blocks)


@functools.lru_cache(maxsize=4096)
def read_note(html: str) -> NoteContent | None:
    """What a note says (None: it has no cytobib marker). Cached: a sync asks several times
    of one note, and NoteContent is immutable."""
    return zotero_note.read(zotero_note.html_text(html))


@functools.lru_cache(maxsize=4096)
def content_digest(html: str) -> str:
    """A digest of what a note says; a note without the marker digests its text."""
    content = read_note(html)
    if content is None:
        return "text:" + digest(zotero_note.html_text(html))
    data = asdict(content)
    data.pop("version", None)
    return digest(json.dumps(data, sort_keys=True, ensure_ascii=False, default=list))


def note_annotation(html: str) -> dict[str, Any]:
    """The annotation fields a note carries ({} when it carries none)."""
    content = read_note(html)
    return dict(content.annotation or {}) if content is not None else {}


def problems(content: NoteContent | None, key: str) -> list[str]:
    """Why a note cannot be applied to ``key``'s annotation ([] when it can)."""
    if content is None:
        return ["it no longer has the 'cytobib: v1' marker line"]
    out = list(content.problems)
    if content.key and content.key != key:
        out.append(f"its 'Cite key:' says {content.key!r}")
    data = dict(content.annotation or {})
    if data and not ann._is_valid()(data):
        errors = list(ann._validator().iter_errors(data))
        out += [f"{'.'.join(map(str, e.absolute_path)) or 'note'}: {e.message}" for e in errors[:3]]
    return out


# --- annotation files ------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """YAML as annotation files are written by hand: sequences indented under their key,
    multi-line text as a literal block, long lines left long."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


class _FastDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml (~10x faster) for whole new files, where no layout is there to follow."""


_FastDumper.add_representer(str, _text)


def _dump(data: Any, *, flow: bool = False, fast: bool = False) -> str:
    """YAML text; ``flow`` writes lists of plain values as ``[a, b]``, as the file had them;
    ``fast`` uses libyaml (its lists are not indented under their key)."""
    text: str = yaml.dump(
        data,
        Dumper=_FastDumper if fast else _Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        default_flow_style=None if flow else False,
    )
    return text


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _end(text: str, mark: Any) -> int:
    """Where a node's text ends: the end of its last line (a node ends where the next token
    starts, which may be the next line's indentation)."""
    start = _line_start(text, mark.index)
    if not text[start : mark.index].strip():
        return start
    newline = text.find("\n", mark.index)
    return len(text) if newline < 0 else newline + 1


def _pieces(
    text: str, key_node: Any, value_node: Any, old: Any, new: Any, name: str
) -> list[tuple[int, int, str]]:
    """The splices that turn one top-level field's text into ``new``: only the items that
    changed when a block list keeps its length, else the whole field."""
    start = _line_start(text, key_node.start_mark.index)
    end = _end(text, value_node.end_mark)
    if new is None:
        return [(start, end, "")]
    items = value_node.value if isinstance(value_node, yaml.SequenceNode) else None
    if (
        items
        and not value_node.flow_style
        and isinstance(old, list)
        and isinstance(new, list)
        and len(old) == len(new) == len(items)
    ):
        out = []
        for node, was, now in zip(items, old, new, strict=True):
            if was == now:
                continue
            line = _line_start(text, node.start_mark.index)
            prefix = text[line : node.start_mark.index]
            if prefix.strip() != "-":
                break  # an item not written as "  - ...": rewrite the whole field
            indent = " " * prefix.index("-")
            block = "".join(indent + ln + "\n" for ln in _dump([now]).splitlines())
            out.append((line, _end(text, node.end_mark), block))
        else:
            return out
    flow = bool(getattr(value_node, "flow_style", False))
    return [(start, end, _dump({name: new}, flow=flow))]


def updated_annotation(text: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """``text`` (an annotation file) with the note-carried fields that differ between
    ``before`` (what the file's annotation said in note terms) and ``after`` (what the note
    says now) rewritten, added or removed - in a list of the same length, only the items that
    changed; every other line kept byte for byte.

    Raises:
        ValueError: the file is not a YAML mapping, or the result would not pass the schema.
    """
    node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    nodes: dict[str, tuple[Any, Any]] = {}
    if node is not None:
        if not isinstance(node, yaml.MappingNode):
            raise ValueError("the annotation file is not a mapping of fields")
        nodes = {str(k.value): (k, v) for k, v in node.value}
    pieces: list[tuple[int, int, str]] = []
    added: list[str] = []
    for name in MANAGED:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in nodes:
            pieces += _pieces(text, *nodes[name], old, new, name)
        elif new is not None:
            added.append(_dump({name: new}))
    out = text
    for start, end, block in sorted(pieces, reverse=True):
        out = out[:start] + block + out[end:]
    if added:
        out = (out if not out or out.endswith("\n") else out + "\n") + "".join(added)
    _check(out, text, before, after)
    return out


def _check(
    new_text: str, old_text: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> None:
    """The new file says what the note says where it changed, keeps every other field, and
    passes the schema."""
    new = yaml.safe_load(new_text) or {}
    old = yaml.safe_load(old_text) or {}
    if not isinstance(new, dict) or not isinstance(old, dict):
        raise ValueError("the annotation file is not a mapping of fields")
    for name in MANAGED:
        if before.get(name) != after.get(name) and new.get(name) != after.get(name):
            raise ValueError(f"the field {name!r} would not read back as the note says")
    for name, value in old.items():
        if name not in MANAGED and new.get(name) != value:
            raise ValueError(f"the field {name!r} would change")
    if not ann._is_valid()(new):
        errors = list(ann._validator().iter_errors(new))
        raise ValueError(errors[0].message if errors else "it does not pass the schema")


def new_annotation(key: str, title: str, data: Mapping[str, Any], source: str, ref: str) -> str:
    """A new annotation file for a work first seen in Zotero: schema line, comments, fields.

    Raises:
        ValueError: the data does not pass the annotation schema.
    """
    if not ann._is_valid()(dict(data)):
        errors = list(ann._validator().iter_errors(dict(data)))
        raise ValueError(errors[0].message if errors else "it does not pass the schema")
    head = [
        ann.SCHEMA_COMMENT.format(ref=ref),
        f"# {key}: {' '.join(title.split())[:90]}",
        f"# Written by `cytobib zotero pull` from {source}.",
    ]
    return "\n".join(head) + "\n" + _dump(dict(data), fast=True)


def file_for(folder: Path, key: str) -> Path:
    return ann.path_for(folder, key)
