"""Field precedence, decided in exactly one place: the user's value wins, others fill gaps.

Both ``cytobib enrich`` (Crossref) and ``cytobib import`` (a Zotero or cytobib export) bring
values for fields an entry may already have. :func:`plan` compares them after normalising away
differences that are only notation (``{IL-2}`` vs ``IL-2``, ``207--217`` vs ``207-217``,
``nov`` vs ``11``, DOI case). A missing field is *filled*; a differing one is a *conflict*,
reported with both values and never applied unless the user accepts that field
(``--accept FIELD``) or everything (``--overwrite``). Conflicts the user dismissed are
remembered in ``.cytobib/provenance.json`` beside cytobib.toml, with where each value came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cytobib import latex
from cytobib.bibfile import atomic_write_bytes
from cytobib.doi import canonical
from cytobib.errors import InputError, WriteError
from cytobib.model import Entry, Location, parse_names

PROVENANCE_FILE = Path(".cytobib") / "provenance.json"

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FUZZY_FIELDS = {"title", "abstract", "journal", "booktitle", "publisher"}
_NEVER_FILL = {"update-status"}  # written by the retraction check, not by a merge

PUBMED_FIRST = frozenset({"pmid", "pmcid", "abstract", "shortjournal", "keywords"})
"""Fields PubMed is preferred for when Crossref offers them too: its own ids, the abstract
(many publishers deposit none at Crossref, or a JATS one), NLM's ISO abbreviation and the
MeSH-derived keywords. Crossref, the publisher's own deposit, is preferred for the rest."""


@dataclass(frozen=True)
class Conflict:
    """A field whose value differs between the library and a source."""

    key: str
    field: str
    ours: str
    theirs: str
    source: str

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha1(self.theirs.encode(), usedforsecurity=False).hexdigest()[:12]
        return f"{self.key}|{self.field}|{digest}"


@dataclass(frozen=True)
class Plan:
    """What a merge would do to one entry: fields to set, conflicts left for the user."""

    key: str
    updates: Mapping[str, str] = field(default_factory=dict)
    conflicts: tuple[Conflict, ...] = ()
    dismissed: tuple[Conflict, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    """The source of each update, when a plan combines several (:func:`combine`)."""

    @property
    def changed(self) -> bool:
        return bool(self.updates)


def normalise(name: str, value: str) -> str:
    """The comparison form of a field value: notation differences removed."""
    if name == "doi":
        return canonical(latex.verbatim(value))  # as Entry.doi: one DOI, however written
    text = latex.to_text(value)
    if name == "month":
        low = text.strip().lower()
        if low.isdigit():
            return str(int(low))
        return str(_MONTHS.index(low[:3]) + 1) if low[:3] in _MONTHS else low
    if name == "pages":
        return re.sub(r"\s*[–—-]+\s*", "-", text.strip())
    if name in ("author", "editor"):
        people = parse_names(value)
        return "|".join(_fold(p.last) for p in people)
    if name in ("keywords", "keyword"):
        from cytobib.exports import split_keywords  # one reading of the field, case kept

        return "\n".join(sorted(set(split_keywords(value))))
    if name in ("issn", "isbn"):
        return ",".join(
            sorted(
                re.sub(r"[^0-9x]", "", p) for p in re.split(r"[,;\s]+", text.lower()) if p.strip()
            )
        )
    return _fold(text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def same(name: str, ours: str, theirs: str, *, strict: bool = False) -> bool:
    """True when two values differ only in notation; with ``strict`` a difference in case,
    punctuation or wording counts (the text must be the same once LaTeX is decoded)."""
    a, b = normalise(name, ours), normalise(name, theirs)
    if name in ("issn", "isbn") and b and set(b.split(",")) <= set(a.split(",")):
        return True  # one of our numbers (PubMed's "X (Print) Y (Linking)"): nothing new
    if strict:
        return a == b and latex.to_text(ours) == latex.to_text(theirs)
    if a == b:
        return True
    if name in _FUZZY_FIELDS and a and b:
        from rapidfuzz import fuzz

        return fuzz.ratio(a, b) >= 95
    return False


def plan(
    entry: Entry,
    incoming: Mapping[str, str],
    *,
    source: str,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dismissed: Collection[str] = (),
    strict: Collection[str] = (),
) -> Plan:
    """Decide, field by field, what ``incoming`` may change in ``entry``.

    ``accept`` names fields whose incoming value wins a conflict; an item may list several,
    comma-separated (``--accept title,journal``). ``strict`` names fields where any change
    of the decoded text is a conflict, case included (``import`` brings the user's own edits;
    Crossref's re-cased titles are notation).
    """
    updates: dict[str, str] = {}
    conflicts: list[Conflict] = []
    quiet: list[Conflict] = []
    accepted = {f.strip().lower() for item in accept for f in item.split(",") if f.strip()}
    for raw_name, value in incoming.items():
        name = raw_name.lower()
        if not value.strip() or name in _NEVER_FILL:
            continue
        ours = entry.fields.get(name, "")
        if not ours.strip():
            updates[name] = value
            continue
        if same(name, ours, value, strict=name in strict):
            continue
        conflict = Conflict(entry.key, name, ours, value, source)
        if overwrite or name in accepted:
            updates[name] = value
        elif conflict.fingerprint in dismissed:
            quiet.append(conflict)
        else:
            conflicts.append(conflict)
    return Plan(entry.key, updates, tuple(conflicts), tuple(quiet))


def prefer(offers: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Split the fields several sources offer one entry so that each field comes from one
    source: PubMed's value for :data:`PUBMED_FIRST`, Crossref's for every other field, and a
    field only one source offers from that source (so a source that is down, slow or has no
    record never keeps the other from filling what it can). Sources other than ``crossref``
    and ``pubmed`` come after both, in the order given.

    Returns ``{source: {field: value}}`` with every offered field in exactly one source.
    """
    ranked = sorted(
        offers, key=lambda s: ("crossref", "pubmed").index(s) if s in ("crossref", "pubmed") else 2
    )
    out: dict[str, dict[str, str]] = {source: {} for source in offers}
    names = dict.fromkeys(n for source in ranked for n, v in offers[source].items() if v.strip())
    for name in names:
        order = list(ranked)
        if name.lower() in PUBMED_FIRST and "pubmed" in order:
            order.remove("pubmed")
            order.insert(0, "pubmed")
        for source in order:
            value = offers[source].get(name, "")
            if value.strip():
                out[source][name] = value
                break
    return out


def plan_sources(
    entry: Entry,
    offers: Mapping[str, Mapping[str, str]],
    *,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dismissed: Collection[str] = (),
) -> Plan:
    """:func:`plan` for values from several sources, each field from the source
    :func:`prefer` picks; conflicts name that source, and ``sources`` says where each update
    comes from."""
    updates: dict[str, str] = {}
    sources: dict[str, str] = {}
    conflicts: list[Conflict] = []
    quiet: list[Conflict] = []
    for source, incoming in prefer(offers).items():
        part = plan(
            entry, incoming, source=source, accept=accept, overwrite=overwrite, dismissed=dismissed
        )
        updates.update(part.updates)
        sources.update(dict.fromkeys(part.updates, source))
        conflicts.extend(part.conflicts)
        quiet.extend(part.dismissed)
    return Plan(entry.key, updates, tuple(conflicts), tuple(quiet), sources)


# --- provenance ------------------------------------------------------------------------------


@dataclass
class Provenance:
    """Where values came from, and which conflicts the user dismissed (.cytobib/provenance.json)."""

    path: Path
    fields: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    dismissed: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, root: Path) -> Provenance:
        """The project's record; a missing file is an empty one. A file that cannot be read
        is an error, never silently replaced: it holds every dismissal and source."""
        path = root / PROVENANCE_FILE
        shown = PROVENANCE_FILE.as_posix()
        keep = "cytobib will not replace it, since it holds every dismissal and value source."
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise InputError(
                f"{shown} cannot be read ({reason}); {keep}",
                hint="Check that .cytobib is a folder and the file is readable UTF-8.",
            ) from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
            raise InputError(
                f"{shown} is not valid JSON ({getattr(exc, 'msg', exc)}); {keep}",
                hint="Fix the file (a git conflict marker such as <<<<<<< ?), or move it "
                "aside to start a fresh record.",
                where=Location(shown, line, column),
            ) from None
        fields = data.get("fields", {}) if isinstance(data, dict) else None
        dismissed = data.get("dismissed", []) if isinstance(data, dict) else None
        if not isinstance(fields, dict) or not isinstance(dismissed, list):
            raise InputError(
                f"{shown} is JSON but not cytobib's provenance record; {keep}",
                hint="Move it aside to start a fresh record.",
                where=Location(shown),
            )
        return cls(path, dict(fields), {str(d) for d in dismissed})

    def record(self, key: str, names: Collection[str], source: str) -> None:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        for name in names:
            self.fields.setdefault(key, {})[name] = {"source": source, "at": now}

    def source_of(self, key: str, name: str) -> str:
        """'user' unless cytobib wrote the value."""
        return self.fields.get(key, {}).get(name, {}).get("source", "user")

    def dismiss(self, conflicts: Collection[Conflict]) -> None:
        self.dismissed.update(c.fingerprint for c in conflicts)

    def save(self, *, after: str | None = None) -> None:
        """Write the record atomically. ``after`` names a file this command already wrote,
        so that a failure here does not claim that nothing changed."""
        try:
            self._save()
        except WriteError as exc:
            if after is None:
                raise
            raise WriteError(
                f"{after} was written, but the record of where its values came from was not: "
                f"{exc.message}",
                hint="Fix the cause (see above) and run `cytobib check`; the new values are in "
                f"{after}, only their source is not recorded.",
            ) from None

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # e.g. a file named .cytobib where the folder should be
            raise WriteError(
                f"Cannot create the folder {self.path.parent}: {exc.strerror or exc}.",
                hint="cytobib keeps its records in the folder .cytobib; rename the file "
                "that has that name.",
            ) from None
        data = {
            "about": "Written by cytobib: where field values came from, and dismissed conflicts.",
            "fields": self.fields,
            "dismissed": sorted(self.dismissed),
        }
        text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        atomic_write_bytes(self.path, text.encode("utf-8"))
