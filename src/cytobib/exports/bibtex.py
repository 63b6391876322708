"""BibTeX export: a UTF-8 file that bibtex, biber, pandoc and Zotero read back as the library.

Every value is rebuilt from the decoded text and written with :mod:`cytobib.exports.texenc`:
raw UTF-8, the specials escaped, pairs a reader would join broken (``-{}-``); with
``--ascii`` the characters every reader decodes alike as LaTeX (``P{\\'a}nek``,
``IFN-{$\\lambda$}``), the rest UTF-8 with a warning. Titles are protected with braces
(acronyms, Greek, single capitals; words the user braced in library.bib stay braced). Names are
rebuilt from the parsed people ("Family, Given"; organisations in braces; ``and others`` kept).
DOIs and URLs are written verbatim (percent-encoded where needed), never LaTeX-escaped: styles
print them through ``\\url``.

The classic fields, plus those other readers take from a .bib file: ``doi``, ``url``,
``urldate``, ``issn``, ``isbn``, ``pmid``, ``pmcid``, ``shorttitle``, ``shortjournal``,
``language``, ``abstract``, ``keywords``, ``file``, ``annote`` (bibtex ignores fields its
style does not use; Zotero reads each of them). BibLaTeX-only types and fields (``date``,
``journaltitle``, ``@online``...) are mapped to their BibTeX forms. cytobib's note on the work
(:mod:`cytobib.zotero_note`) goes into one ``annote`` (Zotero makes it a child note; a repeated
field would make bibtex warn), the tags into ``keywords``, a retraction into ``note``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote

from cytobib import latex, zotero_note
from cytobib.exports import (
    ExportOptions,
    one_line,
    record_status_line,
    record_tags,
    summary_note,
    texenc,
    work_note,
)
from cytobib.model import Entry, Person, Record

_MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                 "dec")  # fmt: skip

_BIBTEX_TYPES = frozenset({
    "article", "book", "booklet", "inbook", "incollection", "inproceedings", "manual",
    "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished",
})  # fmt: skip

# BibLaTeX (and Zotero/JabRef) types -> the nearest classic BibTeX type.
_TO_BIBTEX = {
    "conference": "inproceedings", "report": "techreport", "thesis": "phdthesis",
    "online": "misc", "www": "misc", "electronic": "misc", "webpage": "misc",
    "dataset": "misc", "software": "misc", "patent": "misc", "periodical": "misc",
    "collection": "book", "mvbook": "book", "mvcollection": "book", "reference": "book",
    "mvreference": "book", "bookinbook": "inbook", "suppbook": "inbook",
    "inreference": "incollection", "suppcollection": "incollection",
    "mvproceedings": "proceedings",
}  # fmt: skip

# Values of `type` that are BibLaTeX localisation keys, not text to print.
_TYPE_KEYS = frozenset({"phdthesis", "mathesis", "candthesis", "techreport", "resreport",
                        "software", "datacd", "audiocd"})  # fmt: skip

_COMMAND_BEFORE = re.compile(r"\\[A-Za-z]+\s*$")
_AND_WORD = re.compile(r"\band\b", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_URL_WRAPPER = re.compile(r"^\\url\s*\{(.*)\}$", re.DOTALL)
_LATEX_ESCAPED = re.compile(r"\\([_%&#$~])")
_PAGE_DASH = re.compile(r"\s*–\s*")  # library.bib's "--", decoded
# Printable ASCII except the characters that break a BibTeX value or a LaTeX argument.
_URL_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in "{}\\")

HEADER = (
    "% {what} written by cytobib: {count} entries (notes: {notes}; tags: {tags}).\n"
    "% {charset}; regenerate it rather than editing it.\n"
)
_CHARSETS = {
    False: "UTF-8 (pdflatex: \\usepackage[T1]{{fontenc}}, or --ascii)",
    True: "ASCII LaTeX where every reader agrees, UTF-8 elsewhere",
}


# --- values ---------------------------------------------------------------------------------


def verbatim(raw: str, *, doi: bool = False, encode: bool = True) -> str:
    """A DOI or URL as styles expect it: no LaTeX escapes, no spaces, ASCII only.

    ``\\_`` and ``\\%`` written for LaTeX are undone and braces dropped; with ``encode``
    anything outside printable ASCII (and backslashes) is percent-encoded, so the value is the
    same string for bibtex's ``\\url``, biber's verbatim fields and a browser. Formats that are
    not LaTeX (RIS) pass ``encode=False``.
    """
    value = raw.strip()
    wrapped = _URL_WRAPPER.match(value)
    if wrapped:
        value = wrapped.group(1)
    value = value.replace(r"\textasciitilde{}", "~").replace(r"\textasciitilde", "~")
    value = _LATEX_ESCAPED.sub(r"\1", value).replace("{", "").replace("}", "")
    value = re.sub(r"\s+", "", value)
    if doi:
        value = _DOI_PREFIX.sub("", value)
    return quote(value, safe=_URL_SAFE) if encode else value


def pmid(entry: Entry) -> str:
    value = entry.text("pmid").strip()
    return value if value.isdigit() else ""


def date_parts(entry: Entry) -> tuple[str, int | None, int | None]:
    """(year as written, month, day) from ``year``/``month`` or an ISO ``date``."""
    year = entry.text("year")
    month = entry.month
    day = None
    iso = re.match(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", entry.text("date"))
    if iso:
        year = year or iso.group(1)
        if month is None and iso.group(2) and 1 <= int(iso.group(2)) <= 12:
            month = int(iso.group(2))
            if iso.group(3) and 1 <= int(iso.group(3)) <= 31:
                day = int(iso.group(3))
    return year, month, day


def iso_date(value: str) -> str:
    """``2024-03-15`` (or ``2024-03``) from the start of a date value, else ''."""
    match = re.match(r"^\s*(\d{4}-\d{2}(?:-\d{2})?)", value)
    return match.group(1) if match else ""


def _user_protected(raw: str) -> set[str]:
    """Words the user put in braces in a raw title (``{Kaposi}``), excluding ``{\\'e}``-style
    special characters and command arguments such as ``\\emph{...}``."""
    words: set[str] = set()
    depth = 0
    start = 0
    skip = False
    for match in _GROUPING.finditer(raw):  # an escape (\{, \'e, \emph) is no delimiter
        ch = match.group()
        i = match.start()
        if ch == "{":
            if depth == 0:
                start = i + 1
                skip = bool(_COMMAND_BEFORE.search(raw, 0, i)) or raw.startswith("\\", i + 1)
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0 and not skip:
                for word in latex.to_text(raw[start:i]).split():
                    core = latex.word_core(word)[1]
                    if core:
                        words.add(core)
    return words


_GROUPING = re.compile(r"\\.|[{}]", re.DOTALL)
# Titles repeat their words (IL-2, cells, the...): the answer for a word is kept.
_needs_protection = lru_cache(maxsize=65536)(latex.needs_protection)


def balanced(value: str) -> str:
    """A value every reader delimits the same way.

    Text braces arrive escaped (``\\{``), which bibtex still counts and bibtexparser does not;
    a lone one ("see {ref") would end the value early for one of them. Then the escaped braces
    are written as ``{\\textbraceleft}``/``{\\textbraceright}``, which neither counts.
    """
    if "\\{" not in value and "\\}" not in value:
        return value  # no escaped brace: the braces written here balance by construction
    if latex.is_balanced(value, count_escaped=True) and latex.is_balanced(value):
        return value
    return value.replace("\\{", r"{\textbraceleft}").replace("\\}", r"{\textbraceright}")


def render_fields(entry_type: str, key: str, fields: Sequence[tuple[str, str]]) -> str:
    """``@type{key,`` + one ``name = {value},`` line per non-empty field + ``}``.

    Values are balanced (:func:`balanced`); only ``month`` is written as a bare macro.
    """
    kept = [(n, balanced(v)) for n, v in fields if v]
    width = max((len(n) for n, _ in kept), default=0)
    lines = [f"@{entry_type}{{{key},"]
    for name, value in kept:
        shown = value if name == "month" and value in _MONTH_MACROS else "{" + value + "}"
        lines.append(f"  {name.ljust(width)} = {shown},")
    lines.append("}")
    return "\n".join(lines)


class Values:
    """One record's values, encoded for a .bib file (UTF-8 or ``--ascii``)."""

    def __init__(self, record: Record, options: ExportOptions) -> None:
        self.record = record
        self.entry = record.entry
        self.options = options
        self.ascii = options.ascii

    def esc(self, text: str) -> str:
        return texenc.encode(text, ascii=self.ascii)

    def text(self, name: str) -> str:
        """A field decoded and encoded again ('' when absent)."""
        return self.esc(self.entry.text(name))

    def first(self, *names: str) -> str:
        """The first of several fields that has a value."""
        for name in names:
            value = self.text(name)
            if value:
                return value
        return ""

    def pages(self) -> str:
        """Pages with ``--`` between the ends of a range, as styles and biblatex expect."""
        parts = _PAGE_DASH.split(self.entry.text("pages"))
        return "--".join(self.esc(p) for p in parts)

    def title(self, name: str = "title") -> str:
        """A title protected against the case changes of BibTeX styles: the words
        :func:`cytobib.latex.needs_protection` names (the rule ``bibtex_title`` and titles
        added from Crossref follow) and words the user braced in library.bib."""
        decoded = self.entry.text(name)
        if not decoded:
            return ""
        user = _user_protected(self.entry.get(name)) if "{" in self.entry.get(name) else set()
        out: list[str] = []
        plain: list[str] = []  # words left as they are, encoded together
        first = True
        for word in re.split(r"( )", decoded):  # decoded text has single spaces only
            if not word.strip():
                plain.append(word)
                continue
            lead, core, trail = latex.word_core(word)
            if core and (core in user or _needs_protection(core, first=first)):
                out.append(self.esc("".join(plain) + lead) + "{" + self.esc(core) + "}")
                plain = [trail]
            else:
                plain.append(word)
            first = False
        out.append(self.esc("".join(plain)))
        return "".join(out)

    def person(self, p: Person) -> str:
        """One name for a BibTeX name list: ``Family, Jr, Given``; organisations braced."""
        if p.corporate:
            return "others" if p.family == "others" else "{" + self.esc(p.family) + "}"
        last = self.esc(p.last)
        if not p.given and not p.jr and " " in p.last.strip() and not p.von:
            return "{" + last + "}"  # a family-only name of several words stays one name
        parts = [_protect_part(last)]
        if p.jr:
            parts.append(_protect_part(self.esc(p.jr)))
        if p.given or p.jr:
            parts.append(_protect_part(self.esc(p.given)))
        return ", ".join(parts)

    def names(self, people: Sequence[Person]) -> str:
        return " and ".join(self.person(p) for p in people)

    def keywords(self) -> str:
        """The tags, comma-separated; a tag holding ``,`` or ``;`` braced, as biblatex reads
        it (Zotero's BibTeX import splits it regardless: RIS keeps it whole)."""
        tags = record_tags(self.record, self.options.facets)
        return ", ".join(
            "{" + self.esc(t) + "}" if "," in t or ";" in t else self.esc(t) for t in tags
        )

    def annote(self) -> str:
        """cytobib's note on the work as lines (or the summary at the ``summary`` level)."""
        note = work_note(self.record, self.options.notes)
        if note:
            text = texenc.encode(zotero_note.to_lines(note), ascii=self.ascii, lines=True)
            return text.replace("\n", "\n    ")
        return self.esc(summary_note(self.record, self.options.notes))

    def status(self) -> str:
        return self.esc(record_status_line(self.record))

    def note(self) -> str:
        """The entry's ``note``, led by the retraction or correction line when there is one."""
        own, line = self.text("note"), self.status()
        if not line:
            return own
        return f"{line}. {own}" if own else line

    def file(self) -> str:
        """A ``file`` link as written (a path or ``desc:path:type``; verbatim in biblatex)."""
        value = one_line(self.entry.get("file"))
        return value if latex.is_balanced(value, count_escaped=True) else ""


def _protect_part(part: str) -> str:
    """Brace a name part that contains the word 'and' (it would split the name list)."""
    return "{" + part + "}" if _AND_WORD.search(part) else part


# --- the exporter -----------------------------------------------------------------------------


class BibTeXExporter:
    """Records -> a BibTeX file for bibtex, biber, pandoc and Zotero."""

    name = "bibtex"
    aliases: tuple[str, ...] = ("bib",)
    suffixes: tuple[str, ...] = (".bib", ".bibtex")
    description = "BibTeX (UTF-8; --ascii for 8-bit bibtex): notes in annote, tags in keywords."
    label = "BibTeX"

    def render(self, records: Sequence[Record], options: ExportOptions) -> str:
        tags = ", ".join(sorted(f.value for f in options.facets)) or "none"
        head = HEADER.format(
            what=self.label,
            count=len(records),
            notes=options.notes.value,
            tags=tags,
            charset=_CHARSETS[options.ascii].format(),
        )
        body = "\n\n".join(self.entry(r, options) for r in records)
        return head + ("\n" + body + "\n" if body else "")

    def warnings(self, text: str, options: ExportOptions) -> list[str]:
        """What a reader will not get back exactly, from the rendered file (see texenc)."""
        return bib_warnings(text, ascii=options.ascii)

    def entry_type(self, entry: Entry) -> str:
        kind = entry.type.lower()
        if kind in _BIBTEX_TYPES:
            return kind
        if kind == "thesis" and re.search(r"ma|master", entry.get("type"), re.IGNORECASE):
            return "mastersthesis"
        return _TO_BIBTEX.get(kind, "misc")

    def entry(self, record: Record, options: ExportOptions) -> str:
        e = record.entry
        v = Values(record, options)
        kind = self.entry_type(e)
        year, month, _ = date_parts(e)
        thesis = kind in ("phdthesis", "mastersthesis")
        own_type = e.text("type")
        fields = [
            ("author", v.names(e.authors)),
            ("editor", v.names(e.editors)),
            ("title", v.title()),
            ("shorttitle", v.title("shorttitle")),
            ("booktitle", v.title("booktitle")),
            ("journal", v.first("journal", "journaltitle")),
            ("shortjournal", v.first("shortjournal", "journalabbrev", "journal-iso")),
            ("year", v.esc(year)),
            ("month", _MONTH_MACROS[month - 1] if month else ""),
            ("volume", v.text("volume")),
            ("number", v.first("number", "issue")),
            ("pages", v.pages()),
            ("chapter", v.text("chapter")),
            ("edition", v.text("edition")),
            ("series", v.text("series")),
            ("publisher", v.text("publisher")),
            ("address", v.first("address", "location")),
            ("institution", "" if thesis else v.text("institution")),
            ("school", v.first("school", "institution") if thesis else ""),
            ("organization", v.text("organization")),
            ("howpublished", v.text("howpublished")),
            ("type", "" if own_type.lower() in _TYPE_KEYS else v.esc(own_type)),
            ("note", v.note()),
            ("doi", verbatim(e.get("doi"), doi=True)),
            ("url", verbatim(e.get("url"))),
            ("urldate", iso_date(e.text("urldate"))),
            ("pmid", pmid(e)),
            ("pmcid", v.text("pmcid")),
            ("issn", v.text("issn")),
            ("isbn", v.text("isbn")),
            ("language", v.text("language")),
            ("abstract", v.text("abstract")),
            ("keywords", v.keywords()),
            ("file", v.file()),
            ("annote", v.annote()),
        ]
        return render_fields(kind, e.key, fields)


_ENTRY_HEAD = re.compile(r"^@\w+\{(.*),$", re.MULTILINE)


def bib_warnings(text: str, *, ascii: bool) -> list[str]:
    """Per character, the entries where a reader will read something else (Zotero's BibTeX
    import for ``\\ ~ ^`` and a second ``$``) or where ``--ascii`` had to keep UTF-8."""
    leftover: dict[str, list[str]] = {}
    hazard: dict[str, list[str]] = {}
    heads = list(_ENTRY_HEAD.finditer(text))
    ends = [h.start() for h in heads[1:]] + [len(text)]  # no entry: no heads, no ends
    for head, end in zip(heads, ends[: len(heads)], strict=True):
        body = text[head.end() : end]
        key = head.group(1)
        if ascii and not body.isascii():
            for ch in texenc.leftovers(body):
                leftover.setdefault(ch, []).append(key)
        for line in body.split("\n  "):
            for ch in texenc.hazards(line):
                keys = hazard.setdefault(ch, [])
                if not keys or keys[-1] != key:
                    keys.append(key)
    out = []
    for ch, keys in leftover.items():
        out.append(
            f"{texenc.describe([ch])} has no LaTeX form that Zotero, bibtex, biber and pandoc "
            f"all read alike, so it is written as UTF-8 ({_keys(keys)}){declare(ch)}."
        )
    for ch, keys in hazard.items():
        out.append(
            f"Zotero's BibTeX import does not read {ch!r} back as {ch!r} ({_keys(keys)}); "
            "export RIS for Zotero."
        )
    return out


def declare(ch: str) -> str:
    """``; pdflatex needs \\DeclareUnicodeCharacter{2265}{\\ensuremath{\\geq}}`` for a character
    LaTeX can typeset but pdflatex's UTF-8 input does not know ('' when there is no form)."""
    form = latex.to_ascii_latex(ch)
    if form == ch or form.startswith("["):
        return ""
    form = re.sub(r"^\{?\$(.*)\$\}?$", r"\\ensuremath{\1}", form)
    return f"; for pdflatex declare \\DeclareUnicodeCharacter{{{ord(ch):04X}}}{{{form}}}"


def _keys(keys: list[str]) -> str:
    shown = ", ".join(keys[:5])
    more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    return f"{len(keys)} {'entry' if len(keys) == 1 else 'entries'}: {shown}{more}"
