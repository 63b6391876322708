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

# Extra line labels Zotero desktop turns into fields (schema v41, the fields cytobib uses).
_EXTRA_FIELD_LABELS = {
    "citationkey": "citationKey",
    "pmid": "PMID",
    "pmcid": "PMCID",
    "doi": "DOI",
    "shorttitle": "shortTitle",
    "titleshort": "shortTitle",
    "language": "language",
    "journalabbreviation": "journalAbbreviation",
    "containertitleshort": "journalAbbreviation",
    "accessdate": "accessDate",
    "accessed": "accessDate",
    "url": "url",
    "issn": "ISSN",
}


def _normalise_label(label: str) -> str:
    label = re.sub(r"([a-z])([A-Z])", r"\1-\2", label)  # fooBar == foo-bar
    return re.sub(r"[\s_-]", "", label).lower()


def extract_extra_fields(api_item: Item) -> Item:
    """``Zotero.Utilities.Internal.extractExtraFields`` as ``Item.fromJSON`` applies it.

    Each Extra line ``Label: value`` whose label names a field valid for the item type and not
    already set moves into that field (first occurrence wins) and leaves Extra.
    """
    extra = api_item.get("extra")
    if not extra:
        return api_item
    item = dict(api_item)
    kept: list[str] = []
    for line in extra.split("\n"):
        m = re.match(r"^([a-z][a-z \-_]+|[A-Z]+):\s*(.*)$", line.strip(), re.IGNORECASE)
        field = _EXTRA_FIELD_LABELS.get(_normalise_label(m.group(1))) if m else None
        if (
            m
            and field
            and _schema.is_valid(field, item["itemType"])
            and not item.get(field)
            and m.group(2).strip()
        ):
            item[field] = m.group(2).strip()
            continue
        kept.append(line)
    text = "\n".join(kept).strip()
    if text:
        item["extra"] = text
    else:
        item.pop("extra", None)
    return item
