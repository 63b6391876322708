"""Word (.docx) through python-docx: reading lists, review tables, evidence maps.

Word needs no escaping, only characters XML cannot hold removed (:func:`escape.xml_text`);
citations keep their italics, bold, small capitals and super/subscripts by walking the engine's
HTML fragment into runs. Output is byte-for-byte reproducible: the core properties carry fixed
dates and the zip members a fixed timestamp, so golden tests can compare files.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any, ClassVar

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from cytobib.formats import docx_xml as X
from cytobib.formats.escape import doi_url, xml_text
from cytobib.formats.heatmap import table_shade
from cytobib.formats.links import work_link
from cytobib.views import EvidenceMap, Item, ReadingList, Row, Table, agent_text

FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""Created/modified date written into every document, so equal input gives equal bytes."""
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

WARN = RGBColor(0xA3, 0x00, 0x1B)
MUTED = RGBColor(0x5B, 0x64, 0x75)
LINK = "1F5FA8"
TABLE_STYLE = "Light Grid Accent 1"
_HANG = Cm(1.0)
_WIDTHS = {
    "citation": 1.3, "year": 0.6, "agents": 1.5, "agent-class": 1.2, "targets": 1.3,
    "cancers": 1.3, "study-type": 1.0, "claims": 3.2, "evidence": 1.1, "caveats": 2.6,
    "status": 0.8, "doi": 1.5, "title": 2.2, "journal": 1.4, "summary": 3.0,
}  # fmt: skip


def _text(value: str) -> str:
    """One line of text Word can store: XML-invalid characters dropped, whitespace folded."""
    return " ".join(xml_text(value).split())


# --- citations -------------------------------------------------------------------------------


class _Runs(HTMLParser):
    """An engine HTML fragment as (text, formatting) pieces for Word runs."""

    _FLAGS: ClassVar[dict[str, str]] = {
        "i": "italic", "em": "italic", "b": "bold", "strong": "bold",
        "sup": "superscript", "sub": "subscript",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str | None] = []
        self.pieces: list[tuple[str, frozenset[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        flag = self._FLAGS.get(tag)
        if tag == "span" and "small-caps" in (dict(attrs).get("style") or ""):
            flag = "small_caps"
        self.stack.append(flag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        flags = frozenset(f for f in self.stack if f)
        text = xml_text(data)
        if text:
            self.pieces.append((text, flags))


def fragment_runs(fragment: str) -> list[tuple[str, frozenset[str]]]:
    """The pieces of a citation fragment with their formatting, whitespace folded."""
    parser = _Runs()
    parser.feed(fragment)
    parser.close()
    out: list[tuple[str, frozenset[str]]] = []
    for text, flags in parser.pieces:
        folded = " ".join(text.split())
        if text[:1].isspace():
            folded = " " + folded
        if text[-1:].isspace() and folded.strip():
            folded += " "
        out.append((folded, flags))
    if out:
        out[0] = (out[0][0].lstrip(), out[0][1])
        out[-1] = (out[-1][0].rstrip(), out[-1][1])
    return [(t, f) for t, f in out if t]


def _add_citation(paragraph: Paragraph, fragment: str, size: Pt | None = None) -> None:
    for text, flags in fragment_runs(fragment):
        run = paragraph.add_run(text)
        for flag in flags:
            setattr(run.font, flag, True)
        if size is not None:
            run.font.size = size


# --- low-level helpers -----------------------------------------------------------------------


def _hyperlink(
    paragraph: Paragraph, url: str, text: str, links: X.Links, size: Pt | None = None
) -> None:
    """An external hyperlink run (python-docx has no API for one)."""
    r_id = links.rel_id(url)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), LINK)
    props.append(color)
    if size is not None:
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(int(size.pt * 2)))
        props.append(sz)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    run.append(props)
    t = OxmlElement("w:t")
    t.text = _text(text)
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _work_link(paragraph: Paragraph, item: Item, links: X.Links) -> None:
    """The DOI or URL link after a citation; "DOI" or "link" when the citation prints it."""
    link = work_link(item.record.entry, item.reference.text)
    if link is not None:
        paragraph.add_run(" ")
        _hyperlink(paragraph, link.href, link.short if link.shown else link.text, links)


_PPR_AFTER_SHD = (
    "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _box(paragraph: Paragraph, fill: str, border: str) -> None:
    """Shade a paragraph and give it a thick left border (elements in schema order)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side, size in (("top", 4), ("left", 24), ("bottom", 4), ("right", 4)):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), str(size))
        edge.set(qn("w:space"), "4")
        edge.set(qn("w:color"), border)
        borders.append(edge)
    ppr.insert_element_before(borders, "w:shd", *_PPR_AFTER_SHD)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    ppr.insert_element_before(shd, *_PPR_AFTER_SHD)


def _shade(cell: _Cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    props.insert_element_before(
        shd, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
        "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
    )  # fmt: skip


def _repeat_header(table: DocxTable) -> None:
    props = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    props.append(header)


def _styled(table: DocxTable, document: Any) -> None:
    """The house table style with a header row and first column, without banded rows
    (banding would read as heat in a map and hide the shading of retracted rows)."""
    table.style = document.styles[TABLE_STYLE]
    look = table._tbl.tblPr.find(qn("w:tblLook"))
    if look is not None:
        look.set(qn("w:val"), "06A0")
        look.set(qn("w:noHBand"), "1")


def _fixed_layout(table: DocxTable, widths: Sequence[Any]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width


def _document(title: str, *, landscape: bool = False) -> Any:
    document = docx.Document()
    props = document.core_properties
    props.title = _text(title)[:255]
    props.author = "cytobib"
    props.last_modified_by = "cytobib"
    props.comments = ""
    props.revision = 1
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.last_printed = FIXED_DATE
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4
    margin = Cm(1.5) if landscape else Cm(2.2)
    section.left_margin = section.right_margin = margin
    section.top_margin = section.bottom_margin = margin
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(_text(title), level=0)
    return document


def _text_width(document: Any) -> int:
    section = document.sections[0]
    return int(section.page_width - section.left_margin - section.right_margin)


def _meta(document: Any, lines: Sequence[str]) -> None:
    for line in lines:
        if not line:
            continue
        run = document.add_paragraph().add_run(_text(line))
        run.font.size = Pt(9)
        run.font.color.rgb = MUTED


def _save(document: Any) -> bytes:
    """The document as bytes, its zip members stamped with a fixed date."""
    raw = io.BytesIO()
    document.save(raw)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 0
            member.external_attr = 0
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


# --- pieces of a reading list -----------------------------------------------------------------


def _indented(document: Any, *, indent: Any = _HANG) -> Paragraph:
    paragraph: Paragraph = document.add_paragraph()
    paragraph.paragraph_format.left_indent = indent
    paragraph.paragraph_format.space_after = Pt(2)
    return paragraph


def _warning(document: Any, text: str) -> None:
    paragraph = _indented(document)
    _box(paragraph, "FDECEE", "A3001B")
    run = paragraph.add_run("⚠ " + _text(text))
    run.bold = True
    run.font.color.rgb = WARN


def _notices(document: Any, notices: Sequence[str]) -> None:
    """The view's warnings (notes left out) under the title, boxed like a retraction."""
    for line in notices:
        _warning(document, line)


def _label(paragraph: Paragraph, label: str) -> None:
    paragraph.add_run(label).bold = True


def _bullets(document: Any, values: Sequence[tuple[str, str]]) -> None:
    """Bulleted paragraphs under an item; each value with an optional grey tag after it."""
    for text, tag in values:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.paragraph_format.left_indent = Cm(1.6)
        paragraph.paragraph_format.first_line_indent = Cm(-0.5)
        paragraph.paragraph_format.space_after = Pt(1)
        paragraph.add_run(_text(text))
        if tag:
            run = paragraph.add_run(f" [{_text(tag)}]")
            run.italic = True
            run.font.size = Pt(8.5)
            run.font.color.rgb = MUTED


def _item(
    document: Any, item: Item, sections: Sequence[str], vocabulary: Any, links: X.Links
) -> None:
    head: Paragraph = document.add_paragraph()
    fmt = head.paragraph_format
    fmt.left_indent = _HANG
    fmt.first_line_indent = -_HANG
    fmt.tab_stops.add_tab_stop(_HANG)
    fmt.space_before = Pt(9)
    fmt.space_after = Pt(2)
    number = head.add_run(f"[{item.reference.label or item.number}]")
    number.bold = True
    if item.warning:
        number.font.color.rgb = WARN
    head.add_run("\t")
    _add_citation(head, item.reference.html)
    _work_link(head, item, links)
    if item.warning:
        _warning(document, item.warning)
    for quiet in (item.gaps, item.note):  # what is not known, then "also under: ..."
        if quiet:
            run = _indented(document).add_run(_text(quiet))
            run.italic = True
            run.font.size = Pt(9)
            run.font.color.rgb = MUTED
    ann = item.record.annotation
    if ann is None:
        return
    if "summary" in sections and ann.summary:
        _indented(document).add_run(_text(ann.summary))
    if "agents" in sections and ann.agents:
        paragraph = _indented(document)
        _label(paragraph, "Agents: ")
        paragraph.add_run(_text(", ".join(agent_text(item.record, vocabulary))))
    if "agents" in sections and ann.cancers:
        paragraph = _indented(document)
        _label(paragraph, "Cancers: ")
        paragraph.add_run(_text(", ".join(vocabulary.cancers.labels(ann.cancer_ids))))
    if "claims" in sections and ann.claims:
        _label(_indented(document), "Key claims")
        _bullets(
            document,
            [(c.text + (f" ({c.numbers})" if c.numbers else ""), c.evidence or "")
             for c in ann.claims],
        )  # fmt: skip
    if "caveats" in sections and ann.caveats:
        _label(_indented(document), "Caveats")
        _bullets(document, [(c, "") for c in ann.caveats])
    abstract = item.record.entry.text("abstract")
    if "abstract" in sections and abstract:
        paragraph = _indented(document)
        _label(paragraph, "Abstract: ")
        paragraph.add_run(_text(abstract)).font.size = Pt(9.5)


_REFERENCE_SIZE = Pt(9.5)


def _references(document: Any, items: Sequence[Item], size: Pt = _REFERENCE_SIZE) -> None:
    """The numbered references, written in one pass (:mod:`cytobib.formats.docx_xml`)."""
    if not items:
        return
    document.add_heading("References", level=1)
    links = X.Links(document.part)
    half = int(size.pt * 2)
    props = X.hanging(_HANG.twips, Pt(3).twips)
    out = []
    for item in items:
        runs = [X.run(f"[{item.number}]\t", size=half)]
        runs += [X.run(text, size=half, flags=flags) for text, flags in fragment_runs(
            item.reference.html)]  # fmt: skip
        runs += _link_xml(item, links, half)
        if item.warning:
            runs.append(X.run(" ⚠ " + _text(item.warning), bold=True, size=half, color=str(WARN)))
        out.append(X.paragraph(runs, props))
    _append(document, X.paragraphs(out))


def _link_xml(item: Item, links: X.Links, size: int) -> list[str]:
    """:func:`_work_link` as runs: a space and the work's DOI or web link, if it has one."""
    link = work_link(item.record.entry, item.reference.text)
    if link is None:
        return []
    shown = _text(link.short if link.shown else link.text)
    return [X.run(" "), X.hyperlink(links.rel_id(link.href), shown, LINK, size)]


def _append(document: Any, elements: Sequence[Any]) -> None:
    """Add block elements at the end of the body (before its section properties) in constant
    time each."""
    body = document.element.body
    end = body.sectPr
    for element in elements:
        if end is None:
            body.append(element)
        else:
            end.addprevious(element)


# --- pieces of a table -----------------------------------------------------------------------


def _cell_text(cell: _Cell, text: str, *, size: Pt, bold: bool = False) -> Paragraph:
    paragraph: Paragraph = cell.paragraphs[0]
    run = paragraph.add_run(_text(text))
    run.font.size = size
    run.bold = bold or None
    return paragraph


def _cell_xml(col: str, value: str | tuple[str, ...], size: int, links: X.Links) -> list[str]:
    """A review-table cell's paragraphs: one per value (bulleted when several), a DOI as a
    link."""
    if isinstance(value, tuple):
        values = [v for v in value if v]
        return [
            X.paragraph([X.run(f"• {_text(v)}" if len(values) > 1 else _text(v), size=size)])
            for v in values
        ]
    if col == "doi" and value:
        return [X.paragraph([X.hyperlink(links.rel_id(doi_url(value)), _text(value), LINK, size)])]
    return [X.paragraph([X.run(_text(value), size=size)])]


def _row_xml(
    row: Row, columns: Sequence[str], widths: Sequence[int], size: int, links: X.Links
) -> str:
    fill = "FDECEE" if row.flag else None
    cells = []
    for col, width in zip(columns, widths, strict=True):
        value = row.cells.get(col, "")
        if col == "citation" and row.flag:
            flag = X.run("⚠ " + _text(row.flag.split(" (")[0]), bold=True, size=size,
                         color=str(WARN))  # fmt: skip
            text = value if isinstance(value, str) else "; ".join(value)
            paragraphs = [X.paragraph([flag]), X.paragraph([X.run(_text(text), size=size)])]
        else:
            paragraphs = _cell_xml(col, value, size, links)
        cells.append(X.cell(width, paragraphs, fill))
    return f"<w:tr>{''.join(cells)}</w:tr>"


def _heat(count: int, top: int) -> tuple[str, bool]:
    """(hex fill, white text?) for a count, on the one table ramp."""
    rgb, dark = table_shade(count, top)
    return "{:02X}{:02X}{:02X}".format(*rgb), dark


class DocxFormat:
    name = "docx"
    binary = True

    def reading_list(self, view: ReadingList, ctx: Any) -> bytes:
        document = _document(view.title)
        _meta(
            document,
            [
                f"{view.count} works · style: {view.style}"
                + (f" · grouped by {view.group_by}" if view.group_by else "")
                + f" · generated {view.generated}",
                f"Filter: {view.where}" if view.where else "",
            ],
        )
        _notices(document, view.notices)
        links = X.Links(document.part)
        for group in view.groups:
            if group.title:
                document.add_heading(f"{_text(group.title)} ({len(group.items)})", level=1)
            for item in group.items:
                _item(document, item, view.sections, ctx.vocabulary, links)
        return _save(document)

    def table(self, table: Table, ctx: Any) -> bytes:
        document = _document(table.title, landscape=True)
        works = len({r.number for r in table.rows})
        _meta(
            document,
            [
                f"{works} works · one row per {table.rows_mode} · generated {table.generated}",
                f"Filter: {table.where}" if table.where else "",
            ],
        )
        _notices(document, table.notices)
        columns = [c for c, _ in table.columns]
        weights = [_WIDTHS.get(c, 1.2) for c in columns]
        total = _text_width(document)
        widths = [Emu(int(total * w / sum(weights))).twips for w in weights]
        size = 16 if len(columns) > 7 else 18  # half-points: 8 or 9 pt
        style = document.styles[TABLE_STYLE].style_id
        links = X.Links(document.part)
        header = [
            X.cell(width, [X.paragraph([X.run(_text(heading), size=size, bold=True)])])
            for width, (_, heading) in zip(widths, table.columns, strict=True)
        ]
        for group in table.groups:
            if group.title:
                document.add_heading(f"{_text(group.title)} ({len(group.rows)})", level=2)
            rows = (_row_xml(row, columns, widths, size, links) for row in group.rows)
            _append(document, [X.table(style, widths, header, rows)])
            document.add_paragraph()
        _references(document, table.references)
        return _save(document)

    def evidence_map(self, emap: EvidenceMap, ctx: Any) -> bytes:
        document = _document(emap.title, landscape=len(emap.cols) > 6)
        _meta(
            document,
            [
                f"Rows: {emap.row_heading.lower()} · columns: {emap.col_heading.lower()} · "
                f"{len(emap.references)} works",
                "Each cell gives the number of works, then their numbers in the reference list.",
            ],
        )
        _notices(document, emap.notices)
        top = max((len(v) for v in emap.cells.values()), default=0)
        grid = document.add_table(rows=len(emap.rows) + 1, cols=len(emap.cols) + 1)
        _styled(grid, document)
        size = Pt(9)
        for cell, heading in zip(grid.rows[0].cells, (emap.row_heading, *emap.cols), strict=True):
            _cell_text(cell, heading, size=size, bold=True)
        for label, table_row in zip(emap.rows, grid.rows[1:], strict=True):
            cells = table_row.cells
            _cell_text(cells[0], label, size=size, bold=True)
            for cell, col in zip(cells[1:], emap.cols, strict=True):
                numbers = emap.cells.get((label, col), ())
                if not numbers:
                    continue
                fill, white = _heat(len(numbers), top)
                _shade(cell, fill)
                count = _cell_text(cell, str(len(numbers)), size=Pt(10), bold=True)
                below = cell.add_paragraph()
                cites = below.add_run("[" + ", ".join(str(n) for n in numbers) + "]")
                cites.font.size = Pt(7.5)
                count.alignment = below.alignment = WD_ALIGN_PARAGRAPH.CENTER
                if white:
                    for run in (*count.runs, cites):
                        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        total = _text_width(document)
        first = int(total * 0.25) if emap.cols else total
        rest = int((total - first) / len(emap.cols)) if emap.cols else 0
        _fixed_layout(grid, [Emu(first)] + [Emu(rest)] * len(emap.cols))
        _repeat_header(grid)
        _references(document, emap.references)
        return _save(document)
