"""Reading a BibTeX or BibLaTeX file (Zotero's, cytobib's, anyone's) into works to import.

Zotero's repeated ``annote`` fields are merged by :mod:`cytobib.bibfile`; BibLaTeX forms
(``date``, ``journaltitle``, ``eprinttype = pubmed``, ``@thesis``, ``@report``) become the
BibTeX fields a library.bib uses; notes and keywords are kept apart for the annotation.
"""

from __future__ import annotations

import re

from cytobib import bibfile, latex
from cytobib.importer.incoming import MONTHS, STATUS_LINE, Incoming
from cytobib.model import Entry, Issue

# Fields that are notes or tags (they go to the annotation), or that are local to one machine.
_NOTE_FIELDS = ("annote", "annotation", "comment", "review", "notes")
_DROPPED_FIELDS = frozenset({"file", "addendum", "update-status", "keywords", "keyword",
                             "eprint", "eprinttype", "date", *_NOTE_FIELDS})  # fmt: skip
# BibLaTeX names -> the BibTeX names a library.bib uses.
_RENAMED_FIELDS = {"journaltitle": "journal", "location": "address", "issue": "number"}

_EXTRA_LINE = re.compile(r"^\s*([A-Za-z][\w .-]*?):\s*(.+?)\s*$")
_EXTRA_FIELDS = {"pmid": "pmid", "pmcid": "pmcid", "doi": "doi", "issn": "issn", "isbn": "isbn"}


def read_bibtex(source: bibfile.BibText) -> tuple[list[Incoming], list[Issue]]:
    """Every entry of a decoded file, and the parser's issues."""
    parsed = bibfile.parse(source)
    return [from_bibtex(e, source.path) for e in parsed.entries], list(parsed.issues)


def from_bibtex(entry: Entry, path: str = "") -> Incoming:
    """A parsed BibTeX/BibLaTeX entry (Zotero's, cytobib's, anyone's) as a work to import."""
    raw = dict(entry.fields)
    notes = tuple(raw[n] for n in _NOTE_FIELDS if raw.get(n, "").strip())
    tags = tuple(split_tags(latex.to_text(raw.get("keywords", "") or raw.get("keyword", ""))))
    fields: dict[str, str] = {}
    for name, value in raw.items():
        if name in _DROPPED_FIELDS or not value.strip():
            continue
        fields.setdefault(_RENAMED_FIELDS.get(name, name), value)
    _biblatex_forms(raw, fields)
    kind = _bibtex_type(entry.type.lower(), raw, fields)
    note = _clean_note(fields.pop("note", ""), fields)
    if note:
        fields["note"] = note
    where = f"{path}:{entry.line}" if path else ""
    return Incoming(entry.key, kind, fields, notes, tags, html=False, where=where)


def _biblatex_forms(raw: dict[str, str], fields: dict[str, str]) -> None:
    """BibLaTeX's PubMed ``eprint`` and ISO ``date`` (cytobib's own BibLaTeX export among
    them) as ``pmid``, ``year`` and ``month``."""
    if raw.get("eprinttype", "").strip().lower() == "pubmed" and raw.get("eprint", "").strip():
        fields.setdefault("pmid", raw["eprint"].strip())
    date = re.match(r"^\s*(\d{4})(?:-(\d{2}))?", raw.get("date", ""))
    if date:
        fields.setdefault("year", date.group(1))
        if date.group(2) and 1 <= int(date.group(2)) <= 12 and "month" not in fields:
            fields["month"] = MONTHS[int(date.group(2)) - 1]


def _bibtex_type(kind: str, raw: dict[str, str], fields: dict[str, str]) -> str:
    """BibLaTeX's ``@thesis`` and ``@report`` as BibTeX's types (their ``type`` field read)."""
    if kind == "thesis":
        kind = "mastersthesis" if raw.get("type", "").strip() == "mathesis" else "phdthesis"
        fields.pop("type", None)
        if "institution" in fields:
            fields.setdefault("school", fields.pop("institution"))
    elif kind == "report":
        kind = "techreport"
        if fields.get("type", "").strip() == "techreport":
            fields.pop("type")
    return kind


def _clean_note(note: str, fields: dict[str, str]) -> str:
    """Drop cytobib's own retraction line; read Zotero's Extra (``PMID: 123`` lines) into
    fields. What remains is a real note and is kept ("Erratum in: ..." stays a note)."""
    note = note.strip()
    match = STATUS_LINE.match(note)  # the line is ASCII, so it matches the raw value too
    if match:
        note = note[match.end() :].strip()
    if not note:
        return ""
    lines = [line for line in note.splitlines() if line.strip()]
    labelled = [_EXTRA_LINE.match(latex.to_text(line)) for line in lines]
    labels = [m.group(1).strip().lower() if m else "" for m in labelled]
    for found, label in zip(labelled, labels, strict=True):
        if found and label in _EXTRA_FIELDS:
            fields.setdefault(_EXTRA_FIELDS[label], found.group(2).strip())
    # Only a note made of nothing but such identifier lines is Zotero's Extra, not a note.
    if all(label in _EXTRA_FIELDS or label == "citation key" for label in labels):
        return ""
    return note


def split_tags(value: str) -> list[str]:
    """A keywords field as tags (comma, semicolon or line separated)."""
    return [t.strip() for t in re.split(r"[,;\n]", value) if t.strip()]
