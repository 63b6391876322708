"""Between a library.bib entry and a Zotero item: one table, read both ways.

The sync compares works in *Zotero's* terms: a flat mapping of Zotero field names to text
(:func:`wanted` for what the entry says, :func:`present` for what the item holds), with two
kinds of pseudo-field:

* ``creators``: the author and editor list as canonical JSON (a whole-list field in Zotero);
* ``extra:<Label>``: one ``Label: value`` line of Extra that cytobib keeps - ``Citation Key``,
  ``PMID``, ``PMCID``, and ``DOI`` for item types without a DOI field
  (``shared/docs/zotero-web-api.md`` §7). Every other Extra line is the user's and is kept as
  it is (:func:`compose_extra`).

Both sides come from the same table (:data:`FIELDS`), so a value cytobib wrote reads back equal
and only real edits differ. Going back to BibTeX (:func:`bibtex_fields`) reuses the Crossref
mapping's text handling: Zotero's rich-text title markup (``<i>``, ``<sub>``...) becomes LaTeX,
acronyms are braced, other text is escaped, DOIs and URLs stay verbatim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cytobib import latex
from cytobib.crossref.markup import escape_latex, verbatim
from cytobib.crossref.message import Contributor, names_value, text_value
from cytobib.doi import canonical, is_valid_doi
from cytobib.model import Entry, Person, Record, parse_names

ITEM_TYPES: Mapping[str, str] = {
    "article": "journalArticle",
    "book": "book",
    "inbook": "bookSection",
    "incollection": "bookSection",
    "inproceedings": "conferencePaper",
    "conference": "conferencePaper",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "online": "webpage",
    "www": "webpage",
    "electronic": "webpage",
    "unpublished": "manuscript",
}
"""BibTeX entry type -> Zotero item type; anything else is a ``document``."""

ENTRY_TYPES: Mapping[str, str] = {
    "journalArticle": "article",
    "magazineArticle": "article",
    "newspaperArticle": "article",
    "preprint": "misc",
    "book": "book",
    "bookSection": "incollection",
    "conferencePaper": "inproceedings",
    "thesis": "phdthesis",
    "report": "techreport",
    "webpage": "online",
    "manuscript": "unpublished",
}
"""Zotero item type -> BibTeX entry type; anything else is ``misc``."""

_COMMON = (
    ("title", "title", "title"),
    ("abstractNote", "abstract", "text"),
    ("url", "url", "verbatim"),
    ("language", "language", "text"),
    ("accessDate", "urldate", "text"),
)
FIELDS: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    "journalArticle": (
        *_COMMON,
        ("publicationTitle", "journal", "name"),
        ("journalAbbreviation", "shortjournal", "text"),
        ("volume", "volume", "text"),
        ("issue", "number", "text"),
        ("pages", "pages", "pages"),
        ("DOI", "doi", "doi"),
        ("ISSN", "issn", "text"),
        ("publisher", "publisher", "text"),  # schema 41 (papers-mcp-item.json)
        ("series", "series", "text"),
    ),
    "book": (
        *_COMMON,
        ("publisher", "publisher", "text"),
        ("place", "address", "text"),
        ("edition", "edition", "text"),
        ("volume", "volume", "text"),
        ("series", "series", "text"),
        ("ISBN", "isbn", "text"),
    ),
    "bookSection": (
        *_COMMON,
        ("bookTitle", "booktitle", "title"),
        ("publisher", "publisher", "text"),
        ("place", "address", "text"),
        ("edition", "edition", "text"),
        ("volume", "volume", "text"),
        ("series", "series", "text"),
        ("pages", "pages", "pages"),
        ("ISBN", "isbn", "text"),
    ),
    "conferencePaper": (
        *_COMMON,
        ("proceedingsTitle", "booktitle", "title"),
        ("publisher", "publisher", "text"),
        ("place", "address", "text"),
        ("volume", "volume", "text"),
        ("series", "series", "text"),
        ("pages", "pages", "pages"),
        ("DOI", "doi", "doi"),
        ("ISBN", "isbn", "text"),
    ),
    "thesis": (
        *_COMMON,
        ("university", "school", "text"),
        ("place", "address", "text"),
        ("thesisType", "type", "text"),
    ),
    "report": (
        *_COMMON,
        ("institution", "institution", "text"),
        ("place", "address", "text"),
        ("reportNumber", "number", "text"),
        ("reportType", "type", "text"),
        ("pages", "pages", "pages"),
    ),
    "preprint": (*_COMMON, ("DOI", "doi", "doi")),
    "webpage": _COMMON,
    "manuscript": (*_COMMON, ("place", "address", "text")),
    "document": (*_COMMON, ("publisher", "publisher", "text")),
}
"""Per Zotero item type: (Zotero field, BibTeX field, kind). ``kind``: ``title`` (rich text,
acronyms braced), ``name`` (rich text), ``text``, ``verbatim`` (URL), ``doi``, ``pages``."""

CREATORS = "creators"
DATE = "date"
EXTRA = "extra:"
KEY_LABEL = "Citation Key"
LABELS = (KEY_LABEL, "PMID", "PMCID", "DOI")
"""The Extra lines cytobib keeps (Zotero's PubMed import and Better BibTeX write them so)."""
_NATIVE = {"citationkey": "citationKey", "pmid": "PMID", "pmcid": "PMCID"}  # schema 41 fields
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EXTRA_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z .-]*?)\s*:\s*(.*?)\s*$")
_ESCAPES = str.maketrans({ch: escape_latex(ch) for ch in "\\{}&%$#_~^"})
"""What :func:`cytobib.crossref.markup.escape_latex` does to each character it escapes."""
_MARKUP = re.compile(r"[<&]")  # Zotero's rich text: tags, entities
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def item_type(entry: Entry) -> str:
    """The Zotero item type for an entry."""
    return ITEM_TYPES.get(entry.type.lower(), "document")


def entry_type(data: Mapping[str, Any]) -> str:
    """The BibTeX entry type for an item (``mastersthesis`` when the thesis type says so)."""
    kind = str(data.get("itemType", ""))
    if kind == "thesis" and "master" in str(data.get("thesisType", "")).lower():
        return "mastersthesis"
    return ENTRY_TYPES.get(kind, "misc")


def has_field(kind: str, name: str) -> bool:
    return any(z == name for z, _, _ in FIELDS.get(kind, FIELDS["document"]))


# --- entry -> Zotero -------------------------------------------------------------------------


def wanted(record: Record, kind: str | None = None) -> dict[str, str]:
    """What the entry says, as flat Zotero fields (empty values left out), for an item of type
    ``kind`` (default: the entry's own; an item adopted from Zotero keeps its type)."""
    entry = record.entry
    kind = kind or item_type(entry)
    out: dict[str, str] = {}
    for zname, bname, how in FIELDS.get(kind, FIELDS["document"]):
        raw = entry.fields.get(bname, "")
        if not raw.strip():
            continue
        if how in ("verbatim", "doi"):
            value = latex.verbatim(raw).strip()
        elif how == "pages":
            value = re.sub(r"\s*(?:-{1,3}|–|—)\s*", "-", entry.text(bname)).strip()
        else:
            value = " ".join(entry.text(bname).split())
        if value:
            out[zname] = value
    date = _date_of(entry)
    if date:
        out[DATE] = date
    people = _creators(entry.authors, "author") + _creators(entry.editors, "editor")
    if people:
        out[CREATORS] = _canonical(people)
    extra = {KEY_LABEL: entry.key}
    for label, name in (("PMID", "pmid"), ("PMCID", "pmcid")):
        if entry.fields.get(name, "").strip():
            extra[label] = entry.text(name).strip()
    if entry.fields.get("doi", "").strip() and not has_field(kind, "DOI"):
        extra["DOI"] = latex.verbatim(entry.fields["doi"]).strip()
    out.update({EXTRA + k: v for k, v in extra.items() if v})
    return out


def _date_of(entry: Entry) -> str:
    if entry.fields.get("date", "").strip() and not entry.fields.get("year", "").strip():
        return entry.text("date").strip()
    if entry.year is None:
        return ""
    day = entry.text("day").strip()
    parts = [f"{entry.year:04d}"]
    if entry.month:
        parts.append(f"{entry.month:02d}")
        if day.isdigit() and 1 <= int(day) <= 31:
            parts.append(f"{int(day):02d}")
    return "-".join(parts)


def _creators(people: Iterable[Person], role: str) -> list[dict[str, str]]:
    out = []
    for p in people:
        if p.family == "others" and p.corporate:
            continue  # "and others": the note says so (zotero_note's Author list)
        if p.corporate or not p.given:
            out.append({"creatorType": role, "name": p.last})
        else:
            last = f"{p.last}, {p.jr}" if p.jr else p.last
            out.append({"creatorType": role, "firstName": p.given, "lastName": last})
    return out


def _canonical(creators: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps([dict(sorted(c.items())) for c in creators], ensure_ascii=False)


# --- Zotero -> flat ------------------------------------------------------------------------


def present(data: Mapping[str, Any]) -> dict[str, str]:
    """What an item holds, as flat Zotero fields: the fields of its type, ``date``,
    ``creators`` and cytobib's Extra lines (or the native ``citationKey``, ``PMID``,
    ``PMCID`` fields of schema 41 when Extra lacks them)."""
    kind = str(data.get("itemType", "document"))
    out: dict[str, str] = {}
    for zname, _, _ in FIELDS.get(kind, FIELDS["document"]):
        value = data.get(zname)
        if isinstance(value, str) and value.strip():
            out[zname] = value.strip()
    if isinstance(data.get(DATE), str) and data[DATE].strip():
        out[DATE] = data[DATE].strip()
    people = [_creator(c) for c in data.get("creators") or [] if isinstance(c, Mapping)]
    people = [c for c in people if c]
    if people:
        out[CREATORS] = _canonical(people)
    lines = parse_extra(str(data.get("extra") or ""))
    for label in LABELS:
        value = lines.get(_norm(label)) or str(data.get(_NATIVE.get(_norm(label), ""), "") or "")
        if value.strip():
            out[EXTRA + label] = value.strip()
    return out


def _creator(c: Mapping[str, Any]) -> dict[str, str]:
    role = str(c.get("creatorType") or "author")
    if c.get("name"):
        return {"creatorType": role, "name": str(c["name"]).strip()}
    first, last = str(c.get("firstName") or "").strip(), str(c.get("lastName") or "").strip()
    if not (first or last):
        return {}
    if not first:
        return {"creatorType": role, "name": last}
    return {"creatorType": role, "firstName": first, "lastName": last}


def _norm(label: str) -> str:
    """Zotero reads Extra labels ignoring case and spaces (``Citation Key`` = ``citationKey``)."""
    return re.sub(r"[\s_-]+", "", label).lower()


def parse_extra(text: str) -> dict[str, str]:
    """Extra's ``Label: value`` lines by normalised label (the first of each)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        found = _EXTRA_LINE.match(line)
        if found and found.group(2):
            out.setdefault(_norm(found.group(1)), found.group(2))
    return out


def compose_extra(current: str, changes: Mapping[str, str | None]) -> str:
    """Extra with cytobib's lines set (a value) or removed (None); the user's lines, their
    order and any text between them stay as they are."""
    wanted_lines = {_norm(k): (k, v) for k, v in changes.items()}
    done: set[str] = set()
    lines: list[str] = []
    for line in current.split("\n") if current else []:
        found = _EXTRA_LINE.match(line)
        label = _norm(found.group(1)) if found else ""
        if label in wanted_lines:
            if label in done:
                continue  # a second line for the same label: the first one is kept
            done.add(label)
            name, value = wanted_lines[label]
            if value is not None:
                lines.append(f"{found.group(1) if found else name}: {value}")
            continue
        lines.append(line)
    for label, (name, value) in wanted_lines.items():
        if label not in done and value is not None:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def item_changes(data: Mapping[str, Any], changes: Mapping[str, str | None]) -> dict[str, Any]:
    """The Zotero JSON that sets flat ``changes`` (None or "" clears) on an item whose data is
    ``data`` ({} for a new item): fields, ``creators`` and ``extra`` rebuilt."""
    out: dict[str, Any] = {}
    extra: dict[str, str | None] = {}
    for name, value in changes.items():
        if name.startswith(EXTRA):
            extra[name[len(EXTRA) :]] = value or None
        elif name == CREATORS:
            out["creators"] = json.loads(value) if value else []
        else:
            out[name] = value or ""
    if extra:
        out["extra"] = compose_extra(str(data.get("extra") or ""), extra)
    return out


# --- Zotero -> BibTeX ------------------------------------------------------------------------


def bibtex_fields(kind: str, flat: Mapping[str, str]) -> dict[str, str]:
    """BibTeX values (LaTeX, as library.bib stores them) for flat Zotero fields of an item of
    type ``kind``; fields cytobib has no place for are left out."""
    table = {z: (b, how) for z, b, how in FIELDS.get(kind, FIELDS["document"])}
    out: dict[str, str] = {}
    for zname, value in flat.items():
        if zname in table:
            bname, how = table[zname]
            converted = _to_bibtex(how, value)
            if converted:
                out[bname] = converted
        elif zname == DATE:
            out.update(_date_fields(value))
        elif zname == CREATORS:
            out.update(_names(json.loads(value) if value else []))
        elif zname == EXTRA + "PMID" and value.strip().isdigit():
            out["pmid"] = value.strip()
        elif zname == EXTRA + "PMCID" and re.fullmatch(r"(?i)(pmc)?\d+", value.strip()):
            digits = re.sub(r"(?i)^pmc", "", value.strip())
            out["pmcid"] = f"PMC{digits}"
        elif zname == EXTRA + "DOI":
            doi = _to_bibtex("doi", value)
            if doi:
                out["doi"] = doi
    return out


def _to_bibtex(how: str, value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if how == "doi":
        return canonical(value) if is_valid_doi(value) else verbatim(value)
    if how == "verbatim":
        return verbatim(value)
    if how == "name" and not _MARKUP.search(value):
        how = "text"  # no rich text: plain escaping
    if how in ("title", "name"):
        converted = text_value(value, protect=how == "title")
        return converted.latex if converted else ""
    if how == "pages":
        return re.sub(r"(?<=\w)\s*[-‐‑–—]+\s*(?=\w)", "--", escape_latex(value))
    text = " ".join(value.split())
    if text.isprintable():  # no control characters: escape_latex's table alone, in C
        return text.translate(_ESCAPES)
    return escape_latex(text)


def _date_fields(value: str) -> dict[str, str]:
    """``year`` and ``month`` from a Zotero date (ISO, ``March 2014``, ``2014/03/01``...)."""
    text = value.strip()
    iso = _ISO_DATE.match(text.replace("/", "-"))
    if iso:
        out = {"year": iso.group(1)}
        month = int(iso.group(2)) if iso.group(2) else 0
        if 1 <= month <= 12:
            out["month"] = _MONTHS[month - 1]
        return out
    year = re.search(r"\b(\d{4})\b", text)
    if year is None:
        return {}
    out = {"year": year.group(1)}
    named = re.search(r"(?i)\b(" + "|".join(_MONTHS) + r")[a-z]*\.?\b", text)
    if named:
        out["month"] = named.group(1).lower()
    return out


def _names(creators: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    roles: dict[str, list[Contributor]] = {"author": [], "editor": []}
    for c in creators:
        role = str(c.get("creatorType", "author"))
        if role not in roles:
            continue
        if c.get("name"):
            roles[role].append(Contributor(str(c["name"]), "", None))
        else:
            last = str(c.get("lastName") or "")
            family, _, jr = last.partition(", ")
            roles[role].append(Contributor((family, str(c.get("firstName") or "")), jr, None))
    out = {}
    for role, people in roles.items():
        value = names_value(people)
        if value is not None:
            out[role] = value.latex
    return out


def same_value(kind: str, name: str, ours: str, theirs: str) -> bool:
    """Whether two flat values differ only in notation (case of a DOI, rich-text markup,
    dashes): compared as :func:`cytobib.merge.same` compares BibTeX fields."""
    from cytobib import merge

    a, b = bibtex_fields(kind, {name: ours}), bibtex_fields(kind, {name: theirs})
    if set(a) != set(b) or not a:
        return False
    return all(merge.same(field, a[field], b[field]) for field in a)


def same_authors(entry: Entry, theirs: str) -> bool:
    """Zotero's author list is the entry's minus its ``and others`` (which Zotero cannot
    hold; cytobib's note says it): the same list, not a change."""
    if not entry.authors or entry.authors[-1].family != "others":
        return False
    named = [p.last.casefold() for p in entry.authors[:-1]]
    return [p.last.casefold() for p in parse_names(theirs)] == named
