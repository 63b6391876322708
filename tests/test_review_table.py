"""views.review_table and views.evidence_map on a small project built in tmp_path.

The reference formatter is a stand-in (``views.default_formatter`` patched): these tests are
about selection, numbering, grouping and columns, which do not depend on the citation engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from cytobib import views
from cytobib.citing import author_key
from cytobib.errors import UsageError
from cytobib.library import Project, open_project
from cytobib.model import Record

BIB = """\
@article{alpha2020,
  author = {Alpha, Ann and Other, Otto},
  title = {High-dose {IL-2} in melanoma},
  journal = {Journal of Tests},
  year = {2020},
  doi = {10.5555/alpha},
}

@article{beta2019,
  author = {Beta, Bob},
  title = {Proleukin and interferon in renal cancer},
  journal = {Journal of Tests},
  year = {2019},
}

@article{gamma2018,
  author = {Gamma, Cy and Two, Tom and Three, Tim},
  title = {A retracted interferon-gamma study},
  journal = {Journal of Tests},
  year = {2018},
  update-status = {retracted; 10.5555/notice; Retraction Watch; 2021-03-01},
}

@article{delta2017,
  author = {Delta, Di},
  title = {A work nobody annotated},
  journal = {Journal of Tests},
  year = {2017},
}
"""

ANNOTATIONS = {
    "alpha2020": """\
summary: IL-2 by its short name.
study_type: clinical-trial
agents:
  - name: IL-2
    role: primary
cancers: [melanoma]
claims:
  - text: Durable responses in a minority.
    evidence: clinical-trial
    numbers: "ORR 16%"
caveats: [Small trial., No control arm.]
""",
    "beta2019": """\
summary: IL-2 by its brand name, with interferon alfa.
study_type: review
agents:
  - name: Proleukin
  - name: IFN-α
    role: combination
cancers: [renal cell carcinoma, melanoma]
claims:
  - text: The combination adds toxicity.
    evidence: review
""",
    "gamma2018": """\
study_type: preclinical
agents:
  - name: IFN-γ
cancers: [melanoma]
claims:
  - text: Slows growth in mice.
    evidence: preclinical-in-vivo
""",
}


class FakeCitations:
    """The reference formatter's stand-in: "Title." as text, numbered in list order."""

    def references(self, records: Sequence[Record], style: str) -> list[views.Reference]:
        return [
            views.Reference(r.key, str(n), f"{r.entry.title}.", f"{r.entry.title}.")
            for n, r in enumerate(records, start=1)
        ]

    def author_keys(self, records: Sequence[Record]) -> list[tuple[Any, ...]]:
        return [author_key(r) for r in records]


def fake_citations(project: Project) -> FakeCitations:
    return FakeCitations()


@pytest.fixture
def project(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Project]:
    """``project(extra_toml="")``: the four-work library above, opened."""
    monkeypatch.setattr(views, "default_formatter", fake_citations)

    def build(extra_toml: str = "") -> Project:
        return open_project(make_project(BIB, ANNOTATIONS, extra_toml=extra_toml))

    return build


def numbers_by_key(rows: Sequence[views.Row]) -> dict[str, int]:
    return {row.record.key: row.number for row in rows}


def test_rows_agent_groups_synonyms_of_one_agent_together(project: Callable[..., Project]) -> None:
    """An annotation naming "IL-2" and another naming "Proleukin" share the aldesleukin group."""
    table = views.review_table(project(), rows="agent")
    groups = {g.title: {r.record.key for r in g.rows} for g in table.groups}
    assert groups["Aldesleukin (recombinant IL-2)"] == {"alpha2020", "beta2019"}
    assert "IL-2" not in groups
    assert "Proleukin" not in groups


def test_rows_agent_puts_a_work_once_under_each_of_its_agents(
    project: Callable[..., Project],
) -> None:
    """beta2019 names two agents, so it is a row under each, with that agent's cells only."""
    table = views.review_table(project(), rows="agent")
    rows = [(g.title, r) for g in table.groups for r in g.rows if r.record.key == "beta2019"]
    assert [title for title, _ in rows] == [
        "Aldesleukin (recombinant IL-2)",
        "Interferon-α (type I interferon)",
    ]
    assert rows[0][1].cells["agents"] == ("Aldesleukin (recombinant IL-2)",)
    assert rows[1][1].cells["agents"] == ("Interferon-α (type I interferon) (combination)",)


def test_rows_agent_puts_works_without_agents_under_not_assigned(
    project: Callable[..., Project],
) -> None:
    """With every entry, the unannotated work is not dropped: it lands in the last group,
    "Not assigned"."""
    table = views.review_table(project(), rows="agent", all_entries=True)
    assert table.groups[-1].title == views.NONE_GROUP
    assert [r.record.key for r in table.groups[-1].rows] == ["delta2017"]


def test_numbers_match_the_reading_list_with_the_same_filter(
    project: Callable[..., Project],
) -> None:
    """A row's number is the work's number in the reading list built with the same filter."""
    proj = project()
    where = 'cancer == "melanoma"'
    reading = views.reading_list(proj, where=where, group_by=None)
    expected = {item.record.key: item.number for item in reading.items}
    for rows in ("paper", "agent"):
        table = views.review_table(proj, where=where, rows=rows)
        assert numbers_by_key(table.rows) == expected
    assert sorted(expected.values()) == [1, 2, 3]


def test_numbers_follow_the_sort_not_the_grouping(project: Callable[..., Project]) -> None:
    """Grouping rows never renumbers them: numbers are positions in the sorted list."""
    proj = project()
    plain = views.review_table(proj, sort="year", all_entries=True)
    grouped = views.review_table(proj, sort="year", group_by="study-type", all_entries=True)
    assert [r.record.key for r in plain.rows] == ["delta2017", "gamma2018", "beta2019",
                                                  "alpha2020"]  # fmt: skip
    assert numbers_by_key(grouped.rows) == numbers_by_key(plain.rows)


def test_citation_cell_carries_the_number(project: Callable[..., Project]) -> None:
    """The Study column reads like the reading list's short citation: "Alpha & Other 2020 [1]"."""
    table = views.review_table(project(), all_entries=True)
    cells = {r.record.key: r.cells["citation"] for r in table.rows}
    assert cells["alpha2020"] == "Alpha & Other 2020 [1]"
    assert cells["gamma2018"] == "Gamma et al. 2018 [4]"


def test_columns_and_headings_are_configurable(project: Callable[..., Project]) -> None:
    """--columns picks and orders the columns; headings override the default names."""
    table = views.review_table(
        project(), columns=["year", "citation", "claims"], headings={"claims": "Findings"}
    )
    assert table.columns == (("year", "Year"), ("citation", "Study"), ("claims", "Findings"))
    first = table.rows[0]
    assert set(first.cells) == {"year", "citation", "claims"}
    assert first.cells["claims"] == ("Durable responses in a minority. (ORR 16%)",)


def test_columns_and_headings_come_from_cytobib_toml(project: Callable[..., Project]) -> None:
    """[review_table] columns and headings apply when no columns are passed."""
    proj = project('\n[review_table]\ncolumns = ["citation", "cancers"]\n'
                   '[review_table.headings]\ncancers = "Tumour types"\n')  # fmt: skip
    table = views.review_table(proj)
    assert table.columns == (("citation", "Study"), ("cancers", "Tumour types"))
    override = views.review_table(proj, headings={"cancers": "Cancers (per work)"})
    assert override.columns[1] == ("cancers", "Cancers (per work)")


def test_unknown_column_is_a_usage_error(project: Callable[..., Project]) -> None:
    """A misspelt column fails before any work is done, naming the known columns."""
    with pytest.raises(UsageError, match="Unknown column 'finding'") as info:
        views.review_table(project(), columns=["citation", "finding"])
    assert info.value.hint is not None
    assert "claims" in info.value.hint


def test_unknown_rows_mode_is_a_usage_error(project: Callable[..., Project]) -> None:
    """--rows takes paper or agent only."""
    with pytest.raises(UsageError, match="Unknown --rows"):
        views.review_table(project(), rows="cancer")


def test_retracted_work_is_flagged(project: Callable[..., Project]) -> None:
    """The retracted work's row carries the flag with its notice; the others carry none."""
    table = views.review_table(project())
    flags = {r.record.key: r.flag for r in table.rows}
    assert flags["gamma2018"] is not None
    assert flags["gamma2018"].startswith("RETRACTED")
    assert "10.5555/notice" in flags["gamma2018"]
    assert [k for k, f in flags.items() if f] == ["gamma2018"]


def test_retracted_work_is_flagged_in_every_agent_row(project: Callable[..., Project]) -> None:
    """With one row per agent, the flag is on each of the retracted work's rows."""
    table = views.review_table(project(), rows="agent")
    rows = [r for r in table.rows if r.record.key == "gamma2018"]
    assert rows
    assert all(r.flag and r.flag.startswith("RETRACTED") for r in rows)


def test_without_references_the_table_still_numbers_rows(project: Callable[..., Project]) -> None:
    """--no-references skips the engine and the list, but keeps the same numbers."""
    proj = project()
    full = views.review_table(proj, all_entries=True)
    bare = views.review_table(proj, references=False, all_entries=True)
    assert bare.references == ()
    assert numbers_by_key(bare.rows) == numbers_by_key(full.rows)
    assert [i.number for i in full.references] == [1, 2, 3, 4]


def test_evidence_map_counts_works_per_agent_and_cancer(project: Callable[..., Project]) -> None:
    """Cells list the numbers of the works naming that agent (by any synonym) and cancer."""
    emap = views.evidence_map(project())
    numbers = {r.record.key: r.number for r in views.review_table(project()).rows}
    il2 = "Aldesleukin (recombinant IL-2)"
    assert set(emap.cells[(il2, "Melanoma")]) == {numbers["alpha2020"], numbers["beta2019"]}
    assert emap.count(il2, "Renal cell carcinoma") == 1
    assert emap.count("Interferon-γ (type II interferon)", "Melanoma") == 1
    assert emap.count(il2, "glioblastoma") == 0
    assert emap.rows[0] == il2  # vocabulary order, not alphabetical
    assert emap.cols == ("Melanoma", "Renal cell carcinoma")  # vocabulary order


def test_evidence_map_by_evidence_orders_levels_strongest_first(
    project: Callable[..., Project],
) -> None:
    """--by evidence: columns are the claims' evidence levels in the vocabulary's order."""
    emap = views.evidence_map(project(), by="evidence")
    assert emap.col_heading == "Evidence"
    assert emap.cols == ("clinical-trial", "preclinical-in-vivo", "review")


def test_evidence_map_by_agent_class(project: Callable[..., Project]) -> None:
    """Rows can be agent classes: both IL-2 works count once under Cytokine."""
    emap = views.evidence_map(project(), agent_level="agent-class")
    assert emap.row_heading == "Agent class"
    assert emap.rows == ("Cytokine",)
    assert emap.count("Cytokine", "Melanoma") == 3


def test_evidence_map_unknown_pivot_is_a_usage_error(project: Callable[..., Project]) -> None:
    """--by takes cancer or evidence only."""
    with pytest.raises(UsageError, match="Unknown pivot"):
        views.evidence_map(project(), by="year")


ZORK_BIB = """\
@article{one2020, author = {One, Ann}, title = {First}, journal = {J}, year = {2020}}
@article{two2021, author = {Two, Bob}, title = {Second}, journal = {J}, year = {2021}}
"""
ZORK_ANNOTATIONS = {
    "one2020": "agents:\n  - name: Zork 1\n",
    "two2021": "agents:\n  - name: zork-1\n",
}


@pytest.mark.parametrize("rows", ["agent", "paper"])
def test_group_anchors_are_unique_when_labels_slug_the_same(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, rows: str
) -> None:
    """Two agents whose names slug alike ("Zork 1", "zork-1") get distinct anchors, so the
    HTML table has no duplicate id, whichever way the rows are grouped."""
    from cytobib import rendering
    from cytobib.formats import registry

    monkeypatch.setattr(views, "default_formatter", fake_citations)
    proj = open_project(make_project(ZORK_BIB, ZORK_ANNOTATIONS))
    table = views.review_table(proj, rows=rows, group_by="agent")
    anchors = [g.anchor for g in table.groups]
    assert sorted(anchors) == ["zork-1", "zork-1-2"]
    page = rendering.render(table, registry.get("html"), rendering.context(proj))
    assert isinstance(page, str)
    assert page.count('id="zork-1"') == 1


def test_every_column_has_a_cell() -> None:
    """The columns offered (--columns, headings) and the cells computed are the same set."""
    assert set(views._CELLS) == set(views.COLUMNS)


# --- outputs cite what they show (issue 14) ------------------------------------------------------

MANY_UNANNOTATED = "".join(
    f"@article{{filler{i:03d}, author = {{Aaron, A{i}}}, title = {{Unread work {i}}}, "
    f"journal = {{J}}, year = {{2000}}}}\n"
    for i in range(40)
)


@pytest.fixture
def crowded(make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Project:
    """The four works above among 40 unannotated ones that sort first (author "Aaron")."""
    monkeypatch.setattr(views, "format_citations", fake_citations)
    return open_project(make_project(BIB + MANY_UNANNOTATED, ANNOTATIONS))


def test_review_table_rows_are_the_annotated_works_by_default(crowded: Project) -> None:
    """An unfiltered table is not 44 mostly empty rows: only the 3 annotated works, numbered
    1-3 in list order, and its references are those 3 with the same numbers."""
    table = views.review_table(crowded)
    assert numbers_by_key(table.rows) == {"alpha2020": 1, "beta2019": 2, "gamma2018": 3}
    assert [(i.number, i.record.key) for i in table.references] == [
        (1, "alpha2020"), (2, "beta2019"), (3, "gamma2018")
    ]  # fmt: skip
    assert table.rows[0].cells["citation"] == "Alpha & Other 2020 [1]"


def test_review_table_all_has_a_row_for_every_entry(crowded: Project) -> None:
    """all_entries=True (`--all`) keeps every entry, numbered in list order."""
    table = views.review_table(crowded, all_entries=True)
    assert len(table.rows) == 44
    assert [r.number for r in table.rows] == list(range(1, 45))
    assert len(table.references) == 44


def test_evidence_map_lists_only_the_works_it_shows(crowded: Project) -> None:
    """The references under a map are the works in its cells, numbered 1..n as the cells
    cite them (the issue saw 6 works followed by 1,453 references and cells citing [1258])."""
    emap = views.evidence_map(crowded)
    cited = sorted({n for numbers in emap.cells.values() for n in numbers})
    assert [i.number for i in emap.references] == cited == [1, 2, 3]
    by_key = {i.record.key: i.number for i in emap.references}
    assert set(by_key) == {"alpha2020", "beta2019", "gamma2018"}
    il2 = "Aldesleukin (recombinant IL-2)"
    assert set(emap.cells[(il2, "Melanoma")]) == {by_key["alpha2020"], by_key["beta2019"]}


def test_evidence_map_references_carry_their_new_numbers(crowded: Project) -> None:
    """A numeric style's label follows the renumbering, so no format can print the old one."""
    emap = views.evidence_map(crowded)
    assert [i.reference.label for i in emap.references] == ["1", "2", "3"]


def test_review_table_cli_all(cli: Callable[..., Any], make_project: Callable[..., Path]) -> None:
    """`review-table --all` is the flag for every entry; without it unannotated works are out."""
    root = make_project(BIB, ANNOTATIONS)
    default = cli("review-table", "-C", root, "--format", "csv", "--no-references")
    every = cli("review-table", "-C", root, "--format", "csv", "--no-references", "--all")
    assert default.code == every.code == 0, default.output + every.output
    assert "A work nobody annotated" not in default.out
    assert "Delta 2017" in every.out
