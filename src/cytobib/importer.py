"""``cytobib import``: merge a BibTeX or RIS file (a Zotero export, a cytobib export) in.

The pipeline is read -> match -> plan -> apply, and nothing is written before apply:

* **read**: BibTeX through :mod:`cytobib.bibfile` (Zotero's repeated ``annote`` fields are
  merged there), RIS through rispy. Each work becomes an :class:`Incoming`: BibTeX fields
  (LaTeX, as the library stores them) kept apart from its notes and tags.
* **match**: by citation key (ignoring case, as the library does), else by DOI, else - for a
  work without a DOI, since RIS files carry no keys - by exact title and year. A key that
  exists with a *different* DOI is another work: it is added under a new key.
* **plan**: matched entries go through :func:`cytobib.merge.plan`, the one place where field
  precedence is decided (fill empty fields; report differing ones with both values; apply them
  only with ``accept``/``overwrite``). Unmatched works become new entries.
* **notes and tags** never touch library.bib. When the entry has no annotation file, a stub
  ``annotations/<key>.yaml`` is written from them: the summary from the notes (cytobib's own
  exported sections - summary, key claims, caveats, agents - are read back into their fields),
  agents, cancers and reading status from facet tags (``agent: …``, ``cancer: …``,
  ``status: read``), other tags as tags. An existing annotation is never changed; the plan
  lists what was left out.
* **apply**: one atomic rewrite of library.bib through :func:`cytobib.bibfile.apply_changes`
  (untouched entries stay byte-for-byte), stubs created exclusively, provenance recorded.

Use it as a library::

    plan = plan_import(project, "zotero-export.bib")
    print(plan.diff())
    apply_import(project, plan)
"""

from __future__ import annotations

import dataclasses
import difflib
import html
import html.parser
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cytobib import annotations as ann
from cytobib import bibfile, citekey, latex, merge
from cytobib.errors import InputError, LibraryStateError, UnknownFormatError
from cytobib.exports import SECTION_TITLES
from cytobib.library import Project
from cytobib.model import Entry, Issue, Location, Severity, parse_names

FORMATS = ("bibtex", "ris")

# Fields that are notes or tags (they go to the annotation), or that are local to one machine.
_NOTE_FIELDS = ("annote", "annotation", "comment", "review", "notes")
_DROPPED_FIELDS = frozenset({"file", "addendum", "update-status", "keywords", "keyword",
                             "eprint", "eprinttype", "date", *_NOTE_FIELDS})  # fmt: skip
# BibLaTeX names -> the BibTeX names a library.bib uses.
_RENAMED_FIELDS = {"journaltitle": "journal", "location": "address", "issue": "number"}

_STATUS_LINE = re.compile(
    r"^(?:RETRACTED|EXPRESSION OF CONCERN|CORRECTED)\."
    r"(?: Notice:(?: doi:\S+?)?(?:;? ?\d{4}-\d{2}-\d{2})?(?:;? ?source: [^.]*)?)?"
    r"(?:\.\s+|\.?$)"
)
_EXTRA_LINE = re.compile(r"^\s*([A-Za-z][\w .-]*?):\s*(.+?)\s*$")
_EXTRA_FIELDS = {"pmid": "pmid", "pmcid": "pmcid", "doi": "doi", "issn": "issn", "isbn": "isbn"}
_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_BAD_KEY_CHARS = re.compile(r"[\s,{}()=\"#%'~\\]")

_TITLE_KINDS = {title.casefold(): kind for kind, title in SECTION_TITLES.items()}
_SECTION_LINE = re.compile(
    r"^(" + "|".join(re.escape(t) for t in SECTION_TITLES.values()) + r"):\s*(.*)$",
    re.IGNORECASE,
)
_CLAIM = re.compile(
    r"^(?P<text>.*?)"
    r"(?: \[(?P<meta>(?:evidence: |p\. |numbers: )[^\[\]]*)\])?"
    r"(?: “(?P<quote>.*)”)?$"
)
_AGENT = re.compile(r"^(?P<name>[^()]*?)(?: \((?P<meta>(?:role|dose|route): .*)\))?$")
_AGENT_META = re.compile(r"(role|dose|route): (.*?)(?=; (?:role|dose|route): |$)")

# --- what was read ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One work from the import file: BibTeX fields apart from its notes and tags."""

    key: str
    type: str
    fields: Mapping[str, str]
    notes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    html: bool = False  # RIS notes are HTML
    where: str = ""  # "file:line" or "file, record N", for messages

    @property
    def doi(self) -> str:
        return norm_doi(self.fields.get("doi", ""))


def norm_doi(value: str) -> str:
    """The comparison form of a DOI field: LaTeX escapes undone, no resolver, lower case."""
    return merge.normalise("doi", value) if value.strip() else ""


@dataclass(frozen=True)
class NewEntry:
    """A work the library does not have: written as a new entry."""

    key: str
    type: str
    fields: tuple[tuple[str, str], ...]
    source_key: str


@dataclass(frozen=True)
class Stub:
    """An annotation file to create (never replaces an existing one)."""

    key: str
    path: Path
    text: str


@dataclass(frozen=True)
class ImportPlan:
    """Everything an import would change, computed without writing anything."""

    source: str
    format: str
    added: tuple[NewEntry, ...]
    merged: tuple[merge.Plan, ...]
    stubs: tuple[Stub, ...]
    notes_not_applied: tuple[str, ...]  # keys whose annotation exists already
    issues: tuple[Issue, ...]
    bib: bibfile.BibText
    new_text: str
    # incoming key (or place) -> (library key, "doi" or "title"), for works matched otherwise
    # than by their own key
    matched: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def conflicts(self) -> tuple[merge.Conflict, ...]:
        return tuple(c for p in self.merged for c in p.conflicts)

    @property
    def updated(self) -> tuple[merge.Plan, ...]:
        return tuple(p for p in self.merged if p.changed)

    @property
    def changes_bib(self) -> bool:
        return self.new_text != self.bib.text

    def diff(self, root: Path | None = None) -> str:
        """A unified diff of library.bib and the new annotation files (for --dry-run)."""
        name = _shown(Path(self.bib.path), root)
        out = list(
            difflib.unified_diff(
                self.bib.text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                _side("a", name),
                _side("b", name),
            )
        )
        for stub in self.stubs:
            out += difflib.unified_diff(
                [],
                stub.text.splitlines(keepends=True),
                "/dev/null",
                _side("b", _shown(stub.path, root)),
            )
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def _side(prefix: str, name: str) -> str:
    return name if name.startswith("/") else f"{prefix}/{name}"


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


# --- reading ----------------------------------------------------------------------------------


def detect_format(path: Path, text: str) -> str:
    """'ris' or 'bibtex', from the suffix, else from the first meaningful line.

    Raises:
        UnknownFormatError: neither a RIS ``TY  -`` line nor a BibTeX ``@type{`` is found.
    """
    suffix = path.suffix.lower()
    if suffix == ".ris":
        return "ris"
    if suffix in (".bib", ".bibtex", ".biblatex"):
        return "bibtex"
    for line in text.splitlines()[:50]:
        stripped = line.strip().lstrip("\ufeff")
        if re.match(r"^TY {1,2}- ", stripped):
            return "ris"
        if re.match(r"^@\s*\w+\s*[{(]", stripped):
            return "bibtex"
    raise UnknownFormatError(
        f"Cannot tell whether {path} is BibTeX or RIS.",
        hint="Pass --from bibtex or --from ris.",
    )


def read_source(
    path: str | os.PathLike[str], fmt: str | None = None
) -> tuple[str, list[Incoming], list[Issue]]:
    """Read an import file into works; problems in it are returned as issues.

    Raises:
        InputError: the file cannot be read at all.
        UnknownFormatError: ``fmt`` is not bibtex or ris, or the format cannot be told.
    """
    p = Path(path)
    if fmt is not None and fmt.lower() not in FORMATS:
        raise UnknownFormatError(
            f"cytobib cannot import '{fmt}'.", hint=f"Use one of: {', '.join(FORMATS)}."
        )
    source = bibfile.read_text(p)  # the same checks (exists, size, encoding) as library.bib
    kind = (fmt or detect_format(p, source.text)).lower()
    if kind == "ris":
        works, issues = _read_ris(source.text, source.path)
    else:
        works, issues = _read_bibtex(source)
    issues = list(source.issues) + issues
    if not works and not any(i.severity is Severity.ERROR for i in issues):
        issues.append(
            Issue(
                Severity.WARNING,
                "import-empty",
                f"{source.path} holds no entries.",
                location=Location(source.path),
            )
        )
    return kind, works, issues


def _read_bibtex(source: bibfile.BibText) -> tuple[list[Incoming], list[Issue]]:
    parsed = bibfile.parse(source)
    return [from_bibtex(e, source.path) for e in parsed.entries], list(parsed.issues)


def from_bibtex(entry: Entry, path: str = "") -> Incoming:
    """A parsed BibTeX/BibLaTeX entry (Zotero's, cytobib's, anyone's) as a work to import."""
    raw = dict(entry.fields)
    notes = tuple(raw[n] for n in _NOTE_FIELDS if raw.get(n, "").strip())
    tags = tuple(_split_tags(latex.to_text(raw.get("keywords", "") or raw.get("keyword", ""))))
    fields: dict[str, str] = {}
    for name, value in raw.items():
        if name in _DROPPED_FIELDS or not value.strip():
            continue
        fields.setdefault(_RENAMED_FIELDS.get(name, name), value)
    kind = entry.type.lower()
    # BibLaTeX forms (cytobib's own BibLaTeX export among them) back to BibTeX ones.
    if raw.get("eprinttype", "").strip().lower() == "pubmed" and raw.get("eprint", "").strip():
        fields.setdefault("pmid", raw["eprint"].strip())
    date = re.match(r"^\s*(\d{4})(?:-(\d{2}))?", raw.get("date", ""))
    if date:
        fields.setdefault("year", date.group(1))
        if date.group(2) and 1 <= int(date.group(2)) <= 12 and "month" not in fields:
            fields["month"] = _MONTHS[int(date.group(2)) - 1]
    if kind == "thesis":
        kind = "mastersthesis" if raw.get("type", "").strip() == "mathesis" else "phdthesis"
        fields.pop("type", None)
        if "institution" in fields:
            fields.setdefault("school", fields.pop("institution"))
    elif kind == "report":
        kind = "techreport"
        if fields.get("type", "").strip() == "techreport":
            fields.pop("type")
    note = _clean_note(fields.pop("note", ""), fields)
    if note:
        fields["note"] = note
    where = f"{path}:{entry.line}" if path else ""
    return Incoming(entry.key, kind, fields, notes, tags, html=False, where=where)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _clean_note(note: str, fields: dict[str, str]) -> str:
    """Drop cytobib's own retraction line; read Zotero's Extra (``PMID: 123`` lines) into
    fields. What remains is a real note and is kept ("Erratum in: ..." stays a note)."""
    note = note.strip()
    match = _STATUS_LINE.match(note)  # the line is ASCII, so it matches the raw value too
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


def _split_tags(value: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,;\n]", value) if t.strip()]


def _read_ris(text: str, path: str) -> tuple[list[Incoming], list[Issue]]:
    import rispy

    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    try:
        records = rispy.loads(text, skip_unknown_tags=False, delimiter_tags_mapping={})
    except Exception as exc:  # rispy raises plain exceptions on malformed files
        raise InputError(
            f"{path} cannot be read as RIS: {exc}.",
            hint="Check that every record starts with 'TY  - ' and ends with 'ER  - '.",
        ) from None
    issues: list[Issue] = []
    if text.count("\nER  -") + text.startswith("ER  -") > len(records):
        issues.append(
            Issue(
                Severity.WARNING,
                "ris-unterminated",
                "Some RIS records could not be read (an ER line without a TY line).",
                location=Location(path),
            )
        )
    return [from_ris(r, f"{path}, record {i}") for i, r in enumerate(records, 1)], issues


# RIS TY -> BibTeX type.
_FROM_RIS = {
    "JOUR": "article", "EJOUR": "article", "JFULL": "article", "ABST": "article",
    "MGZN": "article", "NEWS": "article", "INPR": "article",
    "BOOK": "book", "EBOOK": "book", "EDBOOK": "book", "CHAP": "incollection",
    "ECHAP": "incollection", "CONF": "proceedings", "CPAPER": "inproceedings",
    "RPRT": "techreport", "GOVDOC": "techreport", "STAND": "techreport", "THES": "phdthesis",
    "UNPB": "unpublished", "MANSCPT": "unpublished", "PAMP": "booklet", "ELEC": "online",
    "WEB": "online", "BLOG": "online", "DATA": "dataset", "COMP": "software", "PAT": "patent",
    "GEN": "misc",
}  # fmt: skip


def from_ris(record: Mapping[str, Any], where: str = "") -> Incoming:
    """A rispy record as a work to import: text escaped for BibTeX, titles protected."""

    def one(*names: str) -> str:
        for name in names:
            value = record.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""

    ty = one("type_of_reference").upper()
    kind = _FROM_RIS.get(ty, "misc")
    if kind == "phdthesis" and re.search(r"master", one("type_of_work"), re.IGNORECASE):
        kind = "mastersthesis"
    fields: dict[str, str] = {}

    def put(name: str, value: str, *, protect: bool = False) -> None:
        if value:
            fields[name] = latex.bibtex_title(value) if protect else latex.escape(value)

    authors = list(record.get("authors") or []) + list(record.get("first_authors") or [])
    put_names(fields, "author", authors)
    put_names(fields, "editor", list(record.get("secondary_authors") or []))
    put("title", one("title", "primary_title"), protect=True)
    container = one("secondary_title", "alternate_title3", "journal_name")
    short = one("alternate_title1", "alternate_title2")
    if not short and one("journal_name") != container:
        short = one("journal_name")  # Zotero and PubMed use JO for the abbreviation
    if short == container:
        short = ""
    if kind in ("article", "misc", "online"):
        put("journal", container)
        put("shortjournal", short)
    elif kind in ("incollection", "inproceedings"):
        put("booktitle", container, protect=True)
        put("series", one("tertiary_title"))
    else:
        put("series", container)
    year_text = one("year", "publication_year", "date")
    year = re.search(r"\d{4}", year_text)
    if year:
        fields["year"] = year.group()
    month = re.match(r"^\s*\d{4}/(\d{1,2})", one("date") or year_text)
    if month and 1 <= int(month.group(1)) <= 12:
        fields["month"] = _MONTHS[int(month.group(1)) - 1]
    put("volume", one("volume"))
    start, end = one("start_page"), one("end_page")
    if start and end:
        fields["pages"] = f"{latex.escape(start)}--{latex.escape(end)}"
    else:
        put("pages", start or end)
    publisher = one("publisher")
    if kind in ("phdthesis", "mastersthesis"):
        put("school", publisher)
    elif kind == "techreport":
        put("institution", publisher)
        put("number", one("issn") or one("number"))
    else:
        put("publisher", publisher)
        put("number", one("number"))
        sn = one("issn")
        digits = re.sub(r"[^0-9Xx]", "", sn)
        if sn:
            put("isbn" if len(digits) in (10, 13) else "issn", sn)
    put("address", one("place_published"))
    put("edition", one("edition"))
    put("language", one("language"))
    put("abstract", one("abstract", "notes_abstract"))
    doi = _DOI_PREFIX.sub("", one("doi"))
    if doi and latex.is_balanced(doi):
        fields["doi"] = doi
    url = one("urls")
    if url and latex.is_balanced(url):
        fields["url"] = url
    accession = one("accession_number")
    if accession.isdigit():
        fields["pmid"] = accession
    unknown = record.get("unknown_tag") or {}
    for value in [*unknown.get("M2", []), one("note")]:
        found = re.match(r"^\s*PMID:\s*(\d+)", value or "")
        if found:
            fields.setdefault("pmid", found.group(1))
    notes = tuple(n for n in (record.get("notes") or []) if isinstance(n, str) and n.strip())
    notes += tuple(n for n in (record.get("research_notes") or []) if isinstance(n, str))
    tags = tuple(t.strip() for kw in record.get("keywords") or [] for t in _split_ris_tags(kw))
    return Incoming(one("id"), kind, fields, notes, tags, html=True, where=where)


def _split_ris_tags(value: str) -> list[str]:
    return [t for t in re.split(r"[;\n]", value) if t.strip()]


def put_names(fields: dict[str, str], name: str, people: Sequence[str]) -> None:
    """RIS names (``Family, Given[, Suffix]``; organisations without a comma) -> BibTeX."""
    out = []
    for raw in people:
        parts = [p.strip() for p in raw.split(",")]
        if len(parts) == 1 or not any(parts[1:]):
            out.append("{" + latex.escape(parts[0]) + "}")
            continue
        family, given, *rest = parts
        suffix = ", ".join(r for r in rest if r)
        pieces = [latex.escape(family)] + ([latex.escape(suffix)] if suffix else [])
        out.append(", ".join([*pieces, latex.escape(given)]))
    if out:
        fields[name] = " and ".join(out)


# --- notes and tags -> annotation -----------------------------------------------------------


class _HTMLLines(html.parser.HTMLParser):
    """Simple HTML notes -> lines: headings become "Title:", list items "- item"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.heading = False

    def flush(self, suffix: str = "") -> None:
        text = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if text:
            self.lines.append(text + suffix)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "div", "br", "ul", "ol", "blockquote", "tr") or re.fullmatch(
            r"h[1-6]", tag
        ):
            self.flush()
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = True
        elif tag == "li":
            self.flush()
            self.current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            text = re.sub(r"\s+", " ", "".join(self.current)).strip()
            self.current = []
            if text:
                self.lines.append(text if text.endswith(":") else text + ":")
            self.heading = False
        elif tag in ("p", "div", "li", "ul", "ol", "blockquote", "tr"):
            self.flush()

    def handle_data(self, data: str) -> None:
        self.current.append(data)


def note_lines(note: str, *, is_html: bool) -> list[str]:
    """One note as lines of plain text (HTML converted; LaTeX decoded line by line)."""
    if is_html or re.search(r"<(p|h[1-6]|ul|li|br|div)\b", note, re.IGNORECASE):
        parser = _HTMLLines()
        parser.feed(note)
        parser.close()
        parser.flush()
        return parser.lines
    # Blank lines are kept: they separate paragraphs (and Zotero's notes, merged from repeated
    # annote fields).
    return [latex.to_text(line) if line.strip() else "" for line in note.splitlines()]


@dataclass
class _Material:
    """Notes and tags gathered for one library key from every matching work."""

    notes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    html: bool = False

    def add(self, work: Incoming) -> None:
        self.notes += [n for n in work.notes if n not in self.notes]
        self.tags += [t for t in work.tags if t not in self.tags]
        self.html = self.html or work.html


@dataclass
class _Draft:
    summary: list[str] = field(default_factory=list)
    claims: list[dict[str, str]] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    agents: list[dict[str, str]] = field(default_factory=list)
    cancers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    status: str | None = None

    def empty(self) -> bool:
        parts = (self.summary, self.claims, self.caveats, self.agents, self.cancers, self.tags)
        return not any(parts) and self.status is None


def _claim(text: str) -> dict[str, str]:
    match = _CLAIM.match(text)
    assert match is not None  # every part of the pattern is optional
    out = {"text": match.group("text").strip() or text}
    for part in (match.group("meta") or "").split("; "):
        if part.startswith("evidence: ") and part[10:] in ann.EVIDENCE_LEVELS:
            out["evidence"] = part[10:]
        elif part.startswith("p. "):
            out["page"] = part[3:]
        elif part.startswith("numbers: "):
            out["numbers"] = part[9:]
    if match.group("quote"):
        out["quote"] = match.group("quote")
    return out


def _agent(text: str) -> dict[str, str]:
    match = _AGENT.match(text)
    if match is None or not match.group("name").strip():
        return {"name": text}
    out = {"name": match.group("name").strip()}
    for key, value in _AGENT_META.findall(match.group("meta") or ""):
        out[key] = value.strip()
    return out


def _add_item(draft: _Draft, section: str, line: str) -> None:
    """A ``- item`` line of a list section; a line without the dash continues the last item."""
    item = line[2:].strip() if line.startswith("- ") else line
    continues = not line.startswith("- ")
    if section == "claims":
        if continues and draft.claims:
            draft.claims[-1]["text"] += " " + item
        else:
            draft.claims.append(_claim(item))
    elif section == "agents":
        if continues and draft.agents:
            draft.agents[-1]["name"] += " " + item
        else:
            draft.agents.append(_agent(item))
    elif continues and draft.caveats:
        draft.caveats[-1] += " " + item
    else:
        draft.caveats.append(item)


def draft_annotation(notes: Iterable[str], tags: Iterable[str], *, is_html: bool) -> _Draft:
    """Notes and tags from an import -> annotation fields (see the module docstring)."""
    draft = _Draft()
    for note in notes:
        section = "summary"
        paragraph: list[str] = []
        for raw_line in note_lines(note, is_html=is_html):
            if not raw_line:
                if paragraph:
                    draft.summary.append(" ".join(paragraph))
                    paragraph = []
                continue
            if _STATUS_LINE.match(raw_line):
                continue  # cytobib's retraction line: the retraction check owns that flag
            heading = _SECTION_LINE.match(raw_line)
            line = raw_line
            if heading:
                section = _TITLE_KINDS[heading.group(1).casefold()]
                line = heading.group(2).strip()
                if not line:
                    continue
            if section == "summary":
                paragraph.append(line)
            else:
                _add_item(draft, section, line)
        if paragraph:
            draft.summary.append(" ".join(paragraph))
    named = {a["name"].casefold() for a in draft.agents}
    for tag in tags:
        facet, sep, value = tag.partition(":")
        facet, value = facet.strip().lower(), value.strip()
        if sep and facet == "agent" and value:
            if value.casefold() not in named:
                draft.agents.append({"name": value})
                named.add(value.casefold())
        elif sep and facet == "cancer" and value:
            draft.cancers.append(value)
        elif sep and facet == "status" and value:
            if value in ann.STATUSES:
                draft.status = value
            # retracted/corrected: the retraction check owns that flag, never an import
        elif sep and facet == "evidence":
            continue  # derived from the claims' evidence on export
        elif tag.strip() and tag.strip() not in draft.tags:
            draft.tags.append(tag.strip())
    return draft


def _yaml_dumper() -> type:
    class Dumper(yaml.SafeDumper):
        """Multi-line text as a literal block (``|``), as people write it by hand."""

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper


_Dumper = _yaml_dumper()


def stub_yaml(key: str, title: str, draft: _Draft, source: str, schema_ref: str) -> str:
    """The annotation file for a draft: schema line, a comment, then the fields."""
    data: dict[str, Any] = {}
    if draft.summary:
        data["summary"] = "\n\n".join(draft.summary)
    data["status"] = draft.status or "to-read"
    for name in ("agents", "cancers", "claims", "caveats", "tags"):
        value = getattr(draft, name)
        if value:
            data[name] = value
    problems = list(ann._validator().iter_errors(data))
    if problems:  # cannot happen for drafts built above; never write an invalid file
        raise ValueError(f"invalid annotation draft for {key}: {problems[0].message}")
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
    head = [
        ann.SCHEMA_COMMENT.format(ref=schema_ref),
        f"# {key}: {' '.join(title.split())[:90]}",
        f"# Written by `cytobib import` from {Path(source).name}: check and complete.",
    ]
    return "\n".join(head) + "\n" + body


# --- planning ---------------------------------------------------------------------------------


def plan_import(
    project: Project,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    accept: Collection[str] = (),
    overwrite: bool = False,
) -> ImportPlan:
    """Work out what importing ``path`` would change; nothing is written.

    Raises:
        InputError: the file cannot be read.
        UnknownFormatError: the format is not BibTeX or RIS.
    """
    from cytobib.project import schema_ref_for

    kind, works, issues = read_source(path, fmt)
    source_name = f"import:{Path(path).name}"
    bib = dataclasses.replace(project.parsed.source, path=str(project.config.bib))
    entries = {e.key: e for e in project.parsed.entries}
    by_fold = {k.casefold(): k for k in entries}
    by_doi: dict[str, str] = {}
    by_title: dict[tuple[str, str], str] = {}
    for e in project.parsed.entries:
        doi = norm_doi(e.get("doi"))
        if doi:
            by_doi.setdefault(doi, e.key)
        if e.get("title") and e.year:
            by_title.setdefault(_title_key(e.fields), e.key)
    dismissed = merge.Provenance.load(project.config.root).dismissed

    current: dict[str, Entry] = dict(entries)  # entries with the updates planned so far
    updates: dict[str, dict[str, str]] = {}
    conflicts: dict[str, list[merge.Conflict]] = {}
    quiet: dict[str, list[merge.Conflict]] = {}
    new: dict[str, NewEntry] = {}
    new_by_fold: dict[str, str] = {}
    new_by_doi: dict[str, str] = {}
    matched: dict[str, tuple[str, str]] = {}
    material: dict[str, _Material] = {}
    taken = set(by_fold)  # keys in use, case-folded

    for work in works:
        target = _match(work, by_fold, by_doi, by_title, entries)
        if target is not None:
            if target != by_fold.get(work.key.casefold()):
                how = "doi" if work.doi and by_doi.get(work.doi) == target else "title"
                matched[work.key or work.where] = (target, how)
            key = target
            plan = merge.plan(
                current[key],
                _without_truncated_authors(current[key], work.fields),
                source=source_name,
                accept=accept,
                overwrite=overwrite,
                dismissed=dismissed,
            )
            if plan.updates:
                updates.setdefault(key, {}).update(plan.updates)
                fields = {**current[key].fields, **plan.updates}
                current[key] = dataclasses.replace(current[key], fields=fields)
            conflicts.setdefault(key, []).extend(plan.conflicts)
            quiet.setdefault(key, []).extend(plan.dismissed)
        else:
            pending = new_by_fold.get(work.key.casefold()) if work.key else None
            pending = pending or (new_by_doi.get(work.doi) if work.doi else None)
            if pending is not None:  # the same work twice in the import file: fill only
                have = dict(new[pending].fields)
                for name, value in work.fields.items():
                    have.setdefault(name, value)
                new[pending] = dataclasses.replace(new[pending], fields=_ordered(have))
                key = pending
            else:
                key = _new_key(work, taken)
                taken.add(key.casefold())
                new[key] = NewEntry(key, work.type, _ordered(work.fields), work.key)
                new_by_fold[key.casefold()] = key
                if work.key:
                    new_by_fold.setdefault(work.key.casefold(), key)
                if work.doi:
                    new_by_doi[work.doi] = key
                if work.key and key != work.key:
                    issues.append(_renamed(work, key, work.key.casefold() in by_fold))
        found = material.setdefault(key, _Material())
        found.add(work)

    changes = [
        bibfile.Change(entries[k].span, bibfile.edit_fields(entries[k].raw, u, bib.newline))
        for k, u in updates.items()
    ]
    changes += [
        bibfile.Change(None, bibfile.render_entry(n.type, n.key, n.fields, bib.newline))
        for n in new.values()
    ]
    new_text = bibfile.apply_changes(bib, changes) if changes else bib.text
    _check_result(bib, new_text, len(entries) + len(new), project.parsed.issues)

    stubs: list[Stub] = []
    not_applied: list[str] = []
    folder = project.config.annotations
    ref = schema_ref_for(project.config)
    for key, found in material.items():
        if not (found.notes or found.tags) or not ann.is_safe_key(key):
            continue
        path_ = ann.path_for(folder, key)
        record = project.library.get(key)
        if path_.exists() or (record is not None and record.annotation is not None):
            not_applied.append(key)
            continue
        draft = draft_annotation(found.notes, found.tags, is_html=found.html)
        if draft.empty():
            continue
        title = current[key].title if key in current else _title_of(new[key])
        stubs.append(Stub(key, path_, stub_yaml(key, title, draft, str(path), ref)))

    plans = tuple(
        merge.Plan(k, updates.get(k, {}), tuple(conflicts.get(k, ())), tuple(quiet.get(k, ())))
        for k in dict.fromkeys([*conflicts, *updates])
    )
    return ImportPlan(
        source=str(path),
        format=kind,
        added=tuple(new.values()),
        merged=plans,
        stubs=tuple(stubs),
        notes_not_applied=tuple(not_applied),
        issues=tuple(issues),
        bib=bib,
        new_text=new_text,
        matched=matched,
    )


def _without_truncated_authors(entry: Entry, fields: Mapping[str, str]) -> Mapping[str, str]:
    """Leave out an author list that is ours minus its "and others" (RIS and CSL cannot say
    "others", so cytobib's own exports drop it): that is the same list, not a conflict."""
    theirs = fields.get("author")
    if not theirs or not entry.authors or entry.authors[-1].family != "others":
        return fields
    named = [p.last.casefold() for p in entry.authors[:-1]]
    if [p.last.casefold() for p in parse_names(theirs)] == named:
        return {k: v for k, v in fields.items() if k != "author"}
    return fields


# The field order of new entries: the shipped library's (see its header), then the rest.
_FIELD_ORDER = (
    "author", "editor", "title", "booktitle", "journal", "shortjournal", "year", "month",
    "volume", "number", "pages", "chapter", "edition", "series", "publisher", "address",
    "institution", "school", "organization", "howpublished", "type", "note", "doi", "pmid",
    "pmcid", "issn", "isbn", "url", "urldate", "language", "abstract",
)  # fmt: skip


def _ordered(fields: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    rank = {name: i for i, name in enumerate(_FIELD_ORDER)}
    names = sorted(fields, key=lambda n: (rank.get(n, len(rank)), list(fields).index(n)))
    return tuple((n, fields[n]) for n in names)


def _title_key(fields: Mapping[str, str]) -> tuple[str, str]:
    year = re.search(r"\d{4}", fields.get("year", "") or fields.get("date", ""))
    return merge.normalise("title", fields.get("title", "")), year.group() if year else ""


def _match(
    work: Incoming,
    by_fold: Mapping[str, str],
    by_doi: Mapping[str, str],
    by_title: Mapping[tuple[str, str], str],
    entries: Mapping[str, Entry],
) -> str | None:
    """The library key this work is: by key (unless the DOIs disagree), else by DOI, else
    (only for a work without a DOI, as RIS files have no keys) by exact title and year."""
    if work.key:
        key = by_fold.get(work.key.casefold())
        if key is not None:
            ours = norm_doi(entries[key].get("doi"))
            if not (ours and work.doi and ours != work.doi):
                return key
    if work.doi:
        return by_doi.get(work.doi)
    title, year = _title_key(work.fields)
    if title and year:
        found = by_title.get((title, year))
        if found is not None and not norm_doi(entries[found].get("doi")):
            return found
    return None


def _renamed(work: Incoming, key: str, key_exists: bool) -> Issue:
    if key_exists:
        why = "the library has that key for a work with another DOI"
    else:
        why = "the key cannot be used as a citation key and annotation file name"
    return Issue(
        Severity.WARNING,
        "import-renamed",
        f"'{work.key}' is added as '{key}': {why}.",
        key=key,
        location=Location(work.where) if work.where else None,
        hint="Rename it in library.bib if you prefer another key.",
    )


def _title_of(entry: NewEntry) -> str:
    return latex.to_text(dict(entry.fields).get("title", ""))


def _new_key(work: Incoming, folded: Collection[str]) -> str:
    """The work's own key when usable, else the library's scheme (:mod:`cytobib.citekey`);
    a, b... added while taken. ``folded`` holds the keys in use, case-folded."""
    key = work.key
    if not key or _BAD_KEY_CHARS.search(key) or not ann.is_safe_key(key):
        key = make_key(work.fields)
    return citekey.free_key(key, folded)


def make_key(fields: Mapping[str, str]) -> str:
    """:func:`cytobib.citekey.base_key` for BibTeX fields: first author, year, title word."""
    people = parse_names(fields.get("author", "") or fields.get("editor", ""))
    year = re.search(r"\d{4}", fields.get("year", ""))
    title = latex.to_text(fields.get("title", ""))
    family = people[0].last if people else None
    if people and people[0].corporate:  # "{Cytokine Society}" -> cytokine
        family = people[0].family.split()[0] if people[0].family.split() else None
    return citekey.base_key(family, int(year.group()) if year else None, title)


def _check_result(
    bib: bibfile.BibText, text: str, expected: int, before_issues: Iterable[Issue]
) -> None:
    """Refuse to write a library that no longer parses to the entries it should hold."""
    if text == bib.text:
        return
    parsed = bibfile.parse(dataclasses.replace(bib, text=text))
    before = {i.code for i in before_issues}
    new_errors = [i for i in parsed.issues if i.severity is Severity.ERROR and i.code not in before]
    if len(parsed.entries) != expected or new_errors:
        detail = new_errors[0].message if new_errors else f"{len(parsed.entries)} entries"
        raise LibraryStateError(
            f"The merged library would not read back as expected ({detail}); nothing was written.",
            hint="This is a bug in cytobib import: please report it with the import file.",
        )


# --- applying --------------------------------------------------------------------------------


def apply_import(project: Project, plan: ImportPlan) -> list[Path]:
    """Write the plan: library.bib atomically, new annotation stubs, provenance.

    Returns the files written.

    Raises:
        LibraryStateError: library.bib changed on disk since the plan was made.
        WriteError: a file could not be written (library.bib is then unchanged).
    """
    written: list[Path] = []
    bib_path = Path(plan.bib.path)
    if plan.changes_bib:
        bibfile.write_text(plan.bib, plan.new_text)
        written.append(bib_path)
    for stub in plan.stubs:
        stub.path.parent.mkdir(parents=True, exist_ok=True)
        if bibfile.create_exclusive(stub.path, stub.text.encode("utf-8")):
            written.append(stub.path)
    if plan.updated or plan.added:
        provenance = merge.Provenance.load(project.config.root)
        source = f"import:{Path(plan.source).name}"
        for p in plan.updated:
            provenance.record(p.key, list(p.updates), source)
        for n in plan.added:
            provenance.record(n.key, [name for name, _ in n.fields], source)
        provenance.save()
        written.append(provenance.path)
    return written
