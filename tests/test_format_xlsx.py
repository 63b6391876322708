"""XLSX review tables and evidence maps, read back with openpyxl and checked cell by cell."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from cytobib.formats import registry
from cytobib.formats import xlsx as xlsx_module
from cytobib.formats.escape import XLSX_MAX_CHARS
from cytobib.formats.xlsx import XlsxFormat
from cytobib.model import Record
from cytobib.views import Cell, Row, RowGroup, Table
from viewkit import GREEK, HOSTILE, context, entry, hostile_map, hostile_table

COLUMNS = ("citation", "year", "agents", "cancers", "claims", "doi")
RETRACTED_FILL = "FFF4CCCC"


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def table_sheet(data: bytes) -> Worksheet:
    sheet: Worksheet = load(data)["Review table"]
    return sheet


def values(sheet: Worksheet) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def widths(sheet: Worksheet) -> dict[int, float]:
    """Column index (1-based) -> width, unfolding openpyxl's min..max column groups."""
    out: dict[int, float] = {}
    for dim in sheet.column_dimensions.values():
        for col in range(dim.min, dim.max + 1):
            out[col] = dim.width
    return out


def one_row_table(cells: dict[str, Cell], *, rows: int = 1) -> Table:
    record = Record(entry("k2000", "Title"))
    return Table(
        title="T",
        columns=tuple((col, col.title()) for col in cells),
        groups=(RowGroup("", "all", tuple(Row(record, n, cells) for n in range(1, rows + 1))),),
        references=(),
        generated="2024-01-02",
    )


@pytest.fixture(params=["in_memory", "constant_memory"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with both of xlsxwriter's writing modes."""
    limit = 10**9 if request.param == "in_memory" else 0
    monkeypatch.setattr(xlsx_module, "CONSTANT_MEMORY_ROWS", limit)
    return str(request.param)


def test_registry_finds_xlsx_as_a_binary_format() -> None:
    """`-o table.xlsx` and `-f excel` pick the workbook writer, which returns bytes."""
    assert isinstance(registry.for_path("table.xlsx"), XlsxFormat)
    assert isinstance(registry.get("excel"), XlsxFormat)
    assert XlsxFormat.binary is True
    assert isinstance(XlsxFormat().table(hostile_table(COLUMNS), context()), bytes)


def test_sheets_are_review_table_and_references(mode: str) -> None:
    """The table sheet first, the numbered references second."""
    assert load(XlsxFormat().table(hostile_table(COLUMNS), context())).sheetnames == [
        "Review table", "References",
    ]  # fmt: skip


def test_header_row_is_bold_frozen_and_filtered(mode: str) -> None:
    """Row 1 holds the headings in bold; it is frozen and carries the autofilter."""
    sheet = table_sheet(XlsxFormat().table(hostile_table(COLUMNS), context()))
    header = [c.value for c in sheet[1]]
    assert header == ["Group", "No.", "Study", "Year", "Agents", "Cancers",
                      f"Findings {HOSTILE}", "DOI", "Flag"]  # fmt: skip
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:I5"


def test_group_is_a_column_not_merged_rows(mode: str) -> None:
    """Every row carries its group's title in column A; nothing is merged."""
    sheet = table_sheet(XlsxFormat().table(hostile_table(COLUMNS), context()))
    assert [row[0] for row in values(sheet)[1:]] == [HOSTILE, HOSTILE, GREEK, GREEK]
    assert not sheet.merged_cells.ranges


def test_numbers_and_years_are_numbers(mode: str) -> None:
    """No. and Year are numeric cells, so they sort as numbers."""
    sheet = table_sheet(XlsxFormat().table(hostile_table(COLUMNS), context()))
    rows = values(sheet)[1:]
    assert [r[1] for r in rows] == [1, 2, 3, 4]
    assert [r[3] for r in rows] == [2020, 2019, 2018, 2017]


def test_cells_wrap_and_multi_valued_cells_have_line_breaks(mode: str) -> None:
    """Every written cell wraps; several values are bulleted lines in one cell."""
    sheet = table_sheet(XlsxFormat().table(hostile_table(COLUMNS), context()))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.value is not None:
                assert cell.alignment.wrap_text, cell.coordinate
                assert cell.alignment.vertical == "top"
    assert sheet["F2"].value == f"• Melanoma\n• {HOSTILE} cancer"
    assert sheet["E2"].value == (
        "• Interferon-λ (type III interferon) (primary)\n• Tumour necrosis factor-α (primary)"
    )
    assert sheet["G2"].value.count("\n") == 2  # three claims


def test_doi_is_a_link_to_the_resolver(mode: str) -> None:
    """The DOI shows as typed and links to https://doi.org/ with unsafe characters quoted."""
    sheet = table_sheet(XlsxFormat().table(hostile_table(COLUMNS), context()))
    assert sheet["H2"].value == "10.1000/evil<1>&2"
    assert sheet["H2"].hyperlink.target == "https://doi.org/10.1000/evil%3C1%3E%262"
    assert sheet["H4"].value is None  # no DOI, no link


def test_retracted_rows_are_highlighted(mode: str) -> None:
    """The retracted work's whole row is filled red and its Flag cell says RETRACTED."""
    sheet = table_sheet(XlsxFormat().table(hostile_table(COLUMNS), context()))
    assert [c.fill.fgColor.rgb for c in sheet[3]] == [RETRACTED_FILL] * sheet.max_column
    assert sheet["I3"].value.startswith("RETRACTED")
    assert all(c.fill.fgColor.rgb != RETRACTED_FILL for c in sheet[2])


def test_column_widths_follow_content_within_caps(mode: str) -> None:
    """Short columns are narrow, prose columns are capped at 60, labels at 40."""
    sheet = table_sheet(XlsxFormat().table(hostile_table(COLUMNS), context()))
    width = widths(sheet)
    assert width[2] < 8  # No.
    assert width[4] < 10  # Year
    assert 40 <= width[1] <= 41  # Group, capped
    assert 60 <= width[7] <= 61  # Key findings, capped
    assert all(xlsx_module.MIN_WIDTH <= w <= xlsx_module.MAX_WIDTH + 1 for w in width.values())


def test_formula_like_text_stays_text_with_a_quote_prefix(mode: str) -> None:
    """A value starting with = is a string cell marked quote-prefix, never a formula."""
    table = one_row_table({"title": "=HYPERLINK(\"http://evil.example\")", "summary": "@SUM(A1)",
                           "claims": ("=1+1",)})  # fmt: skip
    sheet = table_sheet(XlsxFormat().table(table, context()))
    for ref in ("B2", "C2", "D2"):
        assert sheet[ref].data_type == "s"
        assert sheet[ref].quotePrefix
    assert sheet["B2"].value == '=HYPERLINK("http://evil.example")'
    assert not sheet["A2"].quotePrefix


def test_long_text_is_cut_to_excels_limit_with_a_mark(mode: str) -> None:
    """A cell over 32,767 characters is cut and says so, instead of corrupting the file."""
    table = one_row_table({"summary": "x" * 40_000})
    value = table_sheet(XlsxFormat().table(table, context()))["B2"].value
    assert len(value) == XLSX_MAX_CHARS
    assert value.endswith("[truncated]")


def test_control_characters_are_dropped(mode: str) -> None:
    """Characters XML cannot hold are removed; the workbook stays readable."""
    table = one_row_table({"summary": "a\x00b\x1bc\r\nd"})
    assert table_sheet(XlsxFormat().table(table, context()))["B2"].value == "abc\nd"


def test_references_sheet_has_numbers_text_and_flags(mode: str) -> None:
    """References: No., the engine's plain text, the key, and the retraction flag."""
    table = hostile_table(COLUMNS)
    sheet = load(XlsxFormat().table(table, context()))["References"]
    rows = values(sheet)
    assert rows[0] == ["No.", "Reference", "Key", "Flag"]
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 4]
    assert rows[1][1] == table.references[0].reference.text
    assert rows[2][2] == "retracted2019"
    assert rows[2][3].startswith("RETRACTED")
    assert sheet["B3"].fill.fgColor.rgb == RETRACTED_FILL
    assert sheet.freeze_panes == "A2"


def test_no_references_sheet_without_references() -> None:
    """--no-references: the workbook has only the table sheet."""
    table = one_row_table({"title": "x"})
    assert load(XlsxFormat().table(table, context())).sheetnames == ["Review table"]


def test_output_is_deterministic() -> None:
    """The same view gives the same bytes (fixed creation date, fixed zip timestamps)."""
    table = hostile_table(COLUMNS)
    first = XlsxFormat().table(table, context())
    assert XlsxFormat().table(table, context()) == first
    assert load(first).properties.created.isoformat().startswith("2024-01-02")


def test_both_modes_write_the_same_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """constant_memory (large tables) and in_memory (small ones) give identical sheets."""
    table = hostile_table(COLUMNS)
    monkeypatch.setattr(xlsx_module, "CONSTANT_MEMORY_ROWS", 0)
    streamed = load(XlsxFormat().table(table, context()))
    monkeypatch.setattr(xlsx_module, "CONSTANT_MEMORY_ROWS", 10**9)
    held = load(XlsxFormat().table(table, context()))
    for name in held.sheetnames:
        assert values(streamed[name]) == values(held[name])


def test_many_rows_use_constant_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the threshold the workbook is streamed; every row is still there, in order."""
    monkeypatch.setattr(xlsx_module, "CONSTANT_MEMORY_ROWS", 100)
    table = one_row_table({"title": "t", "cancers": ("a", "b")}, rows=250)
    sheet = table_sheet(XlsxFormat().table(table, context()))
    assert sheet.max_row == 251
    assert [r[0] for r in values(sheet)[1:]] == list(range(1, 251))
    assert sheet.auto_filter.ref == "A1:D251"


def test_evidence_map_sheets() -> None:
    """Counts, then the same grid with citation numbers, then the references."""
    book = load(XlsxFormat().evidence_map(hostile_map(), context()))
    assert book.sheetnames == ["Evidence map", "Citations", "References"]


def test_evidence_map_counts_with_a_colour_scale(mode: str) -> None:
    """Counts are numbers under a two-colour scale; empty cells stay empty."""
    emap = hostile_map()
    sheet = load(XlsxFormat().evidence_map(emap, context()))["Evidence map"]
    rows = values(sheet)
    assert rows[0] == ["Agent", *emap.cols]
    assert rows[1] == [GREEK, 2, 1, None]
    assert rows[2] == [HOSTILE, None, None, 3]
    assert rows[3] == ["IL-2", 1, None, None]
    (rule_range,) = list(sheet.conditional_formatting)
    assert str(rule_range.sqref) == "B2:D4"
    assert rule_range.rules[0].type == "colorScale"
    assert sheet.freeze_panes == "B2"


def test_evidence_map_citations_sheet(mode: str) -> None:
    """The Citations sheet repeats the grid with "count: [n], ..." in each cell."""
    sheet = load(XlsxFormat().evidence_map(hostile_map(), context()))["Citations"]
    assert values(sheet)[2] == [HOSTILE, None, None, "3: [1], [2], [3]"]


def test_corrected_rows_are_highlighted_amber() -> None:
    """A corrected work (or one under an expression of concern) is amber, not red."""
    record = Record(entry("fixed2001", "Fixed", update_status="corrected; 10.1/erratum"))
    row = Row(record, 1, {"title": "Fixed"}, "CORRECTED (notice: https://doi.org/10.1/erratum)")
    table = Table("T", (("title", "Title"),), (RowGroup("", "all", (row,)),), (),
                  generated="2024-01-02")  # fmt: skip
    sheet = table_sheet(XlsxFormat().table(table, context()))
    assert {c.fill.fgColor.rgb for c in sheet[2]} == {"FF" + xlsx_module.CORRECTED_FILL[1:]}
