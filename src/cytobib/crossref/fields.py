r"""From a Crossref work ``message`` to BibTeX fields, declaratively.

:func:`map_work` turns the JSON of ``GET /works/{doi}`` into a :class:`MappedWork`: an entry
type, BibTeX field values ready to be written inside braces (``fields``), the same values as
clean text (``plain``), the contributors, and the retraction/correction status. The rules are
the tables below (:data:`ENTRY_TYPES`, :data:`FIELD_RULES`); each was written against a
recorded response in ``shared/fixtures/crossref/`` (``shared/docs/crossref-api.md`` §7).

Entry types: ``journal-article`` → article; ``book-chapter``/``book-part``/``book-section``/
``reference-entry`` → incollection; ``proceedings-article`` → inproceedings; books → book;
``report`` → techreport; ``dissertation`` → phdthesis (Crossref does not say which degree);
everything else (``posted-content``, ``dataset``, ``component``...) → misc.

Fields (``FIELD_RULES``, in output order):

=============  =====================================================  ===========================
Field          From                                                   Only for
=============  =====================================================  ===========================
author         ``author[]``: ``Family, Given``; family only;                 (all)
               organisations (``name``) as ``{Org Name}``
editor         ``editor[]``                                           incollection,
                                                                      inproceedings, book
                                                                      (a journal's "editor" is
                                                                      the handling editor)
title          ``title[0]``; ``<i>``/``<b>``/``<sub>``/``<sup>``/      (all)
               small caps kept as ``\textit{}`` etc.; MathML as text;
               acronyms, mixed case, Greek, single capitals braced
journal        ``container-title[0]``                                 article
shortjournal   ``short-container-title[0]`` when it differs           article
booktitle      ``container-title[0]``, else ``event.name``            incollection, inproceedings
year, month    see "Dates" below; month as ``jan``..``dec``           (all)
volume         ``volume``                                             (all)
number         ``issue``                                              (all)
pages          ``page`` with ranges as ``--`` (``1-1`` → ``1``);       (all)
               else ``article-number``
doi            ``DOI``, lower-cased, verbatim                         (all)
issn, isbn     ``issn-type``/``isbn-type`` print first, then          (all)
               electronic, then ``ISSN[]``/``ISBN[]``; comma-separated
publisher      ``publisher``                                          (all)
address        ``publisher-location``, else ``event.location``        (all; event: inproceedings)
institution    ``institution[0].name``, else ``publisher``            techreport
school         ``institution[0].name``, else ``publisher``            phdthesis
howpublished   ``institution[0].name``, else ``group-title``          misc
note           ``Preprint`` for posted-content (subtype preprint or   misc
               none), its subtype otherwise; ``Dataset``...
url            ``resource.primary.URL`` or ``URL``                    only works without a DOI
abstract       ``abstract`` (JATS): text, section titles run in,      (all)
               a leading "Abstract" heading dropped
=============  =====================================================  ===========================

``pmid`` is never produced: Crossref has none. ``doi`` and ``url`` are verbatim fields
(biblatex, hyperref): they are not LaTeX-escaped; only ``{``, ``}`` and ``\`` are
percent-encoded so braces stay balanced. Every other value is escaped: ``& % $ # _`` get a
backslash, ``{ } ~ ^ \`` become ``\textbraceleft{}`` and friends (a ``\{`` would unbalance
BibTeX's brace counting), Unicode letters stay UTF-8.

Dates: for ``article`` entries the year (and month) come from ``published-print`` when it has
a year, because the volume belongs to the print year (an online-first paper of 2020 in volume
74 (2021) is cited as 2021); otherwise from ``issued`` (Crossref: the earliest of print and
online). When those are missing or ``[[null]]``, ``published``, ``published-print``,
``published-online`` and ``posted`` are tried; if none has a year there is no year field.
Month and year always come from the same date.

Markup and escaping: :mod:`cytobib.crossref.markup`; update status:
:mod:`cytobib.crossref.updates`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from cytobib.crossref.markup import escape_latex, markup_to_text, verbatim
from cytobib.crossref.message import (
    Message,
    Name,
    Value,
    chosen_date,
    contributors,
    first,
    names_value,
    scalar,
    strings,
    text_value,
)
from cytobib.crossref.updates import most_severe, update_statuses
from cytobib.doi import normalize_doi
from cytobib.model import UpdateStatus


@dataclass(frozen=True)
class MappedWork:
    """A Crossref work as BibTeX: entry type, LaTeX-safe ``fields`` and their ``plain`` text.

    ``plain`` has the same keys as ``fields`` plus ``subtitle`` and ``orcid`` (``Family,
    Given: https://orcid.org/...`` joined by ``; ``) when present.
    """

    doi: str | None
    entry_type: str
    fields: dict[str, str]
    plain: dict[str, str]
    authors: tuple[Name, ...] = ()
    editors: tuple[Name, ...] = ()
    update_status: UpdateStatus | None = None
    updates: tuple[UpdateStatus, ...] = ()
    crossref_type: str | None = None
    orcids: tuple[str | None, ...] = field(default=(), repr=False)


ENTRY_TYPES: Final[Mapping[str, str]] = {
    "journal-article": "article",
    "book-chapter": "incollection",
    "book-part": "incollection",
    "book-section": "incollection",
    "book-track": "incollection",
    "reference-entry": "incollection",
    "proceedings-article": "inproceedings",
    "book": "book",
    "edited-book": "book",
    "monograph": "book",
    "reference-book": "book",
    "book-set": "book",
    "proceedings": "proceedings",
    "report": "techreport",
    "report-component": "techreport",
    "dissertation": "phdthesis",
}
"""Crossref ``type`` → BibTeX entry type; anything not listed is ``misc``."""

_NOTES: Final[Mapping[str, str]] = {
    "dataset": "Dataset",
    "peer-review": "Peer review",
    "component": "Component",
    "standard": "Standard",
}
_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_EDITED: Final = frozenset({"incollection", "inproceedings", "book", "proceedings"})


@dataclass(frozen=True)
class _Work:
    """What a rule sees: the message and the entry type already decided."""

    message: Message
    entry_type: str


@dataclass(frozen=True)
class FieldRule:
    """One row of the mapping: a BibTeX field, where it comes from, which entry types get it."""

    field: str
    source: str
    get: Callable[[_Work], Value | None]
    types: frozenset[str] | None = None


def _authors(work: _Work) -> Value | None:
    return names_value(contributors(work.message, "author"))


def _editors(work: _Work) -> Value | None:
    return names_value(contributors(work.message, "editor"))


def _title(work: _Work) -> Value | None:
    title = first(work.message, "title") or first(work.message, "original-title")
    return text_value(title, protect=True)


def _journal(work: _Work) -> Value | None:
    return text_value(first(work.message, "container-title"))


def _short_journal(work: _Work) -> Value | None:
    short = text_value(
        first(work.message, "short-container-title") or first(work.message, "container-title-short")
    )
    full = _journal(work)
    if short is None or (full is not None and short.plain.casefold() == full.plain.casefold()):
        return None
    return short


def _event(work: _Work, key: str) -> str | None:
    event = work.message.get("event")
    if isinstance(event, Mapping):
        value = event.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _booktitle(work: _Work) -> Value | None:
    title = first(work.message, "container-title")
    if title is None and work.entry_type == "inproceedings":
        title = _event(work, "name")
    return text_value(title, protect=True)


def _year(work: _Work) -> Value | None:
    date = chosen_date(work.message, work.entry_type)
    return Value(str(date[0]), str(date[0])) if date else None


def _month(work: _Work) -> Value | None:
    date = chosen_date(work.message, work.entry_type)
    if date is None or date[1] is None:
        return None
    name = _MONTHS[date[1] - 1]
    return Value(name, name)


def _plain_field(key: str) -> Callable[[_Work], Value | None]:
    def get(work: _Work) -> Value | None:
        return text_value(scalar(work.message, key))

    get.__name__ = f"_{key}"
    return get


_RANGE = re.compile(r"(?<=[0-9A-Za-z])\s*[-‐‑–—]+\s*(?=[0-9A-Za-z])")
_ONE_RANGE = re.compile(r"^\s*([^\s\-‐‑–—]+)\s*[-‐‑–—]+\s*([^\s\-‐‑–—]+)\s*$")


def _pages(work: _Work) -> Value | None:
    page = scalar(work.message, "page")
    if page is None:
        return text_value(scalar(work.message, "article-number"))
    page = markup_to_text(page)
    single = _ONE_RANGE.match(page)
    if single and single.group(1) == single.group(2):
        page = single.group(1)
    latex = escape_latex(_RANGE.sub("--", page))
    return Value(latex, _RANGE.sub("–", page)) if page else None


def _doi(work: _Work) -> Value | None:
    raw = scalar(work.message, "DOI")
    if raw is None:
        return None
    try:
        doi = normalize_doi(raw)
    except ValueError:
        doi = raw.strip().lower()
    return Value(verbatim(doi), doi)


def _typed_ids(message: Message, typed_key: str, plain_key: str) -> list[str]:
    """Identifiers print first, then electronic, then any others, without repeats."""
    order = {"print": 0, "pissn": 0, "electronic": 1, "eissn": 1}
    typed: list[tuple[int, str]] = []
    entries = message.get(typed_key)
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(entry.get("value"), str):
                typed.append((order.get(str(entry.get("type")), 2), entry["value"]))
    values = [v for _, v in sorted(typed, key=lambda t: t[0])] + strings(message, plain_key)
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def _issn(work: _Work) -> Value | None:
    ids = _typed_ids(work.message, "issn-type", "ISSN")
    return Value(escape_latex(", ".join(ids)), ", ".join(ids)) if ids else None


def _isbn(work: _Work) -> Value | None:
    ids = _typed_ids(work.message, "isbn-type", "ISBN")
    return Value(escape_latex(", ".join(ids)), ", ".join(ids)) if ids else None


def _address(work: _Work) -> Value | None:
    location = scalar(work.message, "publisher-location")
    if location is None and work.entry_type == "inproceedings":
        location = _event(work, "location")
    return text_value(location)


def _institution_name(message: Message) -> str | None:
    institutions = message.get("institution")
    if isinstance(institutions, list):
        for inst in institutions:
            if isinstance(inst, Mapping) and isinstance(inst.get("name"), str):
                return str(inst["name"])
    return None


def _institution(work: _Work) -> Value | None:
    return text_value(_institution_name(work.message) or scalar(work.message, "publisher"))


def _howpublished(work: _Work) -> Value | None:
    return text_value(_institution_name(work.message) or scalar(work.message, "group-title"))


def _note(work: _Work) -> Value | None:
    kind = work.message.get("type")
    if kind == "posted-content":
        subtype = work.message.get("subtype")
        if not isinstance(subtype, str) or subtype in ("", "preprint"):
            note = "Preprint"
        elif subtype == "other":
            note = "Posted content"
        else:
            note = subtype.replace("_", " ").replace("-", " ").capitalize()
        return Value(escape_latex(note), note)
    other = _NOTES.get(str(kind))
    return Value(other, other) if other else None


def _url(work: _Work) -> Value | None:
    if scalar(work.message, "DOI"):
        return None  # the DOI is the link
    resource = work.message.get("resource")
    url = None
    if isinstance(resource, Mapping) and isinstance(resource.get("primary"), Mapping):
        url = resource["primary"].get("URL")
    url = url if isinstance(url, str) and url.strip() else scalar(work.message, "URL")
    return Value(verbatim(url), url.strip()) if url else None


def _abstract(work: _Work) -> Value | None:
    return text_value(scalar(work.message, "abstract"))


_ALL = None
FIELD_RULES: Final[tuple[FieldRule, ...]] = (
    FieldRule("author", "author[]", _authors, _ALL),
    FieldRule("editor", "editor[]", _editors, _EDITED),
    FieldRule("title", "title[0]", _title, _ALL),
    FieldRule("journal", "container-title[0]", _journal, frozenset({"article"})),
    FieldRule("shortjournal", "short-container-title[0]", _short_journal, frozenset({"article"})),
    FieldRule(
        "booktitle",
        "container-title[0] | event.name",
        _booktitle,
        frozenset({"incollection", "inproceedings"}),
    ),
    FieldRule("year", "published-print (article) | issued", _year, _ALL),
    FieldRule("month", "same date as year", _month, _ALL),
    FieldRule("volume", "volume", _plain_field("volume"), _ALL),
    FieldRule("number", "issue", _plain_field("issue"), _ALL),
    FieldRule("pages", "page | article-number", _pages, _ALL),
    FieldRule("doi", "DOI", _doi, _ALL),
    FieldRule("issn", "issn-type | ISSN", _issn, _ALL),
    FieldRule("isbn", "isbn-type | ISBN", _isbn, _ALL),
    FieldRule("publisher", "publisher", _plain_field("publisher"), _ALL),
    FieldRule("address", "publisher-location | event.location", _address, _ALL),
    FieldRule(
        "institution", "institution[0].name | publisher", _institution, frozenset({"techreport"})
    ),
    FieldRule("school", "institution[0].name | publisher", _institution, frozenset({"phdthesis"})),
    FieldRule(
        "howpublished", "institution[0].name | group-title", _howpublished, frozenset({"misc"})
    ),
    FieldRule("note", "type / subtype", _note, frozenset({"misc"})),
    FieldRule("url", "resource.primary.URL | URL (no DOI only)", _url, _ALL),
    FieldRule("abstract", "abstract (JATS)", _abstract, _ALL),
)
"""The mapping, in output order. ``types`` None means every entry type."""


# -------------------------------------------------------------------------------------------
# map_work
# -------------------------------------------------------------------------------------------


def entry_type_for(message: Message) -> str:
    """The BibTeX entry type for a Crossref ``type`` (``misc`` when unknown)."""
    return ENTRY_TYPES.get(str(message.get("type") or ""), "misc")


def map_work(message: Message) -> MappedWork:
    """Map a Crossref work ``message`` (or a whole ``{"message": ...}`` envelope) to BibTeX.

    Never raises on odd data: a missing or malformed part simply gives no field.
    """
    if not isinstance(message, Mapping):
        raise TypeError("map_work expects the JSON object of a Crossref work")
    if isinstance(message.get("message"), Mapping) and "message-type" in message:
        message = message["message"]
    work = _Work(message, entry_type_for(message))
    fields, plain = _apply_rules(work)
    subtitle = text_value(first(message, "subtitle"))
    if subtitle is not None:
        plain["subtitle"] = subtitle.plain
    authors = contributors(message, "author")
    orcids = [f"{a.plain}: {a.orcid}" for a in authors if a.orcid]
    if orcids:
        plain["orcid"] = "; ".join(orcids)
    updates = update_statuses(message, plain.get("title"))
    return MappedWork(
        doi=plain.get("doi"),
        entry_type=work.entry_type,
        fields=fields,
        plain=plain,
        authors=tuple(a.name for a in authors),
        editors=tuple(e.name for e in contributors(message, "editor")),
        update_status=most_severe(updates),
        updates=updates,
        crossref_type=str(message["type"]) if message.get("type") else None,
        orcids=tuple(a.orcid for a in authors),
    )


def _apply_rules(work: _Work) -> tuple[dict[str, str], dict[str, str]]:
    """:data:`FIELD_RULES` over a work: the LaTeX values and their plain text, by field."""
    fields: dict[str, str] = {}
    plain: dict[str, str] = {}
    for rule in FIELD_RULES:
        if rule.types is not None and work.entry_type not in rule.types:
            continue
        value = rule.get(work)
        if value is None or not value.plain:
            continue
        fields[rule.field] = value.latex
        plain[rule.field] = value.plain
    return fields, plain
