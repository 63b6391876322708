"""Translator items and Zotero API JSON: the two shapes an item takes on its way through Zotero.

Import translators build a *translator item* (``new Zotero.Item(type)``: fields as attributes,
``creators``, ``tags``, ``notes``); translation-server turns it into API JSON with
``Zotero.Utilities.Item.itemToAPIJSON`` (zotero/utilities ``utilities_item.js``): random 8-char
key, fields not valid for the item type dropped, single-field creators as ``name``, tags as
``{"tag", "type": 1}``, child notes as separate items with ``parentItem``. Export goes the other
way through ``itemToLegacyExportFormat`` (base fields copied, ``name`` -> ``lastName`` +
``fieldMode: 1``). Also here: ``cleanAuthor`` and ``cleanDOI`` (``utilities.js``), and the
desktop-only step ``Zotero.Utilities.Internal.extractExtraFields``.
"""

from __future__ import annotations

import random
import re
from typing import Any

from . import _schema
from ._js import LETTER, WS, trim

Item = dict[str, Any]

KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # Zotero.Utilities.generateObjectKey


class KeyGenerator:
    """Random item keys as Zotero makes them; seeded, so a test run is reproducible."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def __call__(self) -> str:
        return "".join(self._rng.choice(KEY_CHARS) for _ in range(8))


def new_item(item_type: str) -> Item:
    """``new Zotero.Item(type)`` in the translator sandbox."""
    return {"itemType": item_type, "creators": [], "tags": [], "notes": [], "attachments": [],
            "seeAlso": []}  # fmt: skip


def clean_author(author: str, creator_type: str, use_comma: bool = False) -> dict[str, Any]:
    """``Zotero.Utilities.cleanAuthor``: a creator from one name string."""
    all_caps = re.compile(r"^[A-Z\u0400-\u042f]+$")
    initial = re.compile(r"^-?[A-Z\u0400-\u042f]$")
    author = re.sub(r"^[" + WS[1:-1] + r".,/\[\]:]+", "", author)
    author = re.sub(r"[" + WS[1:-1] + r".,/\[\]:]+$", "", author)
    author = re.sub(WS + "+", " ", author, count=1)  # no g flag in the original
    first: str | None = None
    if use_comma:
        author = re.sub(r"\.([^ ])", r". \1", author, count=1)
        split = re.split(r", ?", author)
        if len(split) > 1:
            last, first = split[0], split[1]
        else:
            last = author
    else:
        # Don't parse "Firstname Lastname [Country]" as "[Country], Firstname Lastname"
        space = len(author)
        while True:
            start = space - 1  # String.lastIndexOf(" ", space - 1)
            if start < 0:
                space = 0 if author.startswith(" ") else -1
            else:
                space = author.rfind(" ", 0, start + 1)
            last = author[space + 1 :]
            first = author[: max(space, 0)]
            # lastName[0] is undefined for "" and XRegExp("\\pL").test("undefined") is true
            starts_with_letter = not last or re.match("[" + LETTER + "]", last[0]) is not None
            if starts_with_letter or space <= 0:
                break
    if (
        first
        and all_caps.match(first)
        and len(first) < 4
        and (len(first) == 1 or last.upper() != last)
    ):
        first = " ".join(c + "." for c in first)
    if first:
        names = re.sub(r"^[\s.]+", "", first)
        names = re.sub(r"[\s,]+$", "", names)
        names = re.sub(r"\s*([\u002D\u00AD\u2010-\u2015\u2212\u2E3A\u2E3B])\s*", "-", names,
                       count=1)  # fmt: skip
        out = ""
        for part in re.split(r"(?:[\s.]+|(?=-))", names):
            out += part
            if initial.match(part):
                out += "."
            out += " "
        first = trim(out.replace(" -", "-"))
    return {"firstName": first, "lastName": last, "creatorType": creator_type}


_DOI = re.compile(r"10(?:\.[0-9]{4,})?/[^" + WS[1:-1] + r"]*[^" + WS[1:-1] + r".,]")


def clean_doi(value: str) -> str | None:
    """``Zotero.Utilities.cleanDOI``."""
    m = _DOI.search(value)
    return m.group(0) if m else None


def to_api_json(item: Item, new_key: KeyGenerator) -> list[Item]:
    """``itemToAPIJSON`` plus translation-server's clean-up: the item, then its child notes."""
    out: Item = {"key": new_key(), "version": 0}
    children: list[Item] = []
    item_type = item["itemType"]
    if item_type not in _schema.ITEM_FIELDS:
        item_type = item["itemType"] = "webpage"
    for field, value in item.items():
        if field in ("complete", "itemID", "attachments", "seeAlso"):
            continue
        if field == "itemType":
            out[field] = value
        elif field == "creators":
            creators = out["creators"] = []
            for c in value:
                if not c.get("firstName") and not c.get("lastName"):
                    continue  # "Silently dropping empty creator"
                if not c.get("firstName") or c.get("fieldMode") == 1:
                    new = {"name": c.get("lastName", "")}
                else:
                    new = {"firstName": c["firstName"], "lastName": c.get("lastName", "")}
                ctype = c.get("creatorType")
                new["creatorType"] = ctype if ctype in _schema.CREATOR_TYPES else "author"
                creators.append(new)
        elif field == "tags":
            tags = out["tags"] = []
            for tag in value:
                text = tag.get("tag") or tag.get("name") if isinstance(tag, dict) else tag
                if text in ("", None):
                    continue
                tags.append({"tag": str(text), "type": 1})
        elif field == "notes":
            for note in value:
                text = note.get("note") if isinstance(note, dict) else note
                if not text:
                    continue
                children.append({"itemType": "note", "parentItem": out["key"], "note": str(text)})
        elif isinstance(value, str | int | float):
            if value == "":
                continue  # empty fields never reach the JSON
            text = str(value)
            specific = _schema.type_field(item_type, field)
            if specific and specific != field:
                out.setdefault(specific, text)
            elif specific == field:
                out[field] = text
    return [out, *children]


def to_export_items(api_items: list[Item]) -> list[Item]:
    """API JSON (child notes as separate items or nested in ``notes``) -> export items.

    ``itemToLegacyExportFormat``: base fields are copied under their base name, single-field
    creators become ``lastName`` + ``fieldMode: 1``, tags default to type 0, and each item
    carries its child notes in ``notes`` (in the order they were given).
    """
    by_key: dict[str, Item] = {}
    out: list[Item] = []
    for api in api_items:
        if api.get("itemType") == "note" and api.get("parentItem") in by_key:
            by_key[api["parentItem"]]["notes"].append({"itemType": "note", "note": api["note"]})
            continue
        skip = ("creators", "tags", "notes", "version")  # "version" is the sync version
        item: Item = {k: v for k, v in api.items() if k not in skip}
        item["creators"] = []
        for c in api.get("creators", []):
            if "name" in c:
                item["creators"].append(
                    {"lastName": c["name"], "fieldMode": 1, "creatorType": c["creatorType"]}
                )
            else:
                item["creators"].append(dict(c))
        item["tags"] = [{"tag": t["tag"], "type": t.get("type", 0)} for t in api.get("tags", [])]
        item["notes"] = [{"itemType": "note", "note": n["note"]} for n in api.get("notes", [])]
        item["attachments"] = []
        for field, value in list(item.items()):
            base = _schema.base_of(item["itemType"], field)
            if base != field:
                item[base] = value
        item["uri"] = api.get("key", "")
        out.append(item)
        if "key" in api:
            by_key[api["key"]] = item
    return out


# --- Zotero desktop: Item.fromJSON runs extractExtraFields (not translation-server) ------------


def _normalise_extra_key(key: str) -> str:
    """``_normalizeExtraKey``: ``fooBar`` = ``foo-bar``; spaces, ``-`` and ``_`` equivalent."""
    key = re.sub(r"([a-z])([A-Z])", r"\1-\2", trim(key)).lower()
    return re.sub(WS + r"|[-_]", "-", key)


def _extra_field_names() -> dict[str, list[str]]:
    """Normalised Extra key -> fields it may fill: Zotero's fields, then CSL variables."""
    names: dict[str, list[str]] = {}
    every = {f for fields in _schema.ITEM_FIELDS.values() for f in fields}
    every |= {specific for (_t, specific) in _schema.BASE_FIELDS}
    for field in sorted(every):
        names[_normalise_extra_key(field)] = [field]
    for csl_map in (_schema.CSL_TEXT, _schema.CSL_DATES):
        for variable, target in csl_map.items():
            key = _normalise_extra_key(variable)
            more = target if isinstance(target, list) else [target]
            names[key] = list(dict.fromkeys([*names.get(key, []), *more]))
    return names


_EXTRA_FIELD_NAMES = _extra_field_names()
_EXTRA_CREATOR_TYPES = {_normalise_extra_key(t): t for t in sorted(_schema.CREATOR_TYPES)} | {
    csl.lower(): zotero for zotero, csl in _schema.CSL_NAMES.items()
}
# getKeyAndValue: in JS `[a-z -_]` is a range from space to underscore, so digits, `(`, `.`,
# `,` and `:` count too (the label runs to the last colon such characters reach).
_EXTRA_LINE = re.compile(r"^([a-z][ -_a-z]+):([^\n\r\u2028\u2029]+)", re.IGNORECASE)


def extract_extra_fields(api_item: Item) -> Item:
    """``Zotero.Utilities.Internal.extractExtraFields`` as ``Item.fromJSON`` applies it
    (zotero/zotero ``utilities_internal.js``; ``item.js`` passes the fields already set).

    Each Extra line ``Label: value`` whose label names a Zotero field or CSL variable valid
    for the item type and not already set moves into that field (first occurrence wins) and
    leaves Extra; a line naming a creator type adds a creator if the item has none of that
    type. Not ported: ``type:`` lines that change the item type.
    """
    extra = api_item.get("extra")
    if not extra:
        return api_item
    item = dict(api_item)
    item_type = item["itemType"]
    creators = list(item.get("creators", []))
    done: set[str] = set()
    kept: list[str] = []
    for line in extra.split("\n"):
        m = _EXTRA_LINE.match(line)
        key = _normalise_extra_key(m.group(1)) if m else ""
        value = trim(m.group(2)) if m else ""
        if not key or not value or key in done or key == "type":
            kept.append(line)
            continue
        possible = _EXTRA_FIELD_NAMES.get(key)
        if possible:
            field = possible[0]  # the first possibility decides (the loop returns or breaks)
            if not _schema.is_valid(field, item_type) or item.get(field) or field in api_item:
                kept.append(line)
                continue
            item[field] = value
            done.add(key)
            continue
        creator_type = _EXTRA_CREATOR_TYPES.get(key)
        if (
            creator_type
            and creator_type in _schema.creators_for(item_type)
            and not any(c.get("creatorType") == creator_type for c in item.get("creators", []))
        ):
            if "||" in value:
                last, first = re.split(WS + r"*\|\|" + WS + r"*", value)[:2]
                creators.append({"creatorType": creator_type, "firstName": first,
                                 "lastName": last})  # fmt: skip
            else:
                creators.append({"creatorType": creator_type, "name": value})
            continue
        kept.append(line)
    if creators != list(item.get("creators", [])):
        item["creators"] = creators
    text = trim("\n".join(kept))  # Item.setField trims
    if text:
        item["extra"] = text
    else:
        item.pop("extra", None)
    return item
