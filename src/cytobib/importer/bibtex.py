"""Reading a BibTeX or BibLaTeX file (Zotero's, cytobib's, anyone's) into works to import.

Zotero's repeated ``annote`` fields are merged by :mod:`cytobib.bibfile` (a blank line apart);
each part is a note, and the one starting with cytobib's marker is cytobib's note on the work
(:mod:`cytobib.zotero_note`). The ``note`` field is Zotero's Extra when Zotero wrote the file:
identifier lines go to fields (``Citation Key:`` is the key), ``tex.*`` lines to their fields,
``Type: …`` lines are dropped, cytobib's note lines (the CSL-JSON route) are read as its note,
and what remains is the entry's note. BibLaTeX forms (``date``, ``journaltitle``,
``eprinttype = pubmed``, ``@thesis``, ``@report``) become the BibTeX fields a library.bib uses;
``keywords`` are the work's tags (a braced ``{Muscle, Skeletal}`` stays whole).
"""

from __future__ import annotations

import re
from functools import partial

from cytobib import bibfile, latex
from cytobib.exports import split_keywords
from cytobib.importer.incoming import (
    MONTHS,
    STATUS_LINE,
    Incoming,
    others,
    read_extra,
    repair_latex,
    repair_text,
    split_notes,
)
from cytobib.model import Entry, Issue

# Fields that are notes or tags, or that the reading below turns into other fields.
_NOTE_FIELDS = ("annote", "annotation", "comment", "review", "notes")
_DROPPED_FIELDS = frozenset({"update-status", "keywords", "keyword", "eprint", "eprinttype",
                             "date", "addendum", *_NOTE_FIELDS})  # fmt: skip
# BibLaTeX names -> the BibTeX names a library.bib uses.
_RENAMED_FIELDS = {"journaltitle": "journal", "location": "address", "issue": "number"}
_PARAGRAPHS = re.compile(r"\n\s*\n")
# A thesis's `type` that only restates the entry type (Zotero's "PhD Thesis", BibLaTeX keys).
_THESIS_KIND = re.compile(
    r"^\s*(?:(?:ph\.?\s?d\.?|master'?s?)\s*thesis|phdthesis|mathesis|mastersthesis)\s*$",
    re.IGNORECASE,
)


def read_bibtex(source: bibfile.BibText) -> tuple[list[Incoming], list[Issue]]:
    """Every entry of a decoded file, and the parser's issues."""
    parsed = bibfile.parse(source)
    return [from_bibtex(e, source.path) for e in parsed.entries], list(parsed.issues)


_LINE = "\ue000"  # a private-use character: stands for a line break while decoding
# Zotero's BibTeX export turns a note's literal <b>, <i>, <sup>, <sub> into LaTeX markup
# (BibTeX.js mapHTMLmarkup); a note is text, so they are read back as those characters.
_MARKUP = [
    (re.compile(r"\\textbf\{([^{}]*)\}"), r"<b>\1</b>"),
    (re.compile(r"\\textit\{([^{}]*)\}"), r"<i>\1</i>"),
    (re.compile(r"\$\^\{\\textrm\{([^{}]*)\}\}\$"), r"<sup>\1</sup>"),
    (re.compile(r"\$_\{\\textrm\{([^{}]*)\}\}\$"), r"<sub>\1</sub>"),
]


def _plain(value: str) -> str:
    """A note's LaTeX as text, line breaks kept and ``--`` left as typed (Zotero writes its
    notes' text with only the specials escaped)."""
    if "\\text" in value or "$" in value:
        for pattern, html_form in _MARKUP:
            value = pattern.sub(partial(_markup, html_form), value)
    if "\n" not in value:
        return repair_text(latex.to_text(value, ligatures=False))
    text = latex.to_text(value.replace("\n", _LINE), ligatures=False)
    return "\n".join(line.strip() for line in repair_text(text).split(_LINE))


def _markup(html_form: str, match: re.Match[str]) -> str:
    """One piece of Zotero's LaTeX markup as its HTML, escaped so the decoder keeps it text."""
    text = match.expand(html_form)
    return text.replace("<", "{\\textless}").replace(">", "{\\textgreater}")


def from_bibtex(entry: Entry, path: str = "") -> Incoming:
    """A parsed BibTeX/BibLaTeX entry (Zotero's, cytobib's, anyone's) as a work to import."""
    raw = {name: repair_latex(value) for name, value in entry.fields.items()}
    for name in ("author", "editor"):
        if name in raw:
            raw[name] = others(raw[name])
    texts = [
        _plain(part)
        for name in _NOTE_FIELDS
        for part in _PARAGRAPHS.split(raw.get(name, ""))
        if part.strip()
    ]
    fields: dict[str, str] = {}
    for name, value in raw.items():
        if name in _DROPPED_FIELDS or not value.strip():
            continue
        fields.setdefault(_RENAMED_FIELDS.get(name, name), value)
    _biblatex_forms(raw, fields)
    _issn_filed_as_isbn(fields)
    kind = _bibtex_type(entry.type.lower(), raw, fields)
    key, note_texts = _read_note_field(fields)
    notes = split_notes([*note_texts, *texts])
    for name, value in notes.extra.fields.items():
        fields.setdefault(name, value)
    _addendum(raw.get("addendum", ""), fields)
    tags = tuple(split_keywords(raw.get("keywords", "") or raw.get("keyword", "")))
    where = f"{path}:{entry.line}" if path else ""
    return Incoming(
        key or notes.extra.key or entry.key,
        kind,
        fields,
        notes.free,
        tags,
        notes.cytobib,
        where=where,
    )


_ISSN = re.compile(r"\d{4}-?\d{3}[\dXx]")


def _issn_filed_as_isbn(fields: dict[str, str]) -> None:
    """An ISSN in ``isbn`` is an ISSN: Zotero's RIS import files a conference paper's or
    book's ``SN`` as its ISBN, and its BibTeX export then writes ``isbn = 1051-4651``. No ISBN
    has that shape (10 or 13 digits)."""
    isbn = fields.get("isbn", "").strip()
    if _ISSN.fullmatch(isbn) and not fields.get("issn"):
        fields["issn"] = fields.pop("isbn")


def _read_note_field(fields: dict[str, str]) -> tuple[str, list[str]]:
    """``note`` as Zotero's Extra (see the module docstring): sets fields and the remaining
    ``note``; returns the citation key found there and cytobib's note lines, if any."""
    note = fields.pop("note", "").strip()
    match = STATUS_LINE.match(note)  # the line is ASCII, so it matches the raw value too
    if match:
        note = note[match.end() :].strip()
    if not note:
        return "", []
    lines = note.split("\n")
    decoded = _plain(note).split("\n")  # line for line (cytobib's note lines among them)
    start = next((i for i, d in enumerate(decoded) if d.startswith("cytobib: v")), len(lines))
    extra = read_extra(zip(lines[:start], decoded[:start], strict=True))
    for name, value in extra.fields.items():
        fields.setdefault(name, value)
    if extra.note_lines:
        fields["note"] = "\n".join(extra.note_lines).strip()
    return extra.key, ["\n".join(decoded[start:])] if start < len(lines) else []


def _addendum(value: str, fields: dict[str, str]) -> None:
    """cytobib's BibLaTeX export puts a retraction line (dropped here) and, when ``note`` holds
    the PMCID, the entry's own note in ``addendum``; another file's addendum stays one."""
    text = value.strip()
    match = STATUS_LINE.match(text)
    if match:
        text = text[match.end() :].strip()
    if text:
        fields.setdefault("note" if "note" not in fields else "addendum", text)


def _biblatex_forms(raw: dict[str, str], fields: dict[str, str]) -> None:
    """BibLaTeX's PubMed ``eprint`` and ISO ``date`` (cytobib's own BibLaTeX export among
    them) as ``pmid``, ``year`` and ``month``."""
    if raw.get("eprinttype", "").strip().lower() == "pubmed" and raw.get("eprint", "").strip():
        fields.setdefault("pmid", raw["eprint"].strip())
    elif raw.get("eprint", "").strip():
        fields.setdefault("eprint", raw["eprint"])
        if raw.get("eprinttype", "").strip():
            fields.setdefault("eprinttype", raw["eprinttype"])
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
    elif kind in ("phdthesis", "mastersthesis") and _THESIS_KIND.match(
        latex.to_text(fields.get("type", ""))
    ):
        fields.pop("type")  # Zotero's "PhD Thesis": what the entry type says already
    elif kind in ("report", "techreport"):
        kind = "techreport"
        if fields.get("type", "").strip() == "techreport":  # BibLaTeX's key, via Zotero too
            fields.pop("type")
    return kind
