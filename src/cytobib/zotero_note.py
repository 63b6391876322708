"""cytobib's note for Zotero: one note per work that every Zotero route brings back, and its reader.

Zotero keeps a child note byte for byte from RIS ``N1`` (HTML) and gives it back through its RIS
export; its BibTeX export keeps only the text, one line per ``&#10;``; its BibTeX import collapses
every whitespace run, newlines included; CSL-JSON ``note`` becomes Extra. The layout here reads
the same after each of these (tests/zotero_sim/NOTE-layout.md has the evidence):

* the marker ``cytobib: v1`` comes first, as visible text with a colon; then the key and the
  identifiers Zotero keeps only in Extra (which its RIS export leaves out);
* every block is ``Label: value`` with a label from a closed vocabulary that names no Zotero
  field and no CSL variable (Zotero desktop moves Extra lines named like a field into it);
* a value never holds a line break, and a label-like ``Word:`` inside a value is written
  ``Word\\u2060:`` (a word joiner, invisible), so a value runs to the next label whether the
  blocks arrive one per line or all on one line;
* nesting is told by the labels (``Evidence:`` belongs to the ``Claim 2:`` before it), never by
  indentation, which every BibTeX route drops.

:func:`blocks` is the one writer (a record -> labelled blocks), :func:`to_html` and
:func:`to_lines` its two spellings, and :func:`read` the one reader (text -> :class:`NoteContent`,
the annotation's fields as YAML-ready data). Exports and ``cytobib import`` use nothing else.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cytobib.annotations import EVIDENCE_LEVELS, STATUSES, STUDY_TYPES
from cytobib.model import SOURCES, Annotation, Record

VERSION = 1
MARKER = "cytobib"
_JOINER = "\u2060"  # WORD JOINER: breaks a label-like "Word:" inside a value, invisibly

# Sections (headings) and the label of their items ("Claim 1"); sub-labels of an item kind.
SECTIONS = {
    "Claims": "Claim",
    "Agents": "Agent",
    "Targets": "Target",
    "Cancers": "Cancer",
    "Caveats": "Caveat",
    "Unconfirmed": "Unconfirmed",
    "Tags": "Tag",
    "Related": "Related",
    "Verified": "Verified",
    "Keywords": "Keyword",
}
SUBS = {
    "Claim": ("Evidence", "Numbers", "Quote", "Quote page", "Origin"),
    "Agent": ("Role", "Dose", "Route"),
    "Caveat": ("Origin",),
    "Verified": ("Link", "Date checked", "Fields checked", "Remark"),
}
FIELDS = (
    "Cite key",
    "Pubmed id",
    "Pmc id",
    "Summary",
    "Study type",
    "Reading status",
    "Priority",
    "Author list",
    "Editor list",
    "Entry note",
    "Bib field",
)
"""Top-level blocks: one value each (``Summary`` once per paragraph, ``Bib field`` per field).
Those after ``Priority`` are about the entry, not the annotation: a note holding only such
blocks makes no annotation."""

CARRIED = ("shortjournal", "publisher", "address", "chapter", "edition", "series",
           "organization", "howpublished")  # fmt: skip
"""library.bib fields some Zotero route drops (Zotero's BibTeX export writes no journal
abbreviation; a journal article has no publisher or place in Zotero, a book section no chapter):
the note keeps them as ``Bib field: name = value``, and an import fills them where missing."""

AND_OTHERS = "and others"

_ITEMS = sorted(set(SECTIONS.values()), key=len, reverse=True)
_WORDS = sorted(
    {MARKER, *FIELDS, *SECTIONS, *(s for subs in SUBS.values() for s in subs)},
    key=len,
    reverse=True,
)
_LABEL_BODY = (
    r"(?:" + "|".join(re.escape(i) for i in _ITEMS) + r") \d+"
    r"|" + "|".join(re.escape(w) for w in _WORDS)
)
# A label starts the text or follows white space, and is followed by white space or the end.
LABEL = re.compile(r"(?:^|(?<=\s))(?P<label>" + _LABEL_BODY + r"):(?=\s|$)")
_MARKER = re.compile(r"(?:^|(?<=\s))" + MARKER + r": v(?P<version>\d+)(?=\s|$)")
_ITEM = re.compile(r"^(?P<kind>" + "|".join(re.escape(i) for i in _ITEMS) + r") (?P<n>\d+)$")
_WS = re.compile(r"\s+")
_LINE_START = re.compile(r"\n[^\S\n]*(?=\S)")


class Block(NamedTuple):
    """One ``Label: value`` of the note; ``depth`` is for HTML only (0 top, 1 item, 2 field).

    An immutable tuple rather than a frozen dataclass: a 10k library makes 340,000 of them."""

    label: str
    value: str = ""
    depth: int = 0


# --- writing ---------------------------------------------------------------------------------


def clean(value: object) -> str:
    """A value as the note holds it: one line, single spaces, label-like words broken."""
    text = str(value)
    plain = text.isprintable() and "  " not in text  # most values: no line break or tab
    text = text.strip() if plain else _WS.sub(" ", text).strip()
    return LABEL.sub(lambda m: m.group("label") + _JOINER + ":", text) if ":" in text else text


def blocks(record: Record, *, keywords: Sequence[str] = (), entry_note: str = "") -> list[Block]:
    """The note of one work: marker, key, the annotation's fields, then what the entry itself
    needs where a route has no place for it (its keywords, its own ``note``, ``and others``).

    ``keywords`` are the entry's tags and ``entry_note`` its decoded ``note`` (the caller
    decodes them, as the exporters already have).
    """
    out = [Block(MARKER, f"v{VERSION}"), Block("Cite key", clean(record.key))]
    entry = record.entry
    # Zotero keeps PMID and PMCID in Extra, which its RIS export leaves out: the note keeps them.
    for label, name in (("Pubmed id", "pmid"), ("Pmc id", "pmcid")):
        if entry.text(name):
            out.append(Block(label, clean(entry.text(name))))
    ann = record.annotation
    if ann is not None:
        out += annotation_blocks(ann)
    if keywords:
        out.append(Block("Keywords"))
        out += [Block(f"Keyword {i}", clean(k), 1) for i, k in enumerate(keywords, 1)]
    if entry.authors and entry.authors[-1].family == "others":
        out.append(Block("Author list", AND_OTHERS))
    if entry.editors and entry.editors[-1].family == "others":
        out.append(Block("Editor list", AND_OTHERS))
    if entry_note.strip():
        out.append(Block("Entry note", clean(entry_note)))
    for name in CARRIED:
        if entry.fields.get(name):
            out.append(Block("Bib field", clean(f"{name} = {entry.text(name)}")))
    return out


def annotation_blocks(ann: Annotation) -> list[Block]:
    """The annotation's fields in the order annotation files list them."""
    out: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", ann.summary.strip()):
        if paragraph.strip():
            out.append(Block("Summary", clean(paragraph)))
    for label, value in (
        ("Study type", ann.study_type),
        ("Reading status", ann.status),
        ("Priority", ann.priority),
    ):
        if value is not None:
            out.append(Block(label, clean(value)))
    if ann.claims:
        out.append(Block("Claims"))
        for i, c in enumerate(ann.claims, 1):
            out.append(Block(f"Claim {i}", clean(c.text), 1))
            subs: tuple[tuple[str, object], ...] = (
                ("Evidence", c.evidence),
                ("Numbers", c.numbers),
                ("Quote", c.quote),
                ("Quote page", c.page),
                ("Origin", c.source),
            )
            out += [Block(k, clean(v), 2) for k, v in subs if v is not None]
    if ann.agents:
        out.append(Block("Agents"))
        for i, a in enumerate(ann.agents, 1):
            out.append(Block(f"Agent {i}", clean(a.name), 1))
            subs = (("Role", a.role), ("Dose", a.dose), ("Route", a.route))
            out += [Block(k, clean(v), 2) for k, v in subs if v is not None]
    out += _list("Targets", ann.targets)
    out += _list("Cancers", ann.cancers)
    if ann.caveats:
        out.append(Block("Caveats"))
        for i, caveat in enumerate(ann.caveats, 1):
            out.append(Block(f"Caveat {i}", clean(caveat), 1))
            source = getattr(caveat, "source", None)
            if source:
                out.append(Block("Origin", clean(source), 2))
    out += _list("Unconfirmed", ann.unconfirmed)
    out += _list("Tags", ann.tags)
    out += _list("Related", ann.related)
    if ann.verified:
        out.append(Block("Verified"))
        for i, v in enumerate(ann.verified, 1):
            out.append(Block(f"Verified {i}", clean(v.get("source", "")), 1))
            fields = v.get("fields")
            subs = (
                ("Link", v.get("url")),
                ("Date checked", v.get("date")),
                (
                    "Fields checked",
                    ", ".join(map(str, fields)) if isinstance(fields, list | tuple) else None,
                ),
                ("Remark", v.get("note")),
            )
            out += [Block(k, clean(x), 2) for k, x in subs if x is not None]
    return out


def _list(section: str, values: Sequence[str]) -> list[Block]:
    if not values:
        return []
    item = SECTIONS[section]
    return [Block(section), *(Block(f"{item} {i}", clean(v), 1) for i, v in enumerate(values, 1))]


def to_lines(note: Iterable[Block]) -> str:
    """Plain text, one ``Label: value`` line per block (BibTeX ``annote``, CSL ``note``)."""
    return "\n".join(f"{b.label}: {b.value}".rstrip() for b in note)


_NL = "&#10;"


def to_html(note: Sequence[Block]) -> str:
    """One physical line of HTML (a RIS ``N1``): headings, paragraphs and nested lists, with
    ``&#10;`` after each block's text so that Zotero's BibTeX export breaks lines there."""

    def text(b: Block) -> str:
        return html.escape(f"{b.label}: {b.value}".rstrip(), quote=False)

    close = ("", "</ul>", "</ul></li></ul>")  # by depth: nothing, a section's list, an item's
    out: list[str] = []
    depth = 0
    for i, b in enumerate(note):
        if b.depth == 0:
            out.append(close[depth])
            depth = 0
            if b.label == MARKER:
                out.append(f"<h2>{text(b)}</h2>{_NL}")
            elif b.label in SECTIONS:
                out.append(f"<h3>{text(b)}</h3>{_NL}<ul>")
                depth = 1
            else:
                out.append(f"<p>{text(b)}</p>{_NL}")
        elif b.depth == 1:
            out.append("</ul></li>" if depth == 2 else "<ul>" if depth == 0 else "")
            if i + 1 < len(note) and note[i + 1].depth == 2:
                out.append(f"<li>{text(b)}{_NL}<ul>")
                depth = 2
            else:
                out.append(f"<li>{text(b)}</li>{_NL}")
                depth = 1
        else:
            out.append(f"<li>{text(b)}</li>{_NL}")
    out.append(close[depth])
    return "".join(out).removesuffix(_NL)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteContent:
    """What a cytobib note says: the annotation (YAML-ready data, None when the note holds only
    housekeeping), the key, and what the entry needs back (keywords, own note, ``and others``)."""

    version: int
    key: str = ""
    pmid: str = ""
    pmcid: str = ""
    annotation: Mapping[str, Any] | None = None
    keywords: tuple[str, ...] | None = None
    entry_note: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    """``Bib field`` blocks: library.bib fields (decoded text) a route may have dropped."""
    authors_truncated: bool = False
    editors_truncated: bool = False
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Found:
    """A text split at cytobib's note: what precedes it, the note, and what follows it."""

    before: str
    note: NoteContent | None
    after: str = ""


_BLOCK_TAG = re.compile(
    r"</?(?:p|div|li|ul|ol|h[1-6]|blockquote|tr|pre|table|dl|dt|dd|br)\b[^>]*>", re.IGNORECASE
)
_OTHER_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9]*\b[^>]*>", re.DOTALL)


def html_text(note: str) -> str:
    """A note's HTML as plain text: one line per block (``<p>``, ``<li>``, headings, ``<br>``),
    other tags and comments dropped, entities decoded (``&#10;`` is a line break)."""
    if "<" in note:
        note = _OTHER_TAG.sub("", _BLOCK_TAG.sub("\n", note))
    if "&" in note:
        note = note.replace("&#10;", "\n")
        if "&" in note:
            note = html.unescape(note)
    lines = (line.strip() for line in note.split("\n"))
    return "\n".join(line for line in lines if line)


def looks_like_html(note: str) -> bool:
    """What Zotero's RIS import tests: anything like a tag makes the value HTML."""
    return re.search(r"<[^>]+>", note) is not None


def find(text: str) -> Found:
    """Split ``text`` (plain text: HTML and LaTeX already decoded) at cytobib's note.

    The note starts at the marker and runs while lines start with a label; on a single line
    (a BibTeX route collapsed it) it runs to the end.
    """
    marker = _MARKER.search(text)
    if marker is None:
        return Found(text, None)
    rest = text[marker.start() :]
    labels = _labels(rest)
    starts = {start for _, start, _ in labels}
    end = len(rest)
    for line in _LINE_START.finditer(rest):  # the first character of each later line
        if line.end() not in starts:  # a line that starts with no label ends the note
            end = line.start() + 1
            break
    note = _content(int(marker.group("version")), rest[:end], [x for x in labels if x[1] < end])
    return Found(text[: marker.start()], note, rest[end:])


def read(text: str) -> NoteContent | None:
    """The note in ``text``, or None when it has no cytobib marker."""
    return find(text).note


_WORD_SET = frozenset(_WORDS)
# What a label can look like (a capitalised word, maybe a lowercase word and a number, or the
# marker) after white space and before ": ": one pass over the text finds the candidates,
# then the vocabulary decides (faster than trying every label at every character).
_CANDIDATE = re.compile(
    r"(?<!\S)([A-Z][a-z]*(?: (?!" + MARKER + r":)[a-z]+)?(?: \d+)?|" + MARKER + r"):(?!\S)"
)


def _labels(text: str) -> list[tuple[str, int, int]]:
    """(label, start, end) of every label in ``text``, as :data:`LABEL` finds them."""
    return [
        (m.group(1), m.start(), m.end())
        for m in _CANDIDATE.finditer(text)
        if m.group(1) in _WORD_SET or _ITEM.match(m.group(1))
    ]


def _split(text: str, found: list[tuple[str, int, int]]) -> list[tuple[str, str]]:
    """(label, value) pairs: a value runs to the next label; word joiners undone."""
    pairs = []
    for (label, _, end), nxt in zip(found, [*found[1:], None], strict=True):
        value = text[end : nxt[1] if nxt else len(text)]
        if "\n" in value or "  " in value or "\t" in value:
            value = " ".join(value.split())
        else:
            value = value.strip()
        if _JOINER in value:
            value = value.replace(_JOINER + ":", ":")
        pairs.append((label, value))
    return pairs


def _content(version: int, text: str, labels: list[tuple[str, int, int]]) -> NoteContent:
    """Rebuild the annotation from the blocks, nesting by label."""
    data: dict[str, Any] = {}
    summary: list[str] = []
    keywords: list[str] | None = None
    key = entry_note = pmid = pmcid = ""
    carried: dict[str, str] = {}
    authors = editors = False
    problems: list[str] = []
    item: dict[str, Any] | None = None  # the claim, agent, caveat... the sub-labels go to
    kind = ""
    for label, value in _split(text, labels):
        numbered = _ITEM.match(label)
        if label == MARKER:
            continue
        if numbered:
            kind = numbered.group("kind")
            item = _new_item(kind, value, data)
            if kind == "Keyword":
                keywords = [*(keywords or []), value]
            continue
        if item is not None and label in SUBS.get(kind, ()):
            _set_sub(kind, item, label, value, problems)
            continue
        item, kind = None, ""
        if label in SECTIONS:
            if label == "Keywords":
                keywords = keywords or []
        elif label == "Cite key":
            key = value
        elif label == "Pubmed id":
            pmid = value
        elif label == "Pmc id":
            pmcid = value
        elif label == "Summary":
            summary.append(value)
        elif label == "Author list":
            authors = value == AND_OTHERS
        elif label == "Editor list":
            editors = value == AND_OTHERS
        elif label == "Entry note":
            entry_note = value
        elif label == "Bib field":
            name, sep, text = value.partition(" = ")
            if sep and name in CARRIED:
                carried.setdefault(name, text)
        elif label in ("Study type", "Reading status"):
            name, allowed = _CHOICES[label]
            if value in allowed:
                data[name] = value
            else:
                problems.append(f"{label.lower()} {value!r} is not one of {', '.join(allowed)}")
        elif label == "Priority":
            if value.isdigit() and 1 <= int(value) <= 5:
                data["priority"] = int(value)
            else:
                problems.append(f"priority {value!r} is not 1-5")
        else:  # a field label outside its item: keep the words in the text before it
            problems.append(f"'{label}:' outside a claim, agent or caveat")
    if summary:
        data = {"summary": "\n\n".join(summary), **data}
    return NoteContent(
        version=version,
        key=key,
        pmid=pmid,
        pmcid=pmcid,
        annotation=_ordered(data) if data else None,
        keywords=tuple(keywords) if keywords is not None else None,
        entry_note=entry_note,
        fields=carried,
        authors_truncated=authors,
        editors_truncated=editors,
        problems=tuple(problems),
    )


_CHOICES = {"Study type": ("study_type", STUDY_TYPES), "Reading status": ("status", STATUSES)}
_LIST_FIELDS = {
    "Target": "targets",
    "Cancer": "cancers",
    "Unconfirmed": "unconfirmed",
    "Tag": "tags",
    "Related": "related",
}


def _new_item(kind: str, value: str, data: dict[str, Any]) -> dict[str, Any] | None:
    if kind == "Claim":
        claim: dict[str, Any] = {"text": value}
        data.setdefault("claims", []).append(claim)
        return claim
    if kind == "Agent":
        agent: dict[str, Any] = {"name": value}
        data.setdefault("agents", []).append(agent)
        return agent
    if kind == "Caveat":
        caveat: dict[str, Any] = {"text": value}
        data.setdefault("caveats", []).append(caveat)
        return caveat
    if kind == "Verified":
        check: dict[str, Any] = {"source": value}
        data.setdefault("verified", []).append(check)
        return check
    if kind in _LIST_FIELDS:
        data.setdefault(_LIST_FIELDS[kind], []).append(value)
    return None


_SUB_KEYS = {
    "Evidence": "evidence",
    "Numbers": "numbers",
    "Quote": "quote",
    "Quote page": "page",
    "Origin": "source",
    "Role": "role",
    "Dose": "dose",
    "Route": "route",
    "Link": "url",
    "Date checked": "date",
    "Remark": "note",
}


def _set_sub(kind: str, item: dict[str, Any], label: str, value: str, problems: list[str]) -> None:
    if label == "Fields checked":
        item["fields"] = [f for f in (p.strip() for p in value.split(",")) if f]
    elif label == "Origin" and value not in SOURCES:
        problems.append(f"origin {value!r} is not one of {', '.join(SOURCES)}")
    elif label == "Evidence" and value not in EVIDENCE_LEVELS:
        problems.append(f"evidence {value!r} is not one of {', '.join(EVIDENCE_LEVELS)}")
    else:
        item[_SUB_KEYS[label]] = value


_ORDER = (
    "summary", "study_type", "status", "priority", "agents", "targets", "cancers", "claims",
    "caveats", "unconfirmed", "tags", "related", "verified",
)  # fmt: skip
_CLAIM_ORDER = ("text", "evidence", "page", "quote", "numbers", "source")


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    """Fields in the order annotation files list them; a caveat without origin as plain text."""
    out = {k: data[k] for k in _ORDER if k in data}
    if "claims" in out:
        out["claims"] = [{k: c[k] for k in _CLAIM_ORDER if k in c} for c in out["claims"]]
    if "caveats" in out:
        out["caveats"] = [c if "source" in c else c["text"] for c in out["caveats"]]
    return out
