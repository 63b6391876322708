"""Finding and reading works: ``cytobib list`` (one line per work) and ``cytobib show KEY``
(one work in full: entry, annotation, problems).

Both are pure views of a loaded project: selection goes through the one selection step the
other views use (``views.select``: ``--where`` and ``--sort``), after the full-text search of
:mod:`cytobib.search`; the CLI only lays the result out.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cytobib import caching, gate, search
from cytobib.library import Project, record_for
from cytobib.model import Entry, Issue, Record, Severity
from cytobib.search import entry_text, fold
from cytobib.vocabulary import Vocabulary


@dataclass(frozen=True)
class Listed:
    """One work of a listing, with its problems (errors and warnings, worst first).

    ``first_author`` and ``title`` are the display forms (names parsed, LaTeX decoded, blanks
    folded): :func:`list_works` keeps them between runs by entry content, as they cost most
    of a listing of 10,000 works."""

    record: Record
    problems: tuple[Issue, ...] = ()
    first_author: str = ""
    title: str = ""

    @classmethod
    def of(cls, record: Record, problems: tuple[Issue, ...] = ()) -> Listed:
        return cls(record, problems, *display(record))

    @property
    def key(self) -> str:
        return self.record.key

    @property
    def year(self) -> int | None:
        return self.record.entry.year

    @property
    def agents(self) -> tuple[str, ...]:
        ann = self.record.annotation
        return tuple(dict.fromkeys(a.id for a in ann.agents)) if ann else ()

    @property
    def status(self) -> str | None:
        """The reading status; None when the work has no annotation."""
        ann = self.record.annotation
        return None if ann is None else ann.status or ""

    def as_dict(self) -> dict[str, Any]:
        entry, ann = self.record.entry, self.record.annotation
        return {
            "key": self.key,
            "type": entry.type,
            "first_author": self.first_author,
            "authors": [p.display() for p in entry.authors],
            "year": self.year,
            "title": self.title,
            "journal": entry.container,
            "doi": entry.doi or None,
            "annotated": ann is not None,
            "status": self.status,
            "priority": ann.priority if ann else None,
            "agents": list(self.agents),
            "cancers": list(dict.fromkeys(ann.cancer_ids)) if ann else [],
            "tags": list(ann.tags) if ann else [],
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class Listing:
    """What ``cytobib list`` shows: the works selected, in order, out of ``total``."""

    rows: tuple[Listed, ...]
    total: int
    notices: tuple[str, ...] = ()  # annotation files left out (keep_going)


def display(record: Record) -> tuple[str, str]:
    """(first author's family name, title on one line), as a listing shows them."""
    people = [p for p in record.entry.authors if p.family != "others"]
    return (people[0].last if people else ""), " ".join(record.entry.title.split())


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_row(value: Any) -> bool:
    return (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
    )


def problems_by_key(issues: tuple[Issue, ...]) -> Mapping[str, tuple[Issue, ...]]:
    """Errors and warnings by citation key, worst first (info items are not problems)."""
    out: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        if issue.key is not None and issue.severity >= Severity.WARNING:
            out[issue.key].append(issue)
    return {k: tuple(sorted(v, key=lambda i: -int(i.severity))) for k, v in out.items()}


def list_works(
    project: Project,
    *,
    where: str | None = None,
    search: str | None = None,
    sort: str = "author",
    keep_going: bool = False,
) -> Listing:
    """The works of the library (``cytobib list``), one :class:`Listed` each: those ``where``
    selects (the ``--where`` language) and that hold every term of ``search`` (full text:
    title, abstract, keywords and every annotation text; case and accents ignored), sorted
    by ``sort`` (``author``, ``year``, ``priority``, ``title``; ``-year`` for descending).

    Raises:
        FilterError: ``where`` does not parse.
        UsageError: an unknown ``sort``, or a ``search`` with no word in it.
        UnusableAnnotations: an annotation file cannot be used (``keep_going``: listed with
            the problem, and the listing's ``notices`` say so).
    """
    from cytobib.views import default_formatter, select

    notices = gate.require(project, keep_going=keep_going)
    records = list(project.library)
    if search is not None:
        # An entry's folded text (its abstract decoded) is kept by content between runs.
        texts = dict(
            zip(
                (r.entry.digest for r in records),
                caching.per_entry(
                    project.store,
                    "search-text",
                    records,
                    lambda r: fold(entry_text(r.entry)),
                    _is_text,
                    whole=True,
                    plain=True,
                ),
                strict=True,
            )
        )

        def folded(entry: Entry) -> str:
            known = texts.get(entry.digest)  # every listed entry's: made above
            return fold(entry_text(entry)) if known is None else known

        matches = _searcher(search, project.vocabulary, folded)
        records = [r for r in records if matches(r)]
    chosen = select(
        records, project.vocabulary, where=where, sort=sort, formatter=default_formatter(project)
    )
    problems = problems_by_key(project.library.issues)
    shown = caching.per_entry(project.store, "list-rows", chosen, display, _is_row)
    rows = tuple(
        Listed(r, problems.get(r.key, ()), *row) for r, row in zip(chosen, shown, strict=True)
    )
    return Listing(rows, len(project.library), notices)


def _searcher(text: str, vocabulary: Vocabulary, folded: Callable[[Entry], str]) -> Any:
    from cytobib.errors import UsageError

    try:
        return search.compile_search(text, vocabulary, folded_entry=folded)
    except ValueError:
        raise UsageError(
            f"--search {text!r} holds no word to search for.",
            hint="Give one or more words; quote a phrase: --search '\"regulatory T cells\"'.",
        ) from None


@dataclass(frozen=True)
class Shown:
    """One work in full (``cytobib show``): its record, where it lives, and every issue about
    it (info items included), worst first."""

    record: Record
    bib_location: str
    annotation_path: str | None
    issues: tuple[Issue, ...]

    @property
    def usable(self) -> bool:
        """False when the work's annotation file exists but cannot be used."""
        return not any(gate.is_unusable(i) for i in self.issues)

    def as_dict(self) -> dict[str, Any]:
        entry, ann = self.record.entry, self.record.annotation
        out: dict[str, Any] = {
            "key": self.record.key,
            "type": entry.type,
            "location": self.bib_location,
            "fields": {name: entry.text(name) for name in entry.fields},
            "annotation_file": self.annotation_path,
            "annotation": None,
            "issues": [i.as_dict() for i in self.issues],
        }
        if ann is not None:
            out["annotation"] = {
                "summary": ann.summary,
                "status": ann.status,
                "priority": ann.priority,
                "study_type": ann.study_type,
                "agents": [
                    {"name": a.name, "id": a.id, "role": a.role, "dose": a.dose, "route": a.route}
                    for a in ann.agents
                ],
                "cancers": list(ann.cancers),
                "targets": list(ann.targets),
                "claims": [
                    {
                        "text": c.text,
                        "evidence": c.evidence,
                        "numbers": c.numbers,
                        "quote": c.quote,
                        "page": c.page,
                        "source": c.source,
                    }
                    for c in ann.claims
                ],
                "caveats": [
                    {"text": str(c), "source": getattr(c, "source", None)} for c in ann.caveats
                ],
                "tags": list(ann.tags),
                "related": list(ann.related),
                "unconfirmed": list(ann.unconfirmed),
            }
        return out


def show(project: Project, key: str) -> Shown:
    """One work in full (``cytobib show KEY``): entry, annotation and every issue about it.

    An annotation file that cannot be used is not an error here: its problem is among the
    issues (``Shown.usable`` is False), so that it can be shown.

    Raises:
        UnknownKeyError: no entry has ``key`` (the hint names the closest keys).
    """
    from cytobib.annotations import path_for
    from cytobib.errors import AnnotationFileError

    record = record_for(project.library, key)
    issues = sorted(
        (i for i in project.library.issues if i.key == key),
        key=lambda i: (-int(i.severity), i.location.line or 0 if i.location else 0),
    )
    try:
        path = path_for(project.config.annotations, key)
    except AnnotationFileError:  # an unsafe key: the issues say why
        path = None
    shown = _shown(path) if path is not None and path.exists() else None
    where = f"{_shown(project.config.bib)}:{record.entry.line}"
    return Shown(record, where, shown, tuple(issues))


def _shown(path: os.PathLike[str] | str) -> str:
    """A path as the user would type it: relative to the working directory."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
