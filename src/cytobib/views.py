"""Views decide content, order, numbering and grouping; formats only write them.

``reading_list`` and ``review_table`` share one selection step (filter, sort, number), so the
citation numbers of a review table match the reading list built with the same style and
filter: number = position in the filtered, sorted list, whatever the grouping.

Views are pure: they take the loaded project and a reference :class:`Formatter` (by default
``citing.Citations`` over the project's store) and return data; they write no file and keep
no cache. `build` hands one formatter to its three views, so the list is formatted once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cytobib.annotations import EVIDENCE_LEVELS, STATUSES, STUDY_TYPES
from cytobib.checks import unconfirmed
from cytobib.citing import Citations, author_key
from cytobib.errors import UsageError
from cytobib.library import Project
from cytobib.model import Annotation, Caveat, Record
from cytobib.query import compile_filter, field_values
from cytobib.styles import Reference  # also views.Reference (tests, bench)
from cytobib.vocabulary import Vocabulary

T = TypeVar("T")


class Formatter(Protocol):
    """What views ask from outside (``citing.Citations``): references in a citation style, and
    the keys works sort by author with (names parsed, titles decoded)."""

    def references(self, records: Sequence[Record], style: str) -> list[Reference]:
        """The records formatted in ``style``, in their order."""
        ...

    def author_keys(self, records: Sequence[Record]) -> list[tuple[Any, ...]]:
        """``citing.author_key`` of each record."""
        ...


def default_formatter(project: Project) -> Formatter:
    """The formatter views use unless given one: formatted references kept in the project's
    store."""
    return Citations(project.config, project.store)


def today() -> str:
    """The date stamped on outputs; ``SOURCE_DATE_EPOCH`` (reproducible builds) fixes it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        with contextlib.suppress(ValueError, OverflowError, OSError):  # past year 9999
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


SORTS = ("author", "year", "priority", "title")
GROUPS = (
    "agent", "agent-class", "cancer", "cancer-class", "study-type", "evidence", "tag", "status",
    "year",
)  # fmt: skip
SECTIONS = ("summary", "claims", "caveats", "agents", "abstract")
DEFAULT_SECTIONS = ("summary", "claims", "caveats", "agents")
NONE_GROUP = "Not assigned"


@dataclass(frozen=True)
class Item:
    """One work in a view, with its list number and formatted reference."""

    record: Record
    number: int
    reference: Reference
    note: str | None = None  # e.g. "also under: Anakinra"

    @property
    def warning(self) -> str | None:
        status = self.record.update_status
        if status is None:
            return None
        notice = f" (notice: https://doi.org/{status.notice_doi})" if status.notice_doi else ""
        source = f"; source: {status.source}" if status.source else ""
        return f"{status.label}{notice}{source}"

    @property
    def short(self) -> str:
        return short_citation(self.record, self.number)

    @property
    def gaps(self) -> str:
        return gaps_text(self.record)


@dataclass(frozen=True)
class Group:
    title: str
    anchor: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class ReadingList:
    title: str
    style: str
    groups: tuple[Group, ...]
    sections: tuple[str, ...]
    items: tuple[Item, ...]  # every work once, in number order
    where: str | None = None
    group_by: str | None = None
    generated: str = field(default_factory=today)
    project: Project | None = field(default=None, compare=False, repr=False)
    """The project the view was built from: :func:`cytobib.render` takes templates and
    vocabulary from it."""
    notices: tuple[str, ...] = ()
    """Warnings every format prints at the top (``gate.notices``: notes left out)."""

    @property
    def count(self) -> int:
        return len(self.items)


def short_citation(record: Record, number: int | None = None) -> str:
    """ "Rosenberg 2014 [3]", "Lasfar & Cohen-Solal 2016", "Benci et al. 2016"."""
    people = [p for p in record.entry.authors if p.family != "others"]
    if not people:
        words = record.entry.title.split()
        name = " ".join(words[:4]) + ("…" if len(words) > 4 else "") if words else record.key
    elif len(people) == 1 and len(record.entry.authors) == 1:
        name = people[0].last
    elif len(people) == 2 and len(record.entry.authors) == 2:
        name = f"{people[0].last} & {people[1].last}"
    else:
        name = f"{people[0].last} et al."
    year = record.entry.year
    out = f"{name} {year}" if year else name
    return f"{out} [{number}]" if number is not None else out


def gaps_text(record: Record) -> str:
    """ "Not confirmed: author, journal, year", or "" when nothing is missing: shown with the
    work so that a reader sees the gaps that `check` reports (``checks.unconfirmed``)."""
    facts = unconfirmed(record)
    return f"Not confirmed: {', '.join(facts)}" if facts else ""


# --- selection -----------------------------------------------------------------------------------


def _primary(
    sort: str, author: Callable[[Record], tuple[Any, ...]] = author_key
) -> Callable[[Record], tuple[Any, ...]]:
    """The first part of a sort key alone, with a missing value last when it is reversed."""
    if sort == "author":
        return lambda r: (bool(r.entry.authors), author(r)[0])
    if sort == "year":
        return lambda r: (r.entry.year is not None, r.entry.year or 0)
    if sort == "priority":
        return lambda r: (bool(r.annotation and r.annotation.priority), _priority(r))
    return lambda r: (bool(r.entry.title), r.entry.title.casefold())


def _priority(r: Record) -> int:
    return r.annotation.priority if r.annotation and r.annotation.priority else 9


def _sort_key(
    sort: str, author: Callable[[Record], tuple[Any, ...]] = author_key
) -> Callable[[Record], tuple[Any, ...]]:
    if sort == "author":
        return author
    if sort == "year":
        return lambda r: (r.entry.year or 9999, *author(r))
    if sort == "priority":
        return lambda r: (_priority(r), *author(r))
    if sort == "title":
        return lambda r: (r.entry.title.casefold(), r.entry.year or 0)
    raise UsageError(
        f"Unknown sort '{sort}'.",
        hint=f"Use one of: {', '.join(SORTS)}; put a minus before it for descending (-year).",
    )


def select(
    records: Iterable[Record],
    vocabulary: Vocabulary,
    *,
    where: str | None,
    sort: str,
    formatter: Formatter | None = None,
) -> list[Record]:
    """Filter and sort: the one selection step every view shares. A ``formatter`` gives the
    author sort keys (kept between runs by ``citing.Citations``); without one they are made
    here.

    ``sort`` is a field of :data:`SORTS`, or ``-field`` for descending order: that field is
    reversed (missing values still last), ties keep the ascending order of the rest."""
    descending = sort.startswith("-")
    sort = sort.removeprefix("-")
    _sort_key(sort)  # an unknown sort fails before any work
    predicate = compile_filter(where or "", vocabulary)
    chosen = [r for r in records if predicate(r)]
    author: Callable[[Record], tuple[Any, ...]] = author_key
    if formatter is not None and sort != "title":
        keys = dict(zip((id(r) for r in chosen), formatter.author_keys(chosen), strict=True))

        def author(r: Record) -> tuple[Any, ...]:
            return keys[id(r)]

    chosen.sort(key=_sort_key(sort, author))
    if descending:  # stable: works equal in the field keep the order just made
        chosen.sort(key=_primary(sort, author), reverse=True)
    return chosen


# --- grouping --------------------------------------------------------------------------------


def group_labels(record: Record, group_by: str, vocabulary: Vocabulary) -> list[str]:
    """The group(s) a record belongs to, by label; [] means none."""
    field_name = group_by.replace("-", "_")
    if group_by == "agent":
        ids = field_values(record, "agent", vocabulary)
        out = []
        for agent_id in ids:
            agent = vocabulary.agents.get(agent_id)
            out.append(agent.label if agent else agent_id)
        return list(dict.fromkeys(out))
    if group_by == "agent-class":
        return [vocabulary.class_label(c) for c in field_values(record, "agent_class", vocabulary)]
    if group_by == "cancer":
        return list(cancer_labels(record, vocabulary))
    if group_by == "cancer-class":
        classes = field_values(record, "cancer_class", vocabulary)
        return [vocabulary.cancers.class_label(c) for c in classes]
    if group_by == "year":
        return [str(record.entry.year)] if record.entry.year else []
    value = field_values(record, field_name, vocabulary)
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def _group_order(group_by: str, vocabulary: Vocabulary) -> Callable[[str], tuple[Any, ...]]:
    fixed: Sequence[str] = ()
    if group_by == "evidence":
        fixed = EVIDENCE_LEVELS
    elif group_by == "status":
        fixed = STATUSES
    elif group_by == "study-type":
        fixed = STUDY_TYPES
    elif group_by == "agent":
        fixed = [a.label for a in vocabulary.agents.values()]
    elif group_by == "agent-class":
        fixed = [vocabulary.class_label(c) for c in vocabulary.classes]
    elif group_by == "cancer":
        fixed = [c.label for c in vocabulary.cancers.terms.values()]
    elif group_by == "cancer-class":
        fixed = [vocabulary.cancers.class_label(c) for c in vocabulary.cancers.classes]

    def order(label: str) -> tuple[Any, ...]:
        if label == NONE_GROUP:
            return (2, 0, "")
        if label in fixed:
            return (0, list(fixed).index(label), label)
        return (1, 0, label.casefold())

    return order


def anchor(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.casefold(), flags=re.UNICODE).strip("-")
    return slug or "group"


def make_groups(
    items: Sequence[Item], group_by: str | None, vocabulary: Vocabulary, *, multi: str = "each"
) -> tuple[Group, ...]:
    if group_by is None:
        return (Group("", "all", tuple(items)),)
    if group_by not in GROUPS:
        raise UsageError(
            f"Unknown grouping '{group_by}'.", hint=f"Use one of: {', '.join(GROUPS)}."
        )
    buckets: dict[str, list[Item]] = {}
    for item in items:
        labels = group_labels(item.record, group_by, vocabulary) or [NONE_GROUP]
        if multi == "first":
            labels = labels[:1]
        for label in labels:
            others = [x for x in labels if x != label]
            note = f"also under: {', '.join(others)}" if others else None
            buckets.setdefault(label, []).append(
                Item(item.record, item.number, item.reference, note)
            )
    order = _group_order(group_by, vocabulary)
    return tuple(Group(*group) for group in anchored(buckets, order))


def anchored(
    buckets: Mapping[str, Sequence[T]], order: Callable[[str], tuple[Any, ...]]
) -> list[tuple[str, str, tuple[T, ...]]]:
    """Buckets as (label, anchor, members), sorted by ``order``: the one place groups get
    their anchors, each unique ("Zork 1" and "zork-1" become ``zork-1`` and ``zork-1-2``)."""
    used: set[str] = set()
    out = []
    for label in sorted(buckets, key=order):
        slug = anchor(label)
        while slug in used:
            slug += "-2"
        used.add(slug)
        out.append((label, slug, tuple(buckets[label])))
    return out


# --- citations ---------------------------------------------------------------------------------


def numbered_items(
    project: Project,
    style: str,
    where: str | None,
    sort: str,
    formatter: Formatter | None = None,
) -> tuple[Item, ...]:
    """Select, number and format: the step the reading list, review table and evidence map
    share."""
    formatter = formatter or default_formatter(project)
    records = select(
        project.library, project.vocabulary, where=where, sort=sort, formatter=formatter
    )
    references = formatter.references(records, style)
    return tuple(
        Item(record, n, reference)
        for n, (record, reference) in enumerate(zip(records, references, strict=True), start=1)
    )


def renumbered(items: Iterable[Item], keep: Callable[[Item], bool]) -> tuple[Item, ...]:
    """The items ``keep`` selects, numbered 1..n in their order: a table or map lists only
    the works it shows, and its cells cite them by these numbers. A numeric style's label
    follows the new number (an ``alpha`` label stays as it is)."""
    out: list[Item] = []
    for item in items:
        if not keep(item):
            continue
        n = len(out) + 1
        ref = item.reference
        if ref.label == str(item.number):
            ref = replace(ref, label=str(n))
        out.append(replace(item, number=n, reference=ref))
    return tuple(out)


def format_citations(
    project: Project, records: Sequence[Record], style: str, formatter: Formatter | None = None
) -> list[Reference]:
    """Formatted references in list order (see :class:`Formatter`)."""
    return (formatter or default_formatter(project)).references(records, style)


def reading_list(
    project: Project,
    *,
    style: str | None = None,
    where: str | None = None,
    group_by: str | None = "agent",
    sort: str = "author",
    sections: Sequence[str] = DEFAULT_SECTIONS,
    multi: str = "each",
    title: str | None = None,
    formatter: Formatter | None = None,
) -> ReadingList:
    """Build the annotated reading list: select, number, format, group (references by
    ``formatter``, else :func:`default_formatter`)."""
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise UsageError(
            f"Unknown section(s): {', '.join(unknown)}.",
            hint=f"Sections: {', '.join(SECTIONS)}.",
        )
    if multi not in ("each", "first"):
        raise UsageError(f"Unknown --multi '{multi}'.", hint="Use each or first.")
    style_name = style or project.config.style
    items = numbered_items(project, style_name, where, sort, formatter)
    groups = make_groups(items, group_by, project.vocabulary, multi=multi)
    return ReadingList(
        title=title or f"Reading list: {Path(project.config.bib).stem}",
        style=style_name,
        groups=groups,
        sections=tuple(sections),
        items=items,
        where=where,
        group_by=group_by,
        project=project,
    )


# --- review tables ---------------------------------------------------------------------------

COLUMNS: dict[str, str] = {
    "citation": "Study",
    "year": "Year",
    "agents": "Agents",
    "agent-class": "Agent class",
    "targets": "Targets",
    "cancers": "Cancers",
    "study-type": "Study type",
    "claims": "Key findings",
    "evidence": "Evidence",
    "caveats": "Caveats",
    "status": "Status",
    "doi": "DOI",
    "title": "Title",
    "journal": "Journal",
    "summary": "Summary",
}
DEFAULT_COLUMNS = ("citation", "agents", "cancers", "study-type", "claims", "caveats", "doi")

Cell = str | tuple[str, ...]


@dataclass(frozen=True)
class Row:
    record: Record
    number: int
    cells: Mapping[str, Cell]
    flag: str | None = None  # retraction/correction warning


@dataclass(frozen=True)
class RowGroup:
    title: str
    anchor: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[tuple[str, str], ...]  # (id, heading)
    groups: tuple[RowGroup, ...]
    references: tuple[Item, ...]
    rows_mode: str = "paper"
    where: str | None = None
    generated: str = field(default_factory=today)
    project: Project | None = field(default=None, compare=False, repr=False)
    notices: tuple[str, ...] = ()  # printed at the top (gate.notices)

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(r for g in self.groups for r in g.rows)


def agent_text(record: Record, vocabulary: Vocabulary, only: str | None = None) -> tuple[str, ...]:
    """Each agent of the work (or only the agent ``only``) as "name (role; dose; route)"."""
    ann = record.annotation
    if ann is None:
        return ()
    out = []
    for use in ann.agents:
        if only is not None and use.id != only:
            continue
        agent = vocabulary.agents.get(use.id)
        out.append(use.describe(agent.label if agent else use.name))
    return tuple(out)


def cancer_labels(record: Record, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The work's cancers by canonical label, each once ("oesophageal" and "esophageal
    carcinoma" are one "Oesophageal cancer"); a name the vocabulary does not know as written."""
    ann = record.annotation
    return vocabulary.cancers.labels(ann.cancer_ids) if ann else ()


@dataclass(frozen=True)
class _CellSource:
    """What a column's cell is computed from: one work, its number, and (in agent rows) the
    agent of the row."""

    record: Record
    number: int
    vocabulary: Vocabulary
    agent: str | None

    @property
    def ann(self) -> Annotation:
        return self.record.annotation or _NO_ANNOTATION


_NO_ANNOTATION = Annotation(key="", path="")


def _citation_cell(src: _CellSource) -> str:
    """The short citation, and the facts no record confirmed (the reader sees the gaps)."""
    value = short_citation(src.record, src.number)
    if gaps := gaps_text(src.record):
        value += f" ({gaps[0].lower()}{gaps[1:]})"
    return value


def _agent_classes(src: _CellSource) -> tuple[str, ...]:
    classes = field_values(src.record, "agent_class", src.vocabulary)
    if src.agent is not None:
        own = src.vocabulary.class_of(src.agent)
        classes = [own] if own else []
    return tuple(src.vocabulary.class_label(c) for c in classes)


_CELLS: dict[str, Callable[[_CellSource], Cell]] = {
    "citation": _citation_cell,
    "year": lambda s: str(s.record.entry.year or ""),
    "agents": lambda s: agent_text(s.record, s.vocabulary, s.agent),
    "agent-class": _agent_classes,
    "targets": lambda s: s.ann.targets,
    "cancers": lambda s: cancer_labels(s.record, s.vocabulary),
    "study-type": lambda s: s.ann.study_type or "",
    "claims": lambda s: tuple(
        c.text
        + (f" ({c.numbers})" if c.numbers else "")
        + (f" ({c.source_label})" if c.source_label else "")
        for c in s.ann.claims
    ),
    "evidence": lambda s: s.ann.evidence,
    "caveats": lambda s: tuple(_labelled(c) for c in s.ann.caveats),
    "status": lambda s: s.ann.status or "",
    "doi": lambda s: s.record.entry.doi_as_written,
    "title": lambda s: s.record.entry.title,
    "journal": lambda s: s.record.entry.container,
    "summary": lambda s: s.ann.summary,
}
"""How each column of :data:`COLUMNS` is filled (a work without an annotation: empty)."""


def _cells(
    record: Record,
    number: int,
    columns: Sequence[str],
    vocabulary: Vocabulary,
    agent: str | None = None,
) -> dict[str, Cell]:
    source = _CellSource(record, number, vocabulary, agent)
    out: dict[str, Cell] = {}
    for col in columns:
        cell = _CELLS.get(col)
        if cell is None:
            raise UsageError(f"Unknown column '{col}'.", hint=f"Columns: {', '.join(COLUMNS)}.")
        out[col] = cell(source)
    return out


def _labelled(caveat: str) -> str:
    """A caveat with its source shown after it when that is not the work itself."""
    label = caveat.source_label if isinstance(caveat, Caveat) else ""
    return f"{caveat} ({label})" if label else str(caveat)


def review_table(
    project: Project,
    *,
    style: str | None = None,
    where: str | None = None,
    columns: Sequence[str] | None = None,
    rows: str = "paper",
    group_by: str | None = None,
    sort: str = "author",
    headings: Mapping[str, str] | None = None,
    title: str | None = None,
    references: bool = True,
    all_entries: bool = False,
    formatter: Formatter | None = None,
) -> Table:
    """A review-table draft: one row per work, or per (agent, work) with ``rows="agent"``.

    The rows are the annotated works (``all_entries``: every entry), numbered 1..n in list
    order; the references are those works, with the same numbers."""
    if rows not in ("paper", "agent"):
        raise UsageError(f"Unknown --rows '{rows}'.", hint="Use paper or agent.")
    if rows == "agent" and group_by not in (None, "agent", "agent-class"):
        raise UsageError(
            f"With --rows agent the rows are grouped by agent or agent-class, not '{group_by}'.",
            hint="Use --rows paper to group by another field.",
        )
    cols = tuple(columns or project.config.review_columns or DEFAULT_COLUMNS)
    for col in cols:
        if col not in COLUMNS:
            raise UsageError(f"Unknown column '{col}'.", hint=f"Columns: {', '.join(COLUMNS)}.")
    names = {**COLUMNS, **dict(project.config.column_headings), **dict(headings or {})}
    vocab = project.vocabulary
    style_name = style or project.config.style
    if references:
        items = numbered_items(project, style_name, where, sort, formatter)
    else:
        records = select(project.library, vocab, where=where, sort=sort, formatter=formatter)
        items = tuple(
            Item(r, n, Reference(r.key, str(n), r.entry.title, r.entry.title))
            for n, r in enumerate(records, 1)
        )
    if not all_entries:
        items = renumbered(items, lambda item: item.record.annotation is not None)
    if rows == "agent":
        groups = _agent_rows(items, group_by or "agent", cols, vocab)
    else:
        groups = _paper_rows(items, group_by, cols, vocab)
    return Table(
        title=title or f"Review table: {Path(project.config.bib).stem}",
        columns=tuple((c, names[c]) for c in cols),
        groups=groups,
        references=items if references else (),
        rows_mode=rows,
        where=where,
        project=project,
    )


def _agent_rows(
    items: Sequence[Item], by_group: str, cols: Sequence[str], vocab: Vocabulary
) -> tuple[RowGroup, ...]:
    """A row per (agent, work), grouped by agent or agent class."""
    buckets: dict[str, list[Row]] = {}
    for item in items:
        ann = item.record.annotation
        agent_ids = list(dict.fromkeys(a.id for a in ann.agents)) if ann else []
        for agent_id in agent_ids or [""]:
            agent = vocab.agents.get(agent_id)
            if by_group == "agent-class":
                cls = vocab.class_of(agent_id) if agent_id else None
                label = vocab.class_label(cls) if cls else NONE_GROUP
            else:
                label = agent.label if agent else (agent_id or NONE_GROUP)
            cells = _cells(item.record, item.number, cols, vocab, agent_id or None)
            buckets.setdefault(label, []).append(Row(item.record, item.number, cells, item.warning))
    order = _group_order(by_group, vocab)  # "agent" or "agent-class", checked by the caller
    return tuple(RowGroup(*group) for group in anchored(buckets, order))


def _paper_rows(
    items: Sequence[Item], group_by: str | None, cols: Sequence[str], vocab: Vocabulary
) -> tuple[RowGroup, ...]:
    """A row per work; grouped as the reading list groups (a work may be in several)."""
    row_of = {
        item.number: Row(
            item.record, item.number, _cells(item.record, item.number, cols, vocab), item.warning
        )
        for item in items
    }
    if not group_by:
        return (RowGroup("", "all", tuple(row_of.values())),)
    grouped = make_groups(items, group_by, vocab, multi="each")
    return tuple(
        RowGroup(g.title, g.anchor, tuple(row_of[i.number] for i in g.items)) for g in grouped
    )


# --- evidence map --------------------------------------------------------------------------------


def _map_cells(item: Item, by: str, agent_level: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """The (row, column) cells of an evidence map a work is counted in."""
    ann = item.record.annotation
    if by == "cancer":
        cols = list(cancer_labels(item.record, vocab))
    else:
        cols = list(ann.evidence) if ann else []
    return [(r, c) for r in group_labels(item.record, agent_level, vocab) for c in cols]


@dataclass(frozen=True)
class EvidenceMap:
    """Agents x cancers (or x evidence levels): which numbered works support each cell."""

    title: str
    row_heading: str
    col_heading: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    cells: Mapping[tuple[str, str], tuple[int, ...]]
    references: tuple[Item, ...]
    unplaced: tuple[str, ...] = ()  # rows left out: none of their works name a column value
    project: Project | None = field(default=None, compare=False, repr=False)
    notices: tuple[str, ...] = ()  # printed at the top (gate.notices)

    def count(self, row: str, col: str) -> int:
        return len(self.cells.get((row, col), ()))


def evidence_map(
    project: Project,
    *,
    by: str = "cancer",
    style: str | None = None,
    where: str | None = None,
    sort: str = "author",
    agent_level: str = "agent",
    formatter: Formatter | None = None,
) -> EvidenceMap:
    """Pivot agents against cancers (``by="cancer"``) or evidence levels (``by="evidence"``)."""
    if by not in ("cancer", "evidence"):
        raise UsageError(f"Unknown pivot '{by}'.", hint="Use cancer or evidence.")
    vocab = project.vocabulary
    every = numbered_items(project, style or project.config.style, where, sort, formatter)
    # The works in no cell are not shown, so they are neither listed nor numbered.
    items = renumbered(every, lambda item: bool(_map_cells(item, by, agent_level, vocab)))
    cells: dict[tuple[str, str], list[int]] = {}
    row_set = {r: None for item in every for r in group_labels(item.record, agent_level, vocab)}
    col_set: dict[str, None] = {}
    for item in items:
        for r, c in _map_cells(item, by, agent_level, vocab):
            col_set[c] = None
            cells.setdefault((r, c), []).append(item.number)
    row_order = _group_order(agent_level, vocab)
    col_order = _group_order("evidence" if by == "evidence" else "cancer", vocab)
    # Agents whose works name no cancer (or claim no evidence level) would be empty rows.
    filled_rows = {r for (r, _c) in cells}
    return EvidenceMap(
        title=f"Evidence map: {'agents × cancers' if by == 'cancer' else 'agents × evidence'}",
        row_heading="Agent" if agent_level == "agent" else "Agent class",
        col_heading="Cancer" if by == "cancer" else "Evidence",
        rows=tuple(sorted((r for r in row_set if r in filled_rows), key=row_order)),
        unplaced=tuple(sorted((r for r in row_set if r not in filled_rows), key=row_order)),
        cols=tuple(sorted(col_set, key=col_order)),
        cells={k: tuple(dict.fromkeys(v)) for k, v in cells.items()},
        references=items,
        project=project,
    )
