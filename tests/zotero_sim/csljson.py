"""zotero/translators ``CSL JSON.js`` with the zotero/utilities functions it calls:
``Zotero.Utilities.Item.itemFromCSLJSON`` (import), ``itemToCSLJSON``, ``extraToCSL`` and
``parseParticles`` (export).

What the import keeps is decided by the schema's CSL maps: ``note`` goes to Extra verbatim,
``citation-key`` to the ``citationKey`` field, ``PMID``/``PMCID`` to fields where the item type
has them; ``keyword``, ``annote``, name particles and ``id`` have no place and are dropped.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import _schema
from ._dates import SQL_DATE, format_date, lpad, str_to_date, str_to_iso
from ._items import Item, KeyGenerator, new_item, to_api_json
from ._js import NOT_WS, WS, trim

# --- import ------------------------------------------------------------------------------------


def _item_type_for(csl: dict[str, Any]) -> str:
    kind = csl.get("type")
    if kind == "book" and csl.get("version"):
        return "computerProgram"
    return _schema.CSL_TYPES_REVERSE.get(str(kind), "document")


def _truthy(value: Any) -> bool:
    return bool(value) and value != 0


def item_from_csl(csl: dict[str, Any]) -> Item:
    """``itemFromCSLJSON`` for a translator item (``isZoteroItem`` false)."""
    item_type = _item_type_for(csl)
    item = new_item(item_type)
    item["itemID"] = csl.get("id")
    for variable, fields in _schema.CSL_TEXT.items():
        if variable not in csl:
            continue
        for field in fields:
            specific = _schema.type_field(item_type, field)
            if specific:
                item[field] = csl[variable]
                break
    for creator_type, variable in _schema.CSL_NAMES.items():
        if variable not in csl:
            continue
        ctype = (
            creator_type
            if creator_type in _schema.creators_for(item_type)
            else (_schema.primary_creator(item_type))
        )
        for name in csl[variable] or []:
            creator: dict[str, Any] = {}
            if name.get("family") or name.get("given"):
                creator["lastName"] = name.get("family") or ""
                creator["firstName"] = name.get("given") or ""
            elif name.get("literal"):
                creator["lastName"] = name["literal"]
                creator["fieldMode"] = 1
            else:
                continue
            creator["creatorType"] = ctype
            item["creators"].append(creator)
    for variable, field in _schema.CSL_DATES.items():
        if variable not in csl or not _schema.type_field(item_type, field):
            continue
        csl_date = csl[variable]
        date = ""
        if csl_date.get("literal") or csl_date.get("raw"):
            date = csl_date.get("literal") or csl_date.get("raw")
            if variable == "accessed":
                date = str_to_iso(date) or ""
        else:
            new: dict[str, Any] = {}
            parts = csl_date.get("date-parts")
            if isinstance(parts, list) and parts and isinstance(parts[0], list):
                keys = ("year", "month", "day")
                for key, value in zip(keys, parts[0], strict=False):
                    if _truthy(value):
                        new[key] = value
            if new.get("year"):
                if variable == "accessed":
                    date = lpad(new["year"], "0", 4)
                    if new.get("month"):
                        date += "-" + lpad(new["month"], "0", 2)
                        if new.get("day"):
                            date += "-" + lpad(new["day"], "0", 2)
                else:
                    if new.get("month"):
                        new["month"] = int(new["month"]) - 1
                    date = format_date(new)
                    if csl_date.get("season"):
                        date = str(csl_date["season"]) + " " + date
        item[field] = date
    return item


def import_csljson(text: str, new_key: KeyGenerator) -> list[Item]:
    """``doImport``: a CSL-JSON array (or one object) -> Zotero API JSON items."""
    data = json.loads(text)
    if not isinstance(data, list):
        data = [data]
    out: list[Item] = []
    for csl in data:
        if not csl.get("type"):
            csl["type"] = "article"
        out.extend(to_api_json(item_from_csl(csl), new_key))
    return out


# --- export ------------------------------------------------------------------------------------

_EXTRA_LINE = re.compile(r"^([A-Za-z \-]+)(:\s*.+)", re.MULTILINE)
_CSL_STANDARD = {
    "abstract", "accessed", "annote", "archive", "archive-place", "author", "authority",
    "call-number", "chapter-number", "citation-key", "citation-label", "citation-number",
    "collection-editor", "collection-number", "collection-title", "composer", "container",
    "container-author", "container-title", "container-title-short", "dimensions", "director",
    "edition", "editor", "editorial-director", "event", "event-date", "event-place",
    "first-reference-note-number", "genre", "illustrator", "interviewer", "issue", "issued",
    "jurisdiction", "keyword", "language", "locator", "medium", "note", "number",
    "number-of-pages", "number-of-volumes", "original-author", "original-date",
    "original-publisher", "original-publisher-place", "original-title", "page", "page-first",
    "publisher", "publisher-place", "recipient", "references", "reviewed-author",
    "reviewed-title", "scale", "section", "source", "status", "submitted", "title",
    "title-short", "translator", "type", "version", "volume", "year-suffix",
}  # fmt: skip


def extra_to_csl(extra: str) -> str:
    """``extraToCSL``: ``Label: value`` lines renamed to CSL variables (``Citation Key`` ->
    ``citation-key``, ``Status`` -> ``status``); other lines untouched."""

    def repl(m: re.Match[str]) -> str:
        original, value = m.group(1), m.group(2)
        field = original.lower().replace(" ", "-")
        if field in _CSL_STANDARD:
            pass
        elif field in ("doi", "isbn", "issn", "pmcid", "pmid", "url"):
            field = field.upper()
        elif field == "archive-location":
            field = "archive_location"
        else:
            zfield = re.sub(r" ([A-Z])", r"\1", original, count=1)
            if len(zfield) > 1 and zfield[1] == zfield[1].lower():
                zfield = zfield[0].lower() + zfield[1:]
            field = _schema.CSL_FIELDS_REVERSE.get(zfield, original)
        return field + value

    return _EXTRA_LINE.sub(repl, extra)


_PARTICLE_GIVEN = re.compile(r"^([^ ]+(?:\u02bb |\u2019 | |' ) *)(.+)$")
_PARTICLE_FAMILY = re.compile(r"^([^ ]+(?:-|\u02bb|\u2019| |') *)(.+)$")


def _split_particles(value: str, first_name: bool) -> tuple[bool, str, list[str]]:
    orig = value
    rex = _PARTICLE_GIVEN if first_name else _PARTICLE_FAMILY
    if first_name:
        value = value[::-1]
    particles: list[str] = []
    has = False
    m = rex.match(value)
    while m:
        m1 = m.group(1)[::-1] if first_name else m.group(1)
        first_char = re.sub(r"^[-'\u02bb\u2019" + WS[1:-1] + r"]*(.).*$", r"\1", m1, flags=re.S)
        has = first_char.upper() != first_char
        if not has:
            break
        if first_name:
            particles.append(orig[-len(m1) :])
            orig = orig[: -len(m1)]
        else:
            particles.append(orig[: len(m1)])
            orig = orig[len(m1) :]
        value = m.group(2)
        m = rex.match(value)
    if first_name:
        value = value[::-1]
        particles.reverse()
        for i in range(1, len(particles)):
            if particles[i][:1] == " ":
                particles[i - 1] += " "
        particles = [p[1:] if p[:1] == " " else p for p in particles]
        value = orig[: len(value)]
    else:
        value = orig[-len(value) :] if value else orig
    return has, value, particles


def _trim_last(s: str) -> str:
    last = s[-1:]
    s = trim(s)
    if last == " " and s[-1:] in ("'", "\u2019"):
        s += " "
    return s


def parse_particles(name: dict[str, Any]) -> None:
    """``parseParticles`` (from citeproc-js): split ``van der`` off family/given names."""
    _, family, particles = _split_particles(name["family"], False)
    name["family"] = family
    non_dropping = _trim_last("".join(particles))
    if non_dropping:
        name["non-dropping-particle"] = non_dropping
    if not name.get("suffix") and name.get("given"):
        m = re.search(r"(\s*,!*\s*)", name["given"])
        if m:
            idx = name["given"].find(m.group(1))
            suffix = name["given"][idx + len(m.group(1)) :]
            comma = re.sub(r"\s*", "", name["given"][idx : idx + len(m.group(1))])
            if suffix.replace(".", "") == "et al" and not name.get("dropping-particle"):
                name["dropping-particle"] = suffix
                name["comma-dropping-particle"] = ","
            else:
                if len(comma) == 2:
                    name["comma-suffix"] = True
                name["suffix"] = suffix
            name["given"] = name["given"][:idx]
    _, given, particles = _split_particles(name["given"], True)
    name["given"] = given
    dropping = trim("".join(particles))
    if dropping:
        name["dropping-particle"] = dropping


def item_to_csl(item: Item) -> dict[str, Any]:
    """``itemToCSLJSON``: an export item -> a CSL-JSON object (keys in schema order)."""
    item_type = item["itemType"]
    csl: dict[str, Any] = {"id": item.get("uri"), "type": _schema.CSL_TYPES[item_type]}
    for variable, fields in _schema.CSL_TEXT.items():
        if variable == "shortTitle":
            continue  # "read both title-short and shortTitle, but write only title-short"
        for field in fields:
            if field in item:
                value = item[field]
            else:
                specific = _schema.type_field(item_type, field)
                value = item.get(specific) if specific else None
            if not value or not isinstance(value, str):
                continue
            if field == "ISBN":
                isbn = re.match(r"^(?:97[89]-?)?(?:\d-?){9}[\dx](?!-)\b", value, re.IGNORECASE)
                if isbn:
                    value = isbn.group(0)
            elif field == "extra":
                value = extra_to_csl(value)
            if value[:1] == '"' and value.find('"', 1) == len(value) - 1:
                value = value[1:-1]
            csl[variable] = value
            break
    primary = _schema.primary_creator(item_type)
    for creator in item.get("creators") or []:
        variable = _schema.CSL_NAMES.get(creator.get("creatorType", ""))
        if not variable and creator.get("creatorType") == primary:
            variable = "author"
        if not variable:
            continue
        last, first = creator.get("lastName"), creator.get("firstName")
        if creator.get("name") or (creator.get("fieldMode") == 1 and last and not first):
            name: dict[str, Any] = {"literal": creator.get("name") or last}
        elif last or first:
            name = {"family": last or "", "given": first or ""}
            if name["family"] and name["given"]:
                fam = name["family"]
                if len(fam) > 1 and fam[0] == '"' and fam[-1] == '"':
                    name["family"] = fam[1:-1]
                else:
                    parse_particles(name)
        else:
            continue
        csl.setdefault(variable, []).append(name)
    for variable, field in _schema.CSL_DATES.items():
        date = item.get(field)
        if not date:
            specific = _schema.type_field(item_type, field)
            date = item.get(specific) if specific else None
        if not date:
            continue
        if field == "accessDate" and not SQL_DATE.match(date):
            m = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})", date)
            if m:
                date = m.group(1) + " " + m.group(2)  # UTC, as on the recording machine
        parsed = str_to_date(date)
        if parsed.get("year"):
            parts: list[int] = [int(parsed["year"])]
            if parsed.get("month") is not None:
                parts.append(parsed["month"] + 1)
                if parsed.get("day"):
                    parts.append(int(parsed["day"]))
            csl[variable] = {"date-parts": [parts]}
            if parsed.get("part") and parsed.get("month") is None:
                csl[variable]["season"] = parsed["part"]
        else:
            csl[variable] = {"literal": date}
    return csl


_CITATION_KEY_LINE = re.compile(
    r"(?:^|\n)citation key" + WS + r"*:" + WS + r"*(" + NOT_WS + r"+)(?:\n|$)", re.IGNORECASE
)


def export_csljson(items: list[Item]) -> str:
    """``doExport``: Extra's ``Citation Key:`` line (a key without spaces) becomes the ``id``."""
    data = []
    for original in items:
        if original["itemType"] in ("note", "attachment"):
            continue
        item = dict(original)
        if item.get("extra"):

            def take(m: re.Match[str], item: Item = item) -> str:
                item["citationKey"] = m.group(1)
                return "\n"

            item["extra"] = trim(_CITATION_KEY_LINE.sub(take, item["extra"], count=1))
        csl = item_to_csl(item)
        if item.get("citationKey"):
            csl["id"] = item["citationKey"]
        data.append(csl)
    return json.dumps(data, ensure_ascii=False, indent="\t")
