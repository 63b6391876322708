"""The central data model: what the .bib says, what the reader wrote, and the problems found.

Everything here is a frozen dataclass without I/O. ``Entry`` keeps the field values as the
file has them (macros resolved, outer braces or quotes removed, LaTeX untouched); display text
is decoded lazily, because decoding LaTeX for every field of a 10k-entry library costs far
more than parsing it (``bench/load_bench.py`` measures loading).
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

from cytobib import latex
from cytobib.doi import as_written, canonical

T = TypeVar("T")


class lazy(Generic[T]):
    """A computed-once attribute for frozen dataclasses.

    ``functools.cached_property`` takes a lock on every first access in Python 3.11, which
    cost 0.35 s when checking a 10k-entry library; this stores the value in the instance
    ``__dict__`` directly (frozen dataclasses only guard ``__setattr__``).
    """

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, cls: type) -> lazy[T]: ...
    @overload
    def __get__(self, obj: object, cls: type) -> T: ...
    def __get__(self, obj: object | None, cls: type) -> T | lazy[T]:
        if obj is None:
            return self
        value: T = self.func(obj)
        obj.__dict__[self.name] = value
        return value


def frozen(value: Any) -> Any:
    """A read-only copy of YAML-like data: mappings become ``MappingProxyType``, lists tuples,
    sets frozensets, all the way down. Immutable values are returned as they are."""
    if isinstance(value, str | int | float | bool | None):
        return value
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(frozen(v) for v in value)
    return value


def thawed(value: Any) -> Any:
    """Plain dicts again (for pickling and YAML): the inverse of :func:`frozen`."""
    if isinstance(value, Mapping):
        return {k: thawed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(thawed(v) for v in value)
    return value


def _hashable(value: Any) -> Any:
    """A hashable stand-in for frozen data (a mapping as the frozenset of its items)."""
    if isinstance(value, Mapping):
        return frozenset((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, tuple):
        return tuple(_hashable(v) for v in value)
    return value


class Severity(enum.IntEnum):
    """How bad an issue is; ordered so that ``max()`` gives the worst."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based place in a user file."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        out = self.path
        if self.line is not None:
            out += f":{self.line}"
            if self.column is not None:
                out += f":{self.column}"
        return out


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in the library, as data: a stable kebab-case code, never an exception."""

    severity: Severity
    code: str
    """Stable and kebab-case (``duplicate-key``): what scripts and tests match on."""
    message: str
    """A full sentence saying what is wrong."""
    key: str | None = None
    """The citation key concerned, if one is."""
    location: Location | None = None
    """Where to fix it: the file, and the line and column where known."""
    hint: str | None = None
    """How to fix it, as a sentence."""

    def as_dict(self) -> dict[str, object]:
        """The issue as ``cytobib check --format json`` writes it (flat, JSON values)."""
        return {
            "severity": str(self.severity),
            "code": self.code,
            "key": self.key,
            "file": self.location.path if self.location else None,
            "line": self.location.line if self.location else None,
            "column": self.location.column if self.location else None,
            "message": self.message,
            "hint": self.hint,
        }

    def as_row(self) -> tuple[Any, ...]:
        """The issue as a tuple of plain values (how caches keep it): :meth:`from_row` reads it."""
        loc = self.location
        where = (loc.path, loc.line, loc.column) if loc else None
        return (int(self.severity), self.code, self.message, self.key, where, self.hint)

    @classmethod
    def from_row(cls, row: tuple[Any, ...] | list[Any]) -> Issue:
        """The issue :meth:`as_row` wrote."""
        severity, code, message, key, where, hint = row
        location = Location(*where) if where else None
        return cls(Severity(severity), code, message, key, location, hint)


@dataclass(frozen=True, slots=True)
class Person:
    """A name split the BibTeX way; ``corporate`` names are written in braces in the file."""

    family: str
    given: str = ""
    von: str = ""
    jr: str = ""
    corporate: bool = False

    @property
    def last(self) -> str:
        """Family name with its particle, as it sorts and cites ("van der Berg")."""
        return f"{self.von} {self.family}".strip() if self.von else self.family

    @property
    def initials(self) -> str:
        """The given names' initials, no dots or spaces: "Steven A." -> "SA", "Jean-Paul"
        -> "J-P"."""
        parts = re.split(r"[\s.]+", self.given)
        out = []
        for part in parts:
            if not part:
                continue
            # Hyphenated given names keep the hyphen: Jean-Paul -> J-P.
            out.append("-".join(p[0] for p in part.split("-") if p))
        return "".join(out)

    def display(self) -> str:
        """The name as read: "Steven A. Rosenberg", a corporate name as written."""
        if self.corporate or not self.given:
            return self.last + (f", {self.jr}" if self.jr else "")
        jr = f", {self.jr}" if self.jr else ""
        return f"{self.given} {self.last}{jr}"


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One BibTeX entry as the file has it.

    ``fields`` maps lower-cased field names to values with @string macros resolved and the
    outer delimiters removed; LaTeX markup is kept. It is read-only (a ``MappingProxyType``
    over a copy of what was passed), so the values computed from it once (``title``,
    ``digest``, the key of several caches) can never go stale: change an entry with
    ``dataclasses.replace(entry, fields={**entry.fields, "year": "2020"})``. ``raw`` is the
    exact source text and ``span`` its character offsets in the decoded file, which the
    lossless writer splices by.
    """

    key: str
    type: str
    fields: Mapping[str, str]
    line: int
    raw: str = field(default="", repr=False, compare=False)
    span: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        if type(self.fields) is not MappingProxyType:
            object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    @classmethod
    def adopt(
        cls,
        key: str,
        entry_type: str,
        fields: dict[str, str],
        line: int,
        raw: str,
        span: tuple[int, int],
    ) -> Entry:
        """An entry that takes over ``fields``, a dict its caller built and keeps no reference
        to: no copy, and none of the frozen ``__init__``'s per-field ``object.__setattr__``.
        The parser and its cache make 10k entries per load this way, in a quarter of the time.
        """
        entry = object.__new__(cls)
        attrs = entry.__dict__
        attrs["key"] = key
        attrs["type"] = entry_type
        attrs["fields"] = MappingProxyType(fields)
        attrs["line"] = line
        attrs["raw"] = raw
        attrs["span"] = span
        return entry

    def __hash__(self) -> int:
        return hash((self.key, self.type, frozenset(self.fields.items()), self.line, self.span))

    def get(self, name: str, default: str = "") -> str:
        """The field as written (LaTeX kept), or ``default``."""
        return self.fields.get(name, default)

    def text(self, name: str) -> str:
        """The field decoded for display: accents, Greek, dashes and braces resolved."""
        value = self.fields.get(name)
        return latex.to_text(value) if value else ""

    @lazy
    def title(self) -> str:
        """The title decoded for display (:meth:`text`)."""
        return self.text("title")

    @lazy
    def digest(self) -> bytes:
        """What the entry says (key, type, fields), digested: values derived from an entry
        are cached under it."""
        text = repr((self.key, self.type, tuple(self.fields.items())))
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()

    @lazy
    def authors(self) -> tuple[Person, ...]:
        """The ``author`` field split into people; "and others" is ``Person("others")``."""
        return et_al(parse_names(self.fields.get("author", "")))

    @lazy
    def editors(self) -> tuple[Person, ...]:
        """The ``editor`` field split into people, as :attr:`authors`."""
        return et_al(parse_names(self.fields.get("editor", "")))

    @lazy
    def year(self) -> int | None:
        """The first four-digit number of ``year`` (or BibLaTeX's ``date``), or None."""
        match = re.search(r"\d{4}", self.fields.get("year", "") or self.fields.get("date", ""))
        return int(match.group()) if match else None

    @lazy
    def month(self) -> int | None:
        """``month`` as 1-12 (a number, or a name or macro such as ``jan``), or None."""
        raw = self.fields.get("month", "").strip().lower()
        if raw.isdigit():
            return int(raw) if 1 <= int(raw) <= 12 else None
        return _MONTHS.get(raw[:3])

    @lazy
    def doi(self) -> str:
        """The DOI in its canonical form (``doi.canonical``): no resolver prefix or
        ``doi:``, %-escapes decoded, lower-cased (DOIs are case-insensitive)."""
        raw = latex.verbatim(self.fields.get("doi", ""))
        return canonical(raw) if raw else ""

    @lazy
    def doi_as_written(self) -> str:
        """The DOI for output: :attr:`doi` in the entry's own case (``NEJMoa2034577``), as
        registered and as Zotero prints it; :attr:`doi` is for matching."""
        raw = latex.verbatim(self.fields.get("doi", ""))
        return as_written(raw) if raw else ""

    @lazy
    def url(self) -> str:
        """The URL as written, braces and escapes removed (``latex.verbatim``): a ``~`` is a
        tilde here, not the tie :meth:`text` would make of it."""
        raw = self.fields.get("url", "")
        return latex.verbatim(raw) if raw else ""

    @lazy
    def container(self) -> str:
        """Where the work appeared, decoded: journal, journaltitle, booktitle, publisher or
        institution, the first one present."""
        for name in ("journal", "journaltitle", "booktitle", "publisher", "institution"):
            if self.fields.get(name):
                return self.text(name)
        return ""


SOURCES = ("seed", "abstract", "reader")
"""Where a claim or caveat comes from: the note that led to the work, the work's own abstract
(or text), or the reader's own judgement."""

_SOURCE_LABELS = {"seed": "from the seed note", "reader": "reader's judgement"}


def source_label(source: str | None) -> str:
    """The words shown after a claim or caveat for its source; "" for the work's own text,
    which is what a reader assumes."""
    return _SOURCE_LABELS.get(source or "", "")


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim the paper makes, with the kind of evidence behind it."""

    text: str
    evidence: str | None = None
    page: str | None = None
    quote: str | None = None
    numbers: str | None = None
    source: str | None = None

    @property
    def source_label(self) -> str:
        """The words shown after it for its source (:func:`source_label`)."""
        return source_label(self.source)


class Caveat(str):
    """A caveat: its text (the string itself) and its ``source`` (one of ``SOURCES`` or None).

    A ``str``, so that code, exports and user templates that treat caveats as text keep
    working; the source is immutable like the text.
    """

    source: str | None

    def __new__(cls, text: str, source: str | None = None) -> Caveat:
        self = super().__new__(cls, text)
        object.__setattr__(self, "source", source)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Caveat is immutable (cannot set {name!r})")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Caveat):
            return str.__eq__(self, other) and self.source == other.source
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__

    def __reduce__(self) -> tuple[type[Caveat], tuple[str, str | None]]:
        return (Caveat, (str(self), self.source))

    def __repr__(self) -> str:
        return f"Caveat({str(self)!r}, source={self.source!r})"

    @property
    def source_label(self) -> str:
        """The words shown after it for its source (:func:`source_label`)."""
        return source_label(self.source)


@dataclass(frozen=True, slots=True)
class AgentUse:
    """An agent as the annotation names it, resolved to the vocabulary's canonical id."""

    name: str
    canonical: str | None
    role: str | None = None
    dose: str | None = None
    route: str | None = None

    @property
    def id(self) -> str:
        """The canonical id, or the name as written when the vocabulary does not know it."""
        return self.canonical or self.name

    def describe(self, name: str | None = None) -> str:
        """The one way an agent is written with its details in tables and lists: ``name (role;
        dose; route)`` (exports write each detail as its own block of cytobib's note instead,
        :mod:`cytobib.zotero_note`). ``name`` defaults to the name as written; blank details
        are left out."""
        details = [
            (label, value.strip())
            for label, value in (("role", self.role), ("dose", self.dose), ("route", self.route))
            if value and value.strip()
        ]
        shown = self.name if name is None else name
        if not details:
            return shown
        return f"{shown} ({'; '.join(v for _, v in details)})"


@dataclass(frozen=True)
class Annotation:
    """What the reader wrote about one work (annotations/<key>.yaml).

    Read-only all the way down: list-valued fields are tuples, and ``verified`` and ``extra``
    (the ``x-`` fields, any YAML) are frozen with :func:`frozen`, so an annotation can be
    hashed and shared between views without a copy.
    """

    key: str
    path: str
    summary: str = ""
    claims: tuple[Claim, ...] = ()
    agents: tuple[AgentUse, ...] = ()
    targets: tuple[str, ...] = ()
    cancers: tuple[str, ...] = ()
    """The cancers as the file names them."""
    cancer_ids: tuple[str, ...] = ()
    """``cancers`` resolved to the vocabulary's canonical ids, one per name (a name the
    vocabulary does not know stands for itself, as ``AgentUse.id``). Left empty when built in
    memory, it is the names as written."""
    study_type: str | None = None
    caveats: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    status: str | None = None
    priority: int | None = None
    related: tuple[str, ...] = ()
    verified: tuple[Mapping[str, object], ...] = ()
    extra: Mapping[str, object] = field(default_factory=dict)
    unconfirmed: tuple[str, ...] = ()
    """Facts about the work that no record confirmed (author, volume, DOI...): shown to the
    reader with the work, not only by `check`."""
    source: str = field(default="", compare=False, repr=False)
    """A digest of the file's bytes and name, which caches key on ("": built in memory)."""
    suggested: tuple[str, ...] = ()
    """Fields drafted by ``cytobib suggest`` and not yet confirmed by the reader."""

    def __post_init__(self) -> None:
        # Checked field by field, not in a loop: a warm load builds 10k of these.
        if (
            type(self.claims) is not tuple
            or type(self.agents) is not tuple
            or type(self.targets) is not tuple
            or type(self.cancers) is not tuple
            or type(self.caveats) is not tuple
            or type(self.tags) is not tuple
            or type(self.related) is not tuple
            or type(self.cancer_ids) is not tuple
            or type(self.unconfirmed) is not tuple
        ):
            for name in _ANNOTATION_TUPLES:
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.cancers and not self.cancer_ids:
            object.__setattr__(self, "cancer_ids", self.cancers)
        if self.verified:
            object.__setattr__(self, "verified", frozen(self.verified))
        if self.extra:
            object.__setattr__(self, "extra", frozen(self.extra))
        elif self.extra is not _NOTHING:
            object.__setattr__(self, "extra", _NOTHING)

    def __hash__(self) -> int:
        return hash(
            (
                self.key, self.path, self.summary, self.claims, self.agents, self.targets,
                self.cancers, self.cancer_ids, self.study_type, self.caveats, self.tags,
                self.status, self.priority, self.related, _hashable(self.verified),
                _hashable(self.extra), self.unconfirmed, self.suggested,
            )
        )  # fmt: skip

    @property
    def evidence(self) -> tuple[str, ...]:
        """Distinct evidence levels of the claims, in order of first appearance."""
        return tuple(dict.fromkeys(c.evidence for c in self.claims if c.evidence))


_ANNOTATION_TUPLES = (
    "claims", "agents", "targets", "cancers", "cancer_ids", "caveats", "tags", "related",
    "unconfirmed",
)  # fmt: skip
_NOTHING: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class UpdateStatus:
    """A retraction, correction or expression of concern bearing on a work.

    ``kind`` is ``retracted``, ``concern`` or ``corrected``; Crossref's mapping also gives
    ``notice`` for a record that is itself a notice (``update-to``), with ``target_doi`` the
    work it updates. ``source`` is ``publisher``, ``retraction-watch`` (Crossref's names) or
    ``title`` (a "RETRACTED:" title). ``notice_label`` is the notice's own wording, where
    Crossref gives one. An entry's ``update-status`` field holds the first four parts.
    """

    kind: str
    notice_doi: str | None = None
    source: str | None = None
    date: str | None = None
    notice_label: str | None = None
    target_doi: str | None = None

    @property
    def label(self) -> str:
        """The flag as shown to readers: RETRACTED, EXPRESSION OF CONCERN, CORRECTED."""
        return {
            "retracted": "RETRACTED",
            "concern": "EXPRESSION OF CONCERN",
            "corrected": "CORRECTED",
        }.get(self.kind, self.kind.upper())


@dataclass(frozen=True)
class Record:
    """An entry with its annotation (if any): the unit every view and export works on."""

    entry: Entry
    annotation: Annotation | None = None

    @property
    def key(self) -> str:
        """The citation key (the entry's)."""
        return self.entry.key

    @lazy
    def update_status(self) -> UpdateStatus | None:
        """Retraction or correction flag, from the entry's ``update-status`` field.

        The field is written by ``cytobib enrich``/``check --online`` from Crossref's
        ``updated-by`` data as ``kind; notice DOI; source; date`` so that the flag travels with
        the .bib file and works offline.
        """
        return parse_update_status(self.entry.fields.get("update-status", ""))


def parse_update_status(value: str) -> UpdateStatus | None:
    """The flag an ``update-status`` field holds (``kind; notice DOI; source; date``), or
    None for an empty field."""
    if not value.strip():
        return None
    parts = [latex.to_text(p) for p in value.split(";")]
    parts += [""] * (4 - len(parts))
    kind = parts[0].lower()
    return UpdateStatus(kind, parts[1] or None, parts[2] or None, parts[3] or None)


@dataclass(frozen=True)
class Library:
    """A loaded library: records in file order, the issues found, and where it lives."""

    records: tuple[Record, ...]
    issues: tuple[Issue, ...] = ()
    bib_path: str = ""
    annotations_dir: str = ""
    encoding: str = "utf-8"

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    @lazy
    def by_key(self) -> Mapping[str, Record]:
        """Records by citation key (the first one, where a key is duplicated)."""
        out: dict[str, Record] = {}
        for record in self.records:
            out.setdefault(record.key, record)
        return out

    def get(self, key: str) -> Record | None:
        """The record with ``key``, or None."""
        return self.by_key.get(key)


_ET_AL = frozenset({("al", "et"), ("al.", "et"), ("et al", ""), ("et al.", ""), ("others", "")})


def et_al(people: tuple[Person, ...]) -> tuple[Person, ...]:
    """A last name "et al." as exports write it ("and et al", "and al, et") is BibTeX's
    "and others": it truncates the list, it is not a person named Al."""
    if len(people) > 1 and (people[-1].family.casefold(), people[-1].given.casefold()) in _ET_AL:
        return (*people[:-1], Person("others"))
    return people


def parse_names(value: str) -> tuple[Person, ...]:
    """Split a BibTeX name list ("and"-separated; First von Last or von Last, Jr, First)."""
    if not value.strip():
        return ()
    if "\\" in value or "{" in value or "}" in value:
        # bibtexparser's splitter implements the BibTeX rules (brace levels, escapes); only
        # its pure functions are used, so that names are split lazily, per entry.
        from cytobib.bibfile.names import split_names

        pieces = split_names(value)
    else:
        # Without braces or backslashes its rules come down to " and " between blanks.
        pieces = _AND.split(value.strip(" \r\n\t"))
    return tuple(_person(raw) for piece in pieces if (raw := piece.strip()))


# bibtexparser's separator: "and" in any case between its blanks (a tie is no blank there).
_AND = re.compile(r"[ \r\n\t]+[aA][nN][dD][ \r\n\t]+")
# Within one name a tie separates words too.
_NAME_BLANKS = str.maketrans("~\r\n\t", "    ")


@lru_cache(maxsize=65536)
def _person(raw: str) -> Person:
    """One name of a list, stripped and not empty; cached, as authors recur in a library."""
    if raw == "others":
        return Person(family="others", corporate=True)
    if "\\" in raw or "{" in raw or "}" in raw:
        return _person_bibtex(raw)
    return _person_plain(raw)


def _word_case(word: str) -> int:
    """1 when the first letter is upper case, 0 for any other letter, -1 without letters."""
    for char in word:
        if char.isalpha():
            return 1 if char.isupper() else 0
    return -1


def _person_plain(raw: str) -> Person:
    """``_person_bibtex`` for a name without braces or backslashes, several times faster.

    Follows bibtexparser's ``parse_single_name_into_parts`` (strict=False) step by step:
    words end at blanks, ties and commas; at most three comma-separated sections; a word's
    case is that of its first letter.
    """
    if "~" in raw or "\n" in raw or "\t" in raw or "\r" in raw:
        raw = raw.translate(_NAME_BLANKS)
    sections = raw.split(",")
    if len(sections) > 3:  # further commas only end words of the third section
        sections[2:] = [" ".join(sections[2:])]
    words = [[w for w in section.split(" ") if w] for section in sections]
    if not words[-1]:
        words.pop()
    first: list[str] = []
    von: list[str] = []
    last: list[str] = []
    jr: list[str] = []
    if not any(words):
        pass
    elif len(words) == 1:  # First von Last
        p0 = words[0]
        if len(p0) == 1:
            last = p0
        elif len(p0) == 2:
            first, last = p0[:1], p0[1:]
        else:
            cases = [_word_case(w) for w in p0]
            if 0 in cases:
                firstl = cases.index(0) - len(cases)
                lastl = -cases[::-1].index(0) - 1
                if lastl == -1:
                    lastl -= 1
                first, von, last = p0[:firstl], p0[firstl : lastl + 1], p0[lastl + 1 :]
            else:
                first, last = p0[:-1], p0[-1:]
    else:  # von Last, First or von Last, Jr, First
        if words[-1]:
            first = words[-1]
        if len(words) == 3 and words[1]:
            jr = words[1]
        p0 = words[0]
        if len(p0) == 1:
            last = p0
        else:
            cases = [_word_case(w) for w in p0]
            if 0 in cases:
                split = 0
                for i in range(len(cases) - 2, -1, -1):
                    if cases[i] == 0:
                        split = i + 1
                        break
                von, last = p0[:split], p0[split:]
            else:
                last = p0
    return Person(
        family=latex.to_text(" ".join(last)),
        given=latex.to_text(" ".join(first)) if first else "",
        von=latex.to_text(" ".join(von)) if von else "",
        jr=latex.to_text(" ".join(jr)) if jr else "",
    )


def _person_bibtex(raw: str) -> Person:
    """One name by bibtexparser's rules; braced whole names are corporate."""
    from cytobib.bibfile.names import name_parts

    if (
        raw.startswith("{")
        and raw.endswith("}")
        and latex.is_balanced(raw[1:-1], count_escaped=True)
    ):
        return Person(family=latex.to_text(raw[1:-1]), corporate=True)
    try:
        first, von, last, jr = name_parts(raw)
    except Exception:
        return Person(family=latex.to_text(raw), corporate=True)
    return Person(
        family=latex.to_text(" ".join(last)),
        given=latex.to_text(" ".join(first)),
        von=latex.to_text(" ".join(von)),
        jr=latex.to_text(" ".join(jr)),
    )


def _parse_names_bibtex(value: str) -> tuple[Person, ...]:
    """``parse_names`` by bibtexparser alone, uncached: the reference the fast path matches."""
    if not value.strip():
        return ()
    from cytobib.bibfile.names import split_names

    people = []
    for piece in split_names(value):
        raw = piece.strip()
        if raw == "others":
            people.append(Person(family="others", corporate=True))
        elif raw:
            people.append(_person_bibtex(raw))
    return tuple(people)
