"""Reading a Crossref work ``message``: strings, numbers, dates and contributors.

Crossref's JSON is loose (string arrays, one-element lists in CSL-JSON, ``[[null]]`` dates,
contributors with only a ``name`` or only a ``given``); these readers turn each part into a
value or ``None`` and never raise on odd data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cytobib.crossref.markup import escape_latex, markup_to_text, parse_markup, spans_to_latex

Message = Mapping[str, Any]
Name = tuple[str, str] | str
"""A contributor: ``(family, given)`` for a person (given may be ``""``), a str for an
organisation."""


@dataclass(frozen=True)
class Value:
    latex: str
    plain: str


def strings(message: Message, key: str) -> list[str]:
    """A Crossref string array (or a CSL-JSON string) as non-empty strings."""
    value = message.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v.strip()]


def first(message: Message, key: str) -> str | None:
    values = strings(message, key)
    return values[0] if values else None


def scalar(message: Message, key: str) -> str | None:
    value = message.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, list):  # some CSL-JSON has one-element lists
        value = value[0] if value and isinstance(value[0], str) else None
    if not isinstance(value, str) or not value.strip():
        return None
    return value


def text_value(raw: str | None, *, protect: bool = False) -> Value | None:
    if raw is None:
        return None
    spans = parse_markup(raw)
    plain = "".join(t for t, _ in spans)
    if not plain:
        return None
    return Value(spans_to_latex(spans, protect), plain)


def date_parts(value: object) -> tuple[int, int | None] | None:
    """``(year, month)`` of a Crossref date; None for missing, ``[[null]]`` or garbage."""
    if not isinstance(value, Mapping):
        return None
    parts = value.get("date-parts")
    if not (isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]):
        return None
    year = as_int(parts[0][0])
    if year is None or not 0 < year < 10_000:
        return None
    month = as_int(parts[0][1]) if len(parts[0]) > 1 else None
    if month is not None and not 1 <= month <= 12:
        month = None
    return year, month


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def iso_date(value: object) -> str | None:
    if not isinstance(value, Mapping):
        return None
    stamp = value.get("date-time")
    if isinstance(stamp, str) and re.match(r"^\d{4}-\d{2}-\d{2}", stamp):
        return stamp[:10]
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list):
        numbers = [as_int(p) for p in parts[0][:3]]
        if numbers and numbers[0] is not None:
            kept = []
            for n in numbers:
                if n is None:
                    break
                kept.append(n)
            return "-".join(f"{n:04d}" if i == 0 else f"{n:02d}" for i, n in enumerate(kept))
    return None


DATE_ORDER: Final = ("issued", "published", "published-print", "published-online", "posted")


def chosen_date(message: Message, entry_type: str) -> tuple[int, int | None] | None:
    """The ``(year, month)`` cytobib writes (see "Dates" in the module docstring)."""
    order = ("published-print", *DATE_ORDER) if entry_type == "article" else DATE_ORDER
    for key in order:
        found = date_parts(message.get(key))
        if found is not None:
            return found
    return None


# --- contributors --------------------------------------------------------------------------


@dataclass(frozen=True)
class Contributor:
    name: Name
    suffix: str
    orcid: str | None

    @property
    def plain(self) -> str:
        if isinstance(self.name, str):
            return self.name
        family, given = self.name
        return ", ".join(p for p in (family, self.suffix, given) if p)

    @property
    def latex(self) -> str:
        """BibTeX name syntax: ``{Org}``, ``Family``, ``Family, Given``, ``Family, Jr., Given``."""
        if isinstance(self.name, str):
            return "{" + escape_latex(self.name) + "}"
        family, given = self.name
        return ", ".join(_name_part(p) for p in (family, self.suffix, given) if p)


def names_value(people: Sequence[Contributor]) -> Value | None:
    if not people:
        return None
    return Value(" and ".join(p.latex for p in people), " and ".join(p.plain for p in people))


def _name_part(part: str) -> str:
    """Brace a name part that BibTeX would mis-split (a word "and", a comma)."""
    escaped = escape_latex(part)
    if "," in part or re.search(r"(?i)(^|\s)and(\s|$)", part):
        return "{" + escaped + "}"
    return escaped


def contributors(message: Message, role: str) -> list[Contributor]:
    people = message.get(role)
    if not isinstance(people, list):
        return []
    out: list[Contributor] = []
    for person in people:
        if not isinstance(person, Mapping):
            continue
        family = _clean_name(person.get("family"))
        given = _clean_name(person.get("given"))
        org = _clean_name(person.get("name"))
        name: Name
        if family:
            name = (family, given)
        elif org:
            name = org
        elif given:
            name = (given, "")  # a single-word name deposited as "given"
        else:
            continue  # deposited with neither name
        suffix = _clean_name(person.get("suffix")) if not isinstance(name, str) else ""
        out.append(Contributor(name, suffix, _orcid(person.get("ORCID"))))
    return out


def _clean_name(value: object) -> str:
    return markup_to_text(value) if isinstance(value, str) else ""


def _orcid(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    match = re.search(r"\d{4}-\d{4}-\d{4}-\d{3}[\dXx]", value)
    return f"https://orcid.org/{match.group(0).upper()}" if match else None
