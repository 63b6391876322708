"""XLSX (Excel workbook): review tables and evidence maps for reviewers who sort and filter.

Review table: sheet "Review table" with a bold, frozen, filterable header row, wrapped text,
column widths from the content (capped), the group as an ordinary ``Group`` column (merged
group rows would break sorting and filtering), multi-valued cells as lines in one cell, and
retracted (red) or corrected / of concern (amber) works highlighted; sheet "References" holds
the numbered references. Evidence map: sheet "Evidence map" (counts under a colour scale),
sheet "Citations" (the same grid with the works' numbers) and "References".

Every text goes in with ``write_string`` (never ``write``, which would turn "=..." into a
formula); a text that starts like a formula also gets Excel's quote-prefix style, so editing
the cell or saving the sheet as CSV keeps it text. Output is deterministic: the workbook's
creation date comes from the view, and xlsxwriter stamps the zip members with a fixed date.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import xlsxwriter

from cytobib.formats.csv import (
    FLAG_HEADING,
    NUMBER_HEADING,
    cell_text,
    is_grouped,
    map_cell,
    table_header,
)
from cytobib.formats.escape import doi_url, starts_formula, xlsx_text
from cytobib.views import EvidenceMap, Item, Row, Table

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from cytobib.rendering import RenderContext

FIXED_DATE = dt.datetime(2000, 1, 1)  # a view without a date of its own
# From this many rows (table + references) on, the workbook streams each finished row to a
# temporary file (xlsxwriter's constant_memory mode; rows must then be written in order, which
# they are) instead of holding every cell until close. At 10k works (bench/table_bench.py) it
# cuts the peak of Python memory from 85 to 8 MiB for 7-15 % more time and a file ~10-50 %
# larger (inline instead of shared strings); below this size neither matters.
CONSTANT_MEMORY_ROWS = 10_000
MAX_URL = 2_079  # Excel's longest hyperlink
MAX_LINKS = 65_530  # Excel's hyperlinks per worksheet
MIN_WIDTH = 6
MAX_WIDTH = 60
NARROW_WIDTH = 40  # Group, Flag, Key, agents in evidence maps: labels, not prose
REFERENCE_WIDTH = 100
COUNT_WIDTH = 18  # evidence-map columns (longer cancer names wrap in the header)
CITATIONS_WIDTH = 30

HEADER_FILL = "#D9E1F2"
RETRACTED_FILL, RETRACTED_FONT = "#F4CCCC", "#9C0006"
CORRECTED_FILL = "#FFF2CC"
LINK_FONT = "#0563C1"
SCALE_MIN, SCALE_MAX = "#F7FBFF", "#4292C6"  # light enough at the top that black text reads


def _created(generated: str | None) -> dt.datetime:
    """The workbook's creation date: the view's ``generated`` date, else a fixed one."""
    try:
        return dt.datetime.fromisoformat(generated) if generated else FIXED_DATE
    except ValueError:
        return FIXED_DATE


def _workbook(buffer: io.BytesIO, rows: int) -> Workbook:
    options: dict[str, Any] = {
        # Belt and braces: only write_string/write_number/write_url are used anyway.
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    if rows >= CONSTANT_MEMORY_ROWS:
        options["constant_memory"] = True
    else:
        options["in_memory"] = True  # no temporary files (it would switch constant_memory off)
    return xlsxwriter.Workbook(buffer, options)


def _longest_line(text: str) -> int:
    return len(text) if "\n" not in text else max(map(len, text.split("\n")))


def _kind(status_kind: str | None, flag: str | None) -> str | None:
    """How a row is highlighted: "retracted", "flagged" (corrected, concern) or not at all."""
    if status_kind == "retracted" or (status_kind is None and flag and "RETRACT" in flag):
        return "retracted"
    return "flagged" if status_kind or flag else None


def _row_kind(row: Row) -> str | None:
    status = row.record.update_status
    return _kind(status.kind if status else None, row.flag)


def _item_kind(item: Item) -> str | None:
    status = item.record.update_status
    return _kind(status.kind if status else None, item.warning)


class _Styles:
    """The workbook's cell formats, made once each: (highlight, role) -> Format."""

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self.header = workbook.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": HEADER_FILL,
             "bottom": 1}
        )  # fmt: skip
        self._cache: dict[tuple[str | None, str], Format] = {}

    def get(self, kind: str | None, role: str = "text") -> Format:
        """A wrapped, top-aligned cell; role: text, quoted (quote prefix), link, number."""
        key = (kind, role)
        if key not in self._cache:
            props: dict[str, Any] = {"text_wrap": True, "valign": "top"}
            if kind == "retracted":
                props.update(bg_color=RETRACTED_FILL, font_color=RETRACTED_FONT)
            elif kind == "flagged":
                props.update(bg_color=CORRECTED_FILL)
            if role == "quoted":
                props["quote_prefix"] = True
            elif role == "link":
                props.update(underline=1, font_color=props.get("font_color", LINK_FONT))
            elif role == "number":
                props.update(num_format="0", align="left")
            self._cache[key] = self.workbook.add_format(props)
        return self._cache[key]


class _Sheet:
    """Writes one worksheet row by row (the order constant_memory mode requires), noting each
    column's longest line for its width."""

    def __init__(self, workbook: Workbook, styles: _Styles, name: str) -> None:
        self.sheet: Worksheet = workbook.add_worksheet(name)
        self.styles = styles
        self.links = 0
        self.longest: dict[int, int] = {}

    def _seen(self, col: int, text: str) -> None:
        length = _longest_line(text)
        if length > self.longest.get(col, 0):
            self.longest[col] = length

    def header(self, headings: Sequence[str]) -> None:
        for col, heading in enumerate(headings):
            text = xlsx_text(heading)
            self._seen(col, text)
            self.sheet.write_string(0, col, text, self.styles.header)

    def text(self, row: int, col: int, value: str, kind: str | None) -> None:
        text = xlsx_text(value)
        if not text:
            if kind is not None:  # keep the highlight across empty cells
                self.sheet.write_blank(row, col, None, self.styles.get(kind))
            return
        self._seen(col, text)
        role = "quoted" if starts_formula(text) else "text"
        self.sheet.write_string(row, col, text, self.styles.get(kind, role))

    def number(self, row: int, col: int, value: int, kind: str | None) -> None:
        self._seen(col, str(value))
        self.sheet.write_number(row, col, value, self.styles.get(kind, "number"))

    def doi(self, row: int, col: int, doi: str, kind: str | None) -> None:
        text = xlsx_text(doi)
        url = doi_url(text) if text else ""
        if not url or len(url) > MAX_URL or self.links >= MAX_LINKS:
            self.text(row, col, doi, kind)
            return
        self.links += 1
        self._seen(col, text)
        self.sheet.write_url(row, col, url, self.styles.get(kind, "link"), string=text)

    def finish(self, rows: int, caps: Sequence[int], *, freeze_cols: int = 0) -> None:
        """Column widths (longest line + 2, at most ``caps[col]``), the frozen header row,
        and an autofilter over the header and ``rows`` rows."""
        for col, cap in enumerate(caps):
            width = max(MIN_WIDTH, min(self.longest.get(col, 0) + 2, cap))
            self.sheet.set_column(col, col, width)
        self.sheet.freeze_panes(1, freeze_cols)
        if caps:
            self.sheet.autofilter(0, 0, rows, len(caps) - 1)


def _notices(workbook: Workbook, styles: _Styles, notices: Sequence[str]) -> None:
    """Sheet "Warning", the first one a reader sees: the view's warnings (notes left out)."""
    if not notices:
        return
    sheet = _Sheet(workbook, styles, "Warning")
    sheet.header(["Warning"])
    for r, line in enumerate(notices, start=1):
        sheet.text(r, 0, line, "retracted")
    sheet.finish(len(notices), [MAX_WIDTH])


def _references(workbook: Workbook, styles: _Styles, items: Sequence[Item]) -> None:
    """Sheet "References": number, formatted reference (engine text), key, flag."""
    sheet = _Sheet(workbook, styles, "References")
    sheet.header([NUMBER_HEADING, "Reference", "Key", FLAG_HEADING])
    for r, item in enumerate(items, start=1):
        kind = _item_kind(item)
        sheet.number(r, 0, item.number, kind)
        sheet.text(r, 1, item.reference.text, kind)
        sheet.text(r, 2, item.record.key, kind)
        sheet.text(r, 3, item.warning or "", kind)
    sheet.finish(len(items), [MIN_WIDTH, REFERENCE_WIDTH, NARROW_WIDTH, NARROW_WIDTH])


def _close(workbook: Workbook, buffer: io.BytesIO) -> bytes:
    workbook.close()
    return buffer.getvalue()


class XlsxFormat:
    """Excel workbook (Office Open XML), written with xlsxwriter."""

    name = "xlsx"
    binary = True

    def table(self, table: Table, ctx: RenderContext) -> bytes:
        buffer = io.BytesIO()
        rows = table.rows
        workbook = _workbook(buffer, len(rows) + len(table.references))
        workbook.set_properties(
            {"title": table.title, "created": _created(table.generated),
             "comments": f"One row per {table.rows_mode}"
                         + (f"; filter: {table.where}" if table.where else "")}
        )  # fmt: skip
        styles = _Styles(workbook)
        _notices(workbook, styles, table.notices)
        sheet = _Sheet(workbook, styles, "Review table")
        grouped = is_grouped(table)
        first = 1 if grouped else 0  # the Group column
        col_ids = [col for col, _ in table.columns]
        headings = table_header(table)
        sheet.header(headings)
        r = 0
        for group in table.groups:
            for row in group.rows:
                r += 1
                kind = _row_kind(row)
                if grouped:
                    sheet.text(r, 0, group.title, kind)
                sheet.number(r, first, row.number, kind)
                for c, col in enumerate(col_ids, start=first + 1):
                    value = cell_text(row.cells[col])
                    if col == "doi":
                        sheet.doi(r, c, value, kind)
                    elif col == "year" and value.isdigit():
                        sheet.number(r, c, int(value), kind)  # sorts and filters as a number
                    else:
                        sheet.text(r, c, value, kind)
                sheet.text(r, len(headings) - 1, row.flag or "", kind)
        caps = [NARROW_WIDTH] * first + [MIN_WIDTH] + [MAX_WIDTH] * len(col_ids) + [NARROW_WIDTH]
        sheet.finish(r, caps)
        if table.references:
            _references(workbook, styles, table.references)
        return _close(workbook, buffer)

    def evidence_map(self, emap: EvidenceMap, ctx: RenderContext) -> bytes:
        buffer = io.BytesIO()
        workbook = _workbook(buffer, 2 * len(emap.rows) + len(emap.references))
        workbook.set_properties({"title": emap.title, "created": FIXED_DATE})
        styles = _Styles(workbook)
        _notices(workbook, styles, emap.notices)
        headings = [emap.row_heading, *emap.cols]

        counts = _Sheet(workbook, styles, "Evidence map")
        counts.header(headings)
        cites = _Sheet(workbook, styles, "Citations")
        cites.header(headings)
        for r, label in enumerate(emap.rows, start=1):
            counts.text(r, 0, label, None)
            cites.text(r, 0, label, None)
            for c, col in enumerate(emap.cols, start=1):
                numbers = emap.cells.get((label, col), ())
                if numbers:
                    counts.number(r, c, len(numbers), None)
                    cites.text(r, c, map_cell(numbers), None)
        counts.finish(len(emap.rows), [NARROW_WIDTH] + [COUNT_WIDTH] * len(emap.cols),
                      freeze_cols=1)  # fmt: skip
        cites.finish(len(emap.rows), [NARROW_WIDTH] + [CITATIONS_WIDTH] * len(emap.cols),
                     freeze_cols=1)  # fmt: skip
        if emap.rows and emap.cols:
            counts.sheet.conditional_format(
                1, 1, len(emap.rows), len(emap.cols),
                {"type": "2_color_scale", "min_color": SCALE_MIN, "max_color": SCALE_MAX},
            )  # fmt: skip
        if emap.references:
            _references(workbook, styles, emap.references)
        return _close(workbook, buffer)
