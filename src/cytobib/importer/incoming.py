"""What the readers produce (one :class:`Incoming` per entry or record), and the reading steps
BibTeX and RIS share: Zotero's Extra lines, its auto-notes, and cytobib's own note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cytobib import merge, zotero_note
from cytobib.zotero_note import NoteContent

FORMATS = ("bibtex", "ris")

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# cytobib's own retraction line, as its exports write it at the head of a note: the
# retraction check owns that flag, so an import drops the line.
STATUS_LINE = re.compile(
    r"^(?:RETRACTED|EXPRESSION OF CONCERN|CORRECTED)\."
    r"(?: Notice:(?: doi:\S+?)?(?:;? ?\d{4}-\d{2}-\d{2})?(?:;? ?source: [^.\n]*)?)?"
    r"(?:\.\s+|\.?(?:\n|$))"
)

# Zotero's Extra: "Label: value" lines it knows, and lines other tools leave there.
_EXTRA_LINE = re.compile(r"^\s*([A-Za-z][\w .-]*?)\s*:\s*(.*?)\s*$")
_EXTRA_IDS = {"pmid": "pmid", "pmcid": "pmcid", "doi": "doi", "issn": "issn", "isbn": "isbn"}
# Better BibTeX's "tex.field: value" (or "tex.field= value") and the "Type: Journal Article"
# that EndNote/PubMed imports leave in Extra: Zotero's own bookkeeping, never a note.
_TEX_LINE = re.compile(r"^\s*tex\.([a-z][a-z0-9_-]*)\s*[:=]\s*(.*?)\s*$", re.IGNORECASE)
_TYPE_LINE = re.compile(r"^\s*type\s*:\s*\S", re.IGNORECASE)
_SAFE_FIELD = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")
# Zotero's BibTeX import keeps {\textasciitilde}, {\textbackslash}... as the words; its exports
# then write them as text ("\textasciitilde"). No text means those words: they are the
# characters cytobib wrote.
_KEPT_WORDS = {"textasciitilde": "~", "textbackslash": "\\", "textbraceleft": "{",
               "textbraceright": "}", "textdollar": "$"}  # fmt: skip
_KEPT_TEXT = re.compile(r"\\(" + "|".join(_KEPT_WORDS) + r")")
_KEPT_LATEX = re.compile(r"\{\\textbackslash\}(" + "|".join(_KEPT_WORDS) + r")")
_OTHERS = re.compile(r"\s+and\s+\{others\}\s*$")


@dataclass(frozen=True)
class Incoming:
    """One work from the import file: BibTeX fields (LaTeX, as library.bib stores them), its
    tags as the file lists them, its free-text notes (plain text) and cytobib's note on it."""

    key: str
    type: str
    fields: Mapping[str, str]
    notes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cytobib: NoteContent | None = None
    where: str = ""  # "file:line" or "file, record N", for messages

    @property
    def doi(self) -> str:
        return norm_doi(self.fields.get("doi", ""))

    @property
    def pmid(self) -> str:
        value = self.fields.get("pmid", "").strip()
        return value if value.isdigit() else ""


def repair_text(text: str) -> str:
    """Text from a Zotero export with the words Zotero kept for cytobib's ``~ \\ { }`` turned
    back into those characters."""
    return _KEPT_TEXT.sub(lambda m: _KEPT_WORDS[m.group(1)], text) if "\\text" in text else text


def repair_latex(value: str) -> str:
    """:func:`repair_text` for a BibTeX value as Zotero's BibTeX export writes it
    (``{\\textbackslash}textasciitilde`` -> ``{\\textasciitilde}``)."""
    return _KEPT_LATEX.sub(r"{\\\1}", value) if "textbackslash}" in value else value


def others(names: str) -> str:
    """A name list ending in Zotero's ``{others}`` (a creator it made of BibTeX's ``and
    others``) as BibTeX's ``and others``."""
    return _OTHERS.sub(" and others", names) if "{others}" in names else names


def norm_doi(value: str) -> str:
    """The comparison form of a DOI field: LaTeX escapes undone, no resolver, lower case."""
    return merge.normalise("doi", value) if value.strip() else ""


@dataclass
class Extra:
    """Zotero's Extra read line by line: what goes to fields, and the lines that are a note."""

    key: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    note_lines: list[str] = field(default_factory=list)


def read_extra(lines: Iterable[tuple[str, str]]) -> Extra:
    """``(raw, decoded)`` lines of Extra (BibTeX ``note`` from Zotero, RIS ``M2``): identifier
    lines (``Citation Key:``, ``PMID:``, ``PMCID:``, ``DOI:``...) and ``tex.field:`` lines go to
    their fields, ``Type: …`` lines are dropped, the rest is kept as the note (raw)."""
    out = Extra()
    for raw, text in lines:
        if not text.strip():
            continue
        tex = _TEX_LINE.match(text)
        if tex:
            name = tex.group(1).lower()
            if _SAFE_FIELD.match(name) and tex.group(2):
                out.fields.setdefault(name, tex.group(2))
            continue
        if _TYPE_LINE.match(text):
            continue
        found = _EXTRA_LINE.match(text)
        label = found.group(1).strip().lower() if found else ""
        if found and label == "citation key" and found.group(2):
            out.key = out.key or found.group(2)
        elif found and label in _EXTRA_IDS and found.group(2):
            out.fields.setdefault(_EXTRA_IDS[label], found.group(2))
        else:
            out.note_lines.append(raw)
    return out


def auto_note(text: str) -> Extra | None:
    """The fields of a note made only of Zotero's bookkeeping lines (``Type: Journal Article``,
    ``tex.…``, identifier lines: what Zotero turned an Extra into), or None for a real note."""
    lines = [line for line in text.split("\n") if line.strip()]
    extra = read_extra((line, line) for line in lines)
    return extra if lines and not extra.note_lines else None


@dataclass(frozen=True)
class Notes:
    """A work's notes split: cytobib's note (the first one found), the free-text rest, and
    the fields of notes that were only Zotero's bookkeeping."""

    cytobib: NoteContent | None
    free: tuple[str, ...]
    extra: Extra


def split_notes(texts: Iterable[str]) -> Notes:
    """Plain-text notes -> cytobib's note and the others; status lines and auto-notes dropped."""
    found: NoteContent | None = None
    free: list[str] = []
    extra = Extra()
    for text in texts:
        part = zotero_note.find(text)
        if part.note is not None and found is None:
            found = part.note
            pieces = [part.before, part.after]
        else:
            pieces = [text]
        for raw in pieces:
            piece = "\n".join(line.rstrip() for line in raw.strip().split("\n"))
            match = STATUS_LINE.match(piece)
            if match:
                piece = piece[match.end() :].strip()
            auto = auto_note(piece) if piece else None
            if auto is not None:
                extra.key = extra.key or auto.key
                for name, value in auto.fields.items():
                    extra.fields.setdefault(name, value)
            elif piece:
                free.append(piece)
    return Notes(found, tuple(free), extra)
