"""CSV and TSV: review tables and evidence maps for spreadsheets and scripts.

One header row, then one record per table row (RFC 4180: CRLF between records, fields with a
delimiter, quote or line break in double quotes, quotes doubled; the ``csv`` module does it).
A multi-valued cell keeps its values on separate lines inside one quoted field ("• a\\n• b"),
which Excel, LibreOffice and Google Sheets show as a wrapped cell. Every field passes through
``escape.csv_cell`` last, so no cell can start a formula. References are not appended: a CSV
file is one rectangle, and the ``No.`` column links each row to the reading list's numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from cytobib.formats.escape import csv_cell, spreadsheet_text
from cytobib.views import Cell, EvidenceMap, Table

if TYPE_CHECKING:
    from cytobib.rendering import RenderContext

BULLET = "• "
NUMBER_HEADING = "No."
GROUP_HEADING = "Group"
FLAG_HEADING = "Flag"


def cell_text(value: Cell) -> str:
    """A view cell as spreadsheet text: one value as is, several as bulleted lines."""
    if isinstance(value, str):
        return value
    if len(value) == 1:
        return " ".join(value[0].split())
    return "\n".join(BULLET + " ".join(v.split()) for v in value)


def is_grouped(table: Table) -> bool:
    """Whether the table's rows sit under group titles (and so need a Group column)."""
    return any(group.title for group in table.groups)


def table_header(table: Table) -> list[str]:
    """Group (when grouped), No., the table's column headings, Flag."""
    head = [GROUP_HEADING] if is_grouped(table) else []
    return [*head, NUMBER_HEADING, *(heading for _, heading in table.columns), FLAG_HEADING]


def notice_records(notices: Sequence[str]) -> Iterator[list[str]]:
    """A view's warnings (notes left out), one record each before the header: a file built
    with --keep-going must not pass for a complete one, even in a spreadsheet."""
    for line in notices:
        yield [f"WARNING: {line}"]


def table_records(table: Table) -> Iterator[list[str]]:
    """The header, then every row as text, group by group, in the view's order (after the
    warnings, if any)."""
    yield from notice_records(table.notices)
    yield table_header(table)
    grouped = is_grouped(table)
    for group in table.groups:
        for row in group.rows:
            head = [group.title] if grouped else []
            cells = [cell_text(row.cells[col]) for col, _ in table.columns]
            yield [*head, str(row.number), *cells, row.flag or ""]


def map_cell(numbers: Sequence[int]) -> str:
    """An evidence-map cell: "2: [1], [3]" (count, then the works' numbers); "" when none."""
    if not numbers:
        return ""
    return f"{len(numbers)}: " + ", ".join(f"[{n}]" for n in numbers)


def map_records(emap: EvidenceMap) -> Iterator[list[str]]:
    """The header (row heading, then the columns), then one record per agent (after the
    warnings, if any)."""
    yield from notice_records(emap.notices)
    yield [emap.row_heading, *emap.cols]
    for row in emap.rows:
        yield [row, *(map_cell(emap.cells.get((row, col), ())) for col in emap.cols)]


class CsvFormat:
    """Comma-separated values, UTF-8 (with a BOM for Excel when ``--bom`` is given)."""

    name = "csv"
    binary = False
    delimiter = ","

    def table(self, table: Table, ctx: RenderContext) -> str:
        return self._write(table_records(table), ctx)

    def evidence_map(self, emap: EvidenceMap, ctx: RenderContext) -> str:
        return self._write(map_records(emap), ctx)

    def _write(self, records: Iterable[Sequence[str]], ctx: RenderContext) -> str:
        buffer = io.StringIO(newline="")
        writer = csv.writer(
            buffer, delimiter=self.delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
        )
        for record in records:
            writer.writerow([csv_cell(spreadsheet_text(field)) for field in record])
        # Excel reads a CSV without a byte order mark in the ANSI code page (mojibake for
        # "α" or "ü"); with one it reads UTF-8. Other tools may show the BOM, so it is opt-in.
        bom = "\ufeff" if ctx.options.get("bom") else ""
        return bom + buffer.getvalue()


class TsvFormat(CsvFormat):
    """Tab-separated values: the same records and quoting, with TAB as the delimiter."""

    name = "tsv"
    delimiter = "\t"
