"""Views built by hand for format tests: no citation engine, full control over every value.

``hostile_*`` views carry the values a format must escape (markup, TeX specials, Markdown
syntax, Greek letters), a retracted work and works with an empty or missing annotation.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from cytobib import latex
from cytobib.model import AgentUse, Annotation, Claim, Entry, Record
from cytobib.rendering import RenderContext
from cytobib.views import (
    COLUMNS,
    DEFAULT_SECTIONS,
    SECTIONS,
    EvidenceMap,
    Group,
    Item,
    ReadingList,
    Reference,
    Row,
    RowGroup,
    Table,
    _cells,
    anchor,
)
from cytobib.vocabulary import Vocabulary, build

HOSTILE = "<script>alert(1)</script> & {IL-2} | 50% $x$ #1 _a_ *b* \\ ~"
GREEK = "IFN-λ/TNF-α"
RETRACTED = "retracted; 10.1234/notice.1; Retraction Watch; 2021-03-01"

_VOCABULARY: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    global _VOCABULARY  # noqa: PLW0603 - built once per test session, never changed
    if _VOCABULARY is None:
        _VOCABULARY = build()
    return _VOCABULARY


def context(root: Path | None = None) -> RenderContext:
    return RenderContext(root, vocabulary())


def entry(
    key: str,
    title: str,
    *,
    author: str = "Smith, Jane and Doe, John",
    year: str = "2016",
    journal: str = "Journal of Tests",
    doi: str = "",
    url: str = "",
    abstract: str = "",
    update_status: str = "",
) -> Entry:
    """An entry whose decoded fields are exactly the given plain text."""
    fields = {
        "title": latex.escape(title),
        "author": author,
        "year": year,
        "journal": latex.escape(journal),
    }
    if doi:
        fields["doi"] = doi  # a DOI is read as written, not decoded
    for name, value in (("url", url), ("abstract", abstract)):
        if value:
            fields[name] = latex.escape(value)
    if update_status:
        fields["update-status"] = update_status
    return Entry(key=key, type="article", fields=fields, line=1)


def annotation(
    key: str,
    *,
    summary: str = "",
    claims: Sequence[Claim] = (),
    agents: Sequence[str] = (),
    cancers: Sequence[str] = (),
    caveats: Sequence[str] = (),
    tags: Sequence[str] = (),
    study_type: str | None = None,
) -> Annotation:
    vocab = vocabulary()
    uses = tuple(AgentUse(name, vocab.canonical(name), role="primary") for name in agents)
    return Annotation(
        key=key,
        path=f"annotations/{key}.yaml",
        summary=summary,
        claims=tuple(claims),
        agents=uses,
        cancers=tuple(cancers),
        caveats=tuple(caveats),
        tags=tuple(tags),
        study_type=study_type,
    )


def reference(number: int, record: Record) -> Reference:
    """A Vancouver-like citation; its HTML is escaped as an engine would escape it."""
    e = record.entry
    names = ", ".join(f"{p.last} {p.initials}" for p in e.authors)
    text = f"{names}. {e.title}. {e.container}. {e.year};"
    markup = (
        f"{html.escape(names)}. {html.escape(e.title)}. <i>{html.escape(e.container)}</i>. "
        f"{e.year};"
    )
    return Reference(record.key, str(number), text, markup)


def items(records: Sequence[Record]) -> tuple[Item, ...]:
    return tuple(Item(r, n, reference(n, r)) for n, r in enumerate(records, start=1))


def hostile_records() -> list[Record]:
    vocab_agents = ("IFN-λ", "TNF-α")
    full = Record(
        entry(
            "evil2020",
            HOSTILE,
            author="Évil, Ådam and {<b>Consortium</b> & Co}",
            year="2020",
            journal=f"J {HOSTILE}",
            doi="10.1000/evil<1>&2",
            abstract=f"Abstract with {HOSTILE} and {GREEK}.",
        ),
        annotation(
            "evil2020",
            summary=f"Summary {HOSTILE} about {GREEK} at 50%.",
            claims=(
                Claim(f"Claim {HOSTILE}", evidence="clinical-trial", numbers="n = 12, p < 0.05"),
                Claim(f"{GREEK} slows growth", evidence="preclinical-in-vivo"),
                Claim("Bare claim"),
            ),
            agents=vocab_agents,
            cancers=("melanoma", f"{HOSTILE} cancer"),
            caveats=(f"Caveat {HOSTILE}", "n = 3 ~ small"),
            tags=(HOSTILE,),
            study_type="clinical-trial",
        ),
    )
    retracted = Record(
        entry(
            "retracted2019",
            f"Retracted study of {GREEK}",
            author="Fraud, Frank",
            year="2019",
            doi="10.1000/retracted",
            update_status=RETRACTED,
        ),
        annotation(
            "retracted2019",
            summary="A study that was retracted.",
            claims=(Claim("Cures everything", evidence="case-report"),),
            agents=("IL-2",),
            cancers=("melanoma",),
        ),
    )
    empty = Record(
        entry("empty2018", "An annotated work with nothing written", year="2018"),
        Annotation(key="empty2018", path="annotations/empty2018.yaml"),
    )
    bare = Record(
        entry(
            "bare2017",
            "A work without annotation",
            author="Lone, Lee",
            year="2017",
            url="javascript:alert(1)",
        ),
        None,
    )
    return [full, retracted, empty, bare]


def hostile_reading_list(sections: Sequence[str] = SECTIONS) -> ReadingList:
    all_items = items(hostile_records())
    first, retracted, empty, bare = all_items
    noted = Item(first.record, first.number, first.reference, note=f"also under: {HOSTILE}")
    groups = (
        Group(HOSTILE, anchor(HOSTILE), (noted, retracted)),
        Group(GREEK, anchor(GREEK), (first,)),
        Group("Not assigned", "not-assigned", (empty, bare)),
    )
    return ReadingList(
        title=f"Reading list {HOSTILE} {GREEK}",
        style="vancouver",
        groups=groups,
        sections=tuple(sections),
        items=all_items,
        where=f'title ~ "{HOSTILE}"',
        group_by="agent",
        generated="2024-01-02",
    )


def plain_reading_list(
    title: str = "Reading list",
    *,
    item_title: str = "A plain title",
    note: str | None = None,
    summary: str = "",
    group: str = "",
    sections: Sequence[str] = DEFAULT_SECTIONS,
) -> ReadingList:
    """One item in one group, with the given title, note, summary and group name."""
    record = Record(
        entry("plain2000", item_title, year="2000"),
        annotation("plain2000", summary=summary) if summary else None,
    )
    (item,) = items([record])
    item = Item(item.record, item.number, item.reference, note=note)
    return ReadingList(
        title=title,
        style="vancouver",
        groups=(Group(group, anchor(group) if group else "all", (item,)),),
        sections=tuple(sections),
        items=(item,),
        generated="2024-01-02",
    )


def hostile_table(columns: Sequence[str] = tuple(COLUMNS)) -> Table:
    all_items = items(hostile_records())
    vocab = vocabulary()
    rows = tuple(
        Row(i.record, i.number, _cells(i.record, i.number, columns, vocab), i.warning)
        for i in all_items
    )
    return Table(
        title=f"Review table {HOSTILE} {GREEK}",
        columns=tuple((c, COLUMNS[c] if c != "claims" else f"Findings {HOSTILE}") for c in columns),
        groups=(
            RowGroup(HOSTILE, anchor(HOSTILE), rows[:2]),
            RowGroup(GREEK, anchor(GREEK), rows[2:]),
        ),
        references=all_items,
        where=f'agent == "{HOSTILE}"',
        generated="2024-01-02",
    )


def hostile_map() -> EvidenceMap:
    all_items = items(hostile_records())
    rows = (GREEK, HOSTILE, "IL-2")
    cols = ("melanoma", f"{HOSTILE} cancer", "TNF-α & <b>x</b>")
    cells = {
        (GREEK, "melanoma"): (1, 2),
        (GREEK, cols[1]): (1,),
        (HOSTILE, cols[2]): (1, 2, 3),
        ("IL-2", "melanoma"): (2,),
    }
    return EvidenceMap(
        title=f"Evidence map: agents × cancers {HOSTILE}",
        row_heading="Agent",
        col_heading="Cancer",
        rows=rows,
        cols=cols,
        cells=cells,
        references=all_items,
    )
