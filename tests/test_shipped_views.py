"""The views of the shipped library, checked by meaning rather than by snapshot: every work is
there once with one number everywhere, groups and rows follow the annotations, the map's cells
cite exactly the works that name their agent and cancer, flags and titles survive every
format. Editing a shipped note changes none of these (the golden files of the views are made
from the hostile library in tests/data/views/)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import htmlcheck
from cytobib import rendering, views
from cytobib.formats import registry
from cytobib.library import Project, open_project

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project() -> Iterator[Project]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1763769600")
        yield open_project(ROOT, store=None)


@pytest.fixture(scope="module")
def numbers(project: Project) -> dict[str, int]:
    """Each work's number in the ungrouped reading list (vancouver, by author)."""
    view = views.reading_list(project, style="vancouver", group_by=None)
    return {item.record.key: item.number for item in view.items}


def _render(project: Project, view: object, fmt: str) -> str:
    out = rendering.render(view, registry.get(fmt), rendering.context(project))
    assert isinstance(out, str)
    return out


def _agents(project: Project, key: str) -> set[str]:
    record = project.library.by_key[key]
    return set(views.group_labels(record, "agent", project.vocabulary))


def test_every_work_is_listed_once_numbered_in_order(
    project: Project, numbers: dict[str, int]
) -> None:
    """The ungrouped list holds every entry of library.bib once, numbered 1..n."""
    assert sorted(numbers) == sorted(r.key for r in project.library)
    assert sorted(numbers.values()) == list(range(1, len(project.library) + 1))
    view = views.reading_list(project, style="vancouver", group_by=None)
    out = _render(project, view, "md")
    assert [int(n) for n in re.findall(r"^\*\*\[(\d+)\]\*\*", out, re.M)] == sorted(
        numbers.values()
    )


def test_groups_follow_the_annotations(project: Project, numbers: dict[str, int]) -> None:
    """Grouped by agent, a work sits in the group of each agent its note names (or in "Not
    assigned"), with the same number, and says which other groups hold it."""
    view = views.reading_list(project, style="vancouver", group_by="agent")
    placed: dict[str, set[str]] = {}
    for group in view.groups:
        assert [i.number for i in group.items] == sorted(i.number for i in group.items)
        for item in group.items:
            assert item.number == numbers[item.record.key]
            placed.setdefault(item.record.key, set()).add(group.title)
            others = _agents(project, item.record.key) - {group.title}
            note = item.note or ""
            assert all(other in note for other in others), (item.record.key, note)
            assert bool(others) == bool(item.note)
    for key in numbers:
        assert placed[key] == (_agents(project, key) or {views.NONE_GROUP})
    assert len({g.anchor for g in view.groups}) == len(view.groups)


def test_review_rows_are_the_agents_of_each_work(project: Project, numbers: dict[str, int]) -> None:
    """One row per agent a work names (a work naming none: one row, "Not assigned"), with
    the reading list's number."""
    table = views.review_table(project, style="vancouver", rows="agent")
    rows = {(group.title, row.record.key) for group in table.groups for row in group.rows}
    expected = {
        (agent, key) for key in numbers for agent in (_agents(project, key) or {views.NONE_GROUP})
    }
    assert rows == expected
    assert all(row.number == numbers[row.record.key] for row in table.rows)
    paper = views.review_table(project, style="vancouver", rows="paper")
    assert {row.record.key: row.number for row in paper.rows} == numbers


def test_evidence_map_cells_cite_the_works_that_name_them(
    project: Project, numbers: dict[str, int]
) -> None:
    """A cell (agent, cancer) lists exactly the works whose note names both, by their number
    in the map's own reference list (which holds those works only, in the list's order)."""
    emap = views.evidence_map(project, style="vancouver")
    own = {item.record.key: item.number for item in emap.references}
    assert sorted(own.values()) == list(range(1, len(own) + 1))
    assert sorted(own, key=numbers.__getitem__) == sorted(own, key=own.__getitem__)
    expected: dict[tuple[str, str], set[int]] = {}
    for record in project.library:
        cancers = views.cancer_labels(record, project.vocabulary)
        for agent in _agents(project, record.key):
            for cancer in cancers:
                expected.setdefault((agent, cancer), set()).add(own[record.key])
    assert {cell: set(cited) for cell, cited in emap.cells.items()} == expected
    assert set(emap.rows) | set(emap.unplaced) == {
        a for key in numbers for a in _agents(project, key)
    }


NUMBER = {"md": "**[{}]**", "html": '<div class="num">{}</div>', "tex": "[{}]", "txt": "[{}]"}


@pytest.mark.parametrize("fmt", sorted(NUMBER))
def test_every_format_lists_every_work_and_flag(project: Project, fmt: str) -> None:
    """Each format shows every work's number and every retraction or correction flag."""
    view = views.reading_list(project, style="vancouver", group_by="agent")
    out = _render(project, view, fmt)
    for item in view.items:
        assert NUMBER[fmt].format(item.number) in out
    flagged = [i for i in view.items if i.warning]
    labels = {i.record.update_status.label for i in flagged if i.record.update_status}
    for label in labels:
        assert label in out


def test_the_html_list_and_table_are_well_formed(project: Project) -> None:
    """Balanced tags, unique ids, and every in-page link has its target."""
    for view in (
        views.reading_list(project, style="vancouver", group_by="agent"),
        views.review_table(project, style="vancouver", rows="agent"),
        views.evidence_map(project, style="vancouver"),
    ):
        tree = htmlcheck.parse(_render(project, view, "html"))
        ids = [e.attrs["id"] for e in tree.iter() if e.attrs.get("id")]
        assert len(ids) == len(set(ids))
        targets = {
            e.attrs["href"][1:]
            for e in tree.iter("a")
            if (e.attrs.get("href") or "").startswith("#")
        }
        assert targets <= set(ids)


def test_the_csv_table_has_one_record_per_row(project: Project) -> None:
    """Every row of the table is one CSV record with every column (multi-line cells quoted)."""
    table = views.review_table(project, style="vancouver", rows="agent")
    records = list(csv.reader(io.StringIO(_render(project, table, "csv"))))
    headings = [heading for _, heading in table.columns]
    assert records[0] == ["Group", "No.", *headings, "Flag"]
    assert len(records) == len(table.rows) + 1
    assert all(len(record) == len(records[0]) for record in records)


def test_titles_survive_every_style(project: Project) -> None:
    """IL-2 and IFN-λ are never lowercased, whichever style formats them."""
    for style in ("vancouver", "apa", "nature", "plain", "cell", "j-immunol", "ama"):
        refs = views.format_citations(project, list(project.library), style)
        text = " ".join(r.text for r in refs)
        assert "IL-2: The First" in text or "IL-2: the first" in text, style
        assert "IFN-λ" in text, style
        assert "il-2" not in text, style
