"""CSV and TSV review tables and evidence maps, read back with the csv module."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib.formats import registry
from cytobib.formats.csv import CsvFormat, TsvFormat
from cytobib.formats.escape import csv_cell, spreadsheet_text, xml_text
from cytobib.model import Record
from cytobib.rendering import RenderContext
from cytobib.views import Cell, Row, RowGroup, Table
from viewkit import GREEK, HOSTILE, context, entry, hostile_map, hostile_table, vocabulary

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")


def read(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def one_row_table(
    cells: dict[str, Cell],
    *,
    group: str = "",
    headings: dict[str, str] | None = None,
    flag: str | None = None,
) -> Table:
    record = Record(entry("k2000", "Title"))
    names = headings or {}
    return Table(
        title="T",
        columns=tuple((col, names.get(col, col.title())) for col in cells),
        groups=(RowGroup(group, "g" if group else "all", (Row(record, 7, cells, flag),)),),
        references=(),
        generated="2024-01-02",
    )


def test_registry_finds_csv_and_tsv_by_name_and_suffix() -> None:
    """`-f csv`, `-o table.tsv` pick these formats; both are text formats."""
    assert isinstance(registry.get("csv"), CsvFormat)
    assert isinstance(registry.for_path("table.tsv"), TsvFormat)
    assert registry.get("csv").binary is False
    assert registry.get("tsv").binary is False


def test_header_has_group_number_headings_and_flag() -> None:
    """A grouped table: Group, No., the headings as configured, then Flag."""
    table = hostile_table(("citation", "claims", "doi"))
    header = read(CsvFormat().table(table, context()))[0]
    assert header == ["Group", "No.", "Study", f"Findings {HOSTILE}", "DOI", "Flag"]


def test_ungrouped_table_has_no_group_column() -> None:
    """Without group titles there is nothing to put in a Group column."""
    table = one_row_table({"citation": "Smith 2000 [7]"})
    assert read(CsvFormat().table(table, context())) == [
        ["No.", "Citation", "Flag"],
        ["7", "Smith 2000 [7]", ""],
    ]


def test_every_row_is_written_once_per_group_and_no_references() -> None:
    """One record per table row under its group's title; the reference list is not appended."""
    table = hostile_table(("citation",))
    records = read(CsvFormat().table(table, context()))
    assert len(records) == 1 + len(table.rows)
    assert [r[0] for r in records[1:]] == [HOSTILE, HOSTILE, GREEK, GREEK]
    assert [r[1] for r in records[1:]] == ["1", "2", "3", "4"]


def test_multi_valued_cells_are_bulleted_lines_in_one_field() -> None:
    """Several values: "• a\\n• b" inside one quoted field; a single value is written as is."""
    table = one_row_table({"cancers": ("melanoma", "renal cell carcinoma"), "agents": ("IL-2",)})
    text = CsvFormat().table(table, context())
    assert '"• melanoma\n• renal cell carcinoma"' in text
    row = read(text)[1]
    assert row[1] == "• melanoma\n• renal cell carcinoma"
    assert row[2] == "IL-2"


def test_records_end_in_crlf_and_cells_keep_lf() -> None:
    """RFC 4180: CRLF between records; a line break inside a cell stays a bare LF."""
    table = one_row_table({"cancers": ("a", "b")})
    text = CsvFormat().table(table, context())
    assert text == 'No.,Cancers,Flag\r\n7,"• a\n• b",\r\n'


def test_hostile_values_come_back_unchanged() -> None:
    """Markup, quotes, commas, pipes and Greek survive the round trip byte for byte."""
    table = hostile_table(("citation", "title", "cancers", "doi"))
    records = read(CsvFormat().table(table, context()))
    first = records[1]
    assert first[3] == HOSTILE
    assert first[4] == f"• Melanoma\n• {HOSTILE} cancer"
    assert first[5] == "10.1000/evil<1>&2"
    assert records[3][3] == "An annotated work with nothing written"


def test_retracted_row_has_its_flag() -> None:
    """The Flag column holds the retraction notice; unflagged rows leave it empty."""
    table = hostile_table(("citation",))
    records = read(CsvFormat().table(table, context()))
    flags = [r[-1] for r in records[1:]]
    assert flags[0] == ""
    assert flags[1].startswith("RETRACTED (notice: https://doi.org/10.1234/notice.1)")


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_formula_triggers_are_quoted(trigger: str) -> None:
    """A value starting with a formula trigger is read back with a leading apostrophe."""
    payload = f'{trigger}HYPERLINK("http://evil.example","x")'
    table = one_row_table(
        {"title": payload, "cancers": (payload,)},
        group=payload,
        headings={"title": payload},
        flag=payload,
    )
    records = read(CsvFormat().table(table, context()))
    cells = [c for record in records for c in record]
    assert all(not c.startswith(TRIGGERS) for c in cells)
    # NUL is dropped as a control character, which leaves nothing to quote.
    assert records[1][2].startswith("'") or trigger == "\0"
    assert records[1][2].endswith('HYPERLINK("http://evil.example","x")')


def test_bullets_protect_multi_valued_cells() -> None:
    """Several values start with a bullet, so a formula in one of them is never at the start."""
    table = one_row_table({"claims": ("=1+1", "@SUM(A1)")})
    assert read(CsvFormat().table(table, context()))[1][1] == "• =1+1\n• @SUM(A1)"


def test_control_characters_are_dropped() -> None:
    """NUL, BEL, ESC and friends never reach the file; CR and CRLF inside a cell become LF."""
    table = one_row_table({"title": "a\x00b\x07c\x1bd\r\ne\rf"})
    assert read(CsvFormat().table(table, context()))[1][1] == "abcd\ne\nf"


def test_bom_only_when_asked() -> None:
    """--bom puts U+FEFF first (Excel then reads UTF-8); without it the file starts plainly."""
    table = one_row_table({"title": GREEK})
    plain = CsvFormat().table(table, context())
    with_bom = CsvFormat().table(table, RenderContext(None, vocabulary(), {"bom": True}))
    assert not plain.startswith("\ufeff")
    assert with_bom == "\ufeff" + plain
    assert read(with_bom.encode("utf-8").decode("utf-8-sig")) == read(plain)


def test_tsv_uses_tabs_and_quotes_like_csv() -> None:
    """TSV: TAB between fields; a field holding a tab, quote or line break is quoted."""
    table = one_row_table({"title": 'say "hi",\tthere', "cancers": ("a", "b")})
    text = TsvFormat().table(table, context())
    assert text.splitlines()[0] == "No.\tTitle\tCancers\tFlag"
    assert read(text, "\t")[1] == ["7", 'say "hi",\tthere', "• a\n• b", ""]


def test_evidence_map_cells_give_count_then_numbers() -> None:
    """Agents down, cancers across; a cell reads "2: [1], [2]", an empty one is empty."""
    emap = hostile_map()
    records = read(CsvFormat().evidence_map(emap, context()))
    assert records[0] == ["Agent", *emap.cols]
    assert records[1] == [GREEK, "2: [1], [2]", "1: [1]", ""]
    assert records[2] == [HOSTILE, "", "", "3: [1], [2], [3]"]
    assert records[3] == ["IL-2", "1: [2]", "", ""]
    assert len(records) == 4  # no references appended


def test_tsv_evidence_map() -> None:
    """The evidence map in TSV has the same records as in CSV."""
    emap = hostile_map()
    assert read(TsvFormat().evidence_map(emap, context()), "\t") == read(
        CsvFormat().evidence_map(emap, context())
    )


texts = st.text(max_size=25)
values = st.one_of(texts, st.lists(texts, max_size=3).map(tuple))


@given(group=texts, heading=texts, title=values, claims=values, flag=st.none() | texts,
       tsv=st.booleans())  # fmt: skip
def test_no_cell_read_back_starts_a_formula(
    group: str, heading: str, title: Cell, claims: Cell, flag: str | None, tsv: bool
) -> None:
    """Whatever the values, no field read back starts with = + - @ TAB CR (only with ')."""
    table = one_row_table(
        {"title": title, "claims": claims}, group=group or "g", headings={"title": heading},
        flag=flag,
    )  # fmt: skip
    fmt = TsvFormat() if tsv else CsvFormat()
    records = read(fmt.table(table, context()), fmt.delimiter)
    assert len(records) == 2
    for field in (f for record in records for f in record):
        assert not field.startswith(TRIGGERS)


@given(value=texts, tsv=st.booleans())
def test_fields_round_trip_through_the_escaper(value: str, tsv: bool) -> None:
    """What is read back is exactly csv_cell(spreadsheet_text(value)): quoting loses nothing."""
    table = one_row_table({"title": value}, group="g", headings={"title": value})
    fmt = TsvFormat() if tsv else CsvFormat()
    header, row = read(fmt.table(table, context()), fmt.delimiter)
    expected = csv_cell(spreadsheet_text(value))
    assert header[2] == expected
    assert row[2] == expected


@given(value=st.text(alphabet=st.characters(codec=None, max_codepoint=0x2FF) | st.sampled_from(
    "\r\n\x0b\x0c\x1c\x1f\x7f\ufffe\uffff")))  # fmt: skip
def test_spreadsheet_text_is_xml_text_with_lf_line_breaks(value: str) -> None:
    """The one-pass cleaner agrees with xml_text after CR LF and CR are made LF."""
    lf = value.replace("\r\n", "\n").replace("\r", "\n")
    assert spreadsheet_text(value) == xml_text(lf)
