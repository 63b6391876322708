"""The DOCX format: Word documents read back with python-docx, paragraph by paragraph."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import docx
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import RGBColor
from hypothesis import given
from hypothesis import strategies as st

from cytobib.formats.docx import FIXED_DATE, TABLE_STYLE, DocxFormat, fragment_runs
from cytobib.formats.escape import xml_text
from viewkit import (
    GREEK,
    HOSTILE,
    context,
    hostile_map,
    hostile_reading_list,
    hostile_table,
    plain_reading_list,
)

FMT = DocxFormat()


def _open(data: bytes) -> Any:
    return docx.Document(io.BytesIO(data))


def _reading_list() -> Any:
    return _open(FMT.reading_list(hostile_reading_list(), context()))


def test_reading_list_is_a_word_document() -> None:
    """The bytes are a zip with word/document.xml, and python-docx opens them."""
    data = FMT.reading_list(hostile_reading_list(), context())
    assert isinstance(data, bytes)
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert _open(data).paragraphs


def test_paragraphs_follow_the_view() -> None:
    """Title, meta lines, a heading per group, then numbered items with their sections."""
    paragraphs = _reading_list().paragraphs
    styles = [(p.style.name, p.text) for p in paragraphs]
    assert styles[0] == ("Title", f"Reading list {HOSTILE} {GREEK}")
    assert styles[1][1].startswith("4 works · style: vancouver · grouped by agent")
    headings = [t for s, t in styles if s == "Heading 1"]
    assert headings == [f"{HOSTILE} (2)", f"{GREEK} (1)", "Not assigned (2)"]
    numbered = [t for _, t in styles if t.startswith("[")]
    assert [t.split("\t")[0] for t in numbered] == ["[1]", "[2]", "[1]", "[3]", "[4]"]
    texts = [t for _, t in styles]
    assert f"also under: {HOSTILE}" in texts
    assert f"Summary {HOSTILE} about {GREEK} at 50%." in texts
    assert (
        "Agents: Interferon-λ (type III interferon) (primary), Tumour necrosis factor-α "
        "(primary)" in texts
    )
    assert f"Cancers: Melanoma, {HOSTILE} cancer" in texts
    bullets = [t for s, t in styles if s == "List Bullet"]
    assert f"Claim {HOSTILE} (n = 12, p < 0.05) [clinical-trial]" in bullets
    assert "n = 3 ~ small" in bullets


def test_citation_keeps_italics_from_the_fragment() -> None:
    """The journal, in <i> in the engine's HTML, is an italic run."""
    item = next(p for p in _reading_list().paragraphs if p.text.startswith("[2]"))
    italic = [r.text for r in item.runs if r.italic]
    assert italic == ["Journal of Tests"]
    assert item.runs[0].bold
    assert item.text.startswith("[2]\tFraud F. Retracted study of IFN-λ/TNF-α.")


def test_hostile_markup_in_the_citation_stays_text() -> None:
    """A <b> written in an author name is text, not a bold run."""
    item = next(p for p in _reading_list().paragraphs if p.text.startswith("[1]"))
    assert "<b>Consortium</b> & Co" in item.text
    assert HOSTILE in item.text
    assert not [r for r in item.runs[1:] if r.bold]


def test_warning_is_bold_red_in_a_box() -> None:
    """The retraction line is bold, red and shaded right after its item."""
    paragraphs = _reading_list().paragraphs
    index = next(i for i, p in enumerate(paragraphs) if p.text.startswith("[2]"))
    warning = paragraphs[index + 1]
    assert warning.text.startswith("⚠ RETRACTED (notice: https://doi.org/10.1234/notice.1)")
    (run,) = warning.runs
    assert run.bold
    assert run.font.color.rgb == RGBColor(0xA3, 0x00, 0x1B)
    assert warning._p.pPr.find(qn("w:shd")) is not None


def test_doi_is_a_hyperlink_and_javascript_urls_are_not() -> None:
    """DOI links are external relationships; a javascript: URL gets no link at all."""
    document = _reading_list()
    targets = [
        rel.target_ref for rel in document.part.rels.values() if rel.reltype.endswith("/hyperlink")
    ]
    assert "https://doi.org/10.1000/evil%3C1%3E%262" in targets
    assert "https://doi.org/10.1000/retracted" in targets
    assert not [t for t in targets if "javascript" in t]


def test_output_is_reproducible() -> None:
    """Two renders are byte-identical: fixed core dates and zip timestamps."""
    first = FMT.reading_list(hostile_reading_list(), context())
    second = FMT.reading_list(hostile_reading_list(), context())
    assert first == second
    props = _open(first).core_properties
    assert props.created == FIXED_DATE
    assert props.modified == FIXED_DATE
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {
        (1980, 1, 1, 0, 0, 0)
    }


def test_table_is_landscape_with_a_repeated_header() -> None:
    """The review table turns the page, uses the table style and repeats its header row."""
    document = _open(FMT.table(hostile_table(), context()))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width > section.page_height
    assert len(document.tables) == 2
    for table in document.tables:
        assert table.style.name == TABLE_STYLE
        header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
        assert header is not None
        assert table.rows[0].cells[7].text == f"Findings {HOSTILE}"


def test_table_cells_hold_one_paragraph_per_value() -> None:
    """Several values are separate bulleted paragraphs; the title cell is the raw title."""
    document = _open(FMT.table(hostile_table(), context()))
    columns = [c.text for c in document.tables[0].rows[0].cells]
    row = document.tables[0].rows[1].cells
    claims = row[columns.index(f"Findings {HOSTILE}")]
    assert [p.text for p in claims.paragraphs] == [
        f"• Claim {HOSTILE} (n = 12, p < 0.05)",
        "• IFN-λ/TNF-α slows growth",
        "• Bare claim",
    ]
    assert row[columns.index("Title")].text == HOSTILE


def test_retracted_row_is_flagged_and_shaded() -> None:
    """The retracted work's citation cell starts with a red flag; all its cells are shaded."""
    document = _open(FMT.table(hostile_table(), context()))
    row = document.tables[0].rows[2].cells
    assert row[0].paragraphs[0].text == "⚠ RETRACTED"
    assert row[0].paragraphs[1].text == "Fraud 2019 [2]"
    for cell in row:
        assert cell._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "FDECEE"
    plain = document.tables[0].rows[1].cells
    assert plain[0]._tc.tcPr.find(qn("w:shd")) is None


def test_table_appends_references() -> None:
    """After the tables come the numbered references, the retracted one flagged."""
    paragraphs = _open(FMT.table(hostile_table(), context())).paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text == "References")
    refs = [p.text for p in paragraphs[start + 1 :]]
    assert [r.split("\t")[0] for r in refs] == ["[1]", "[2]", "[3]", "[4]"]
    assert "⚠ RETRACTED" in refs[1]


def test_evidence_map_is_a_shaded_table() -> None:
    """Cells with works are shaded by count and list their numbers; empty ones are blank."""
    document = _open(FMT.evidence_map(hostile_map(), context()))
    (table,) = document.tables
    assert [c.text for c in table.rows[0].cells] == [
        "Agent", "melanoma", f"{HOSTILE} cancer", "TNF-α & <b>x</b>",
    ]  # fmt: skip
    assert table.rows[2].cells[0].text == HOSTILE
    cell = table.rows[2].cells[3]
    assert [p.text for p in cell.paragraphs] == ["3", "[1, 2, 3]"]
    fills = {
        c.text.split("\n")[0]: c._tc.tcPr.find(qn("w:shd")).get(qn("w:fill"))
        for row in table.rows[1:]
        for c in row.cells[1:]
        if c.text
    }
    assert len(set(fills.values())) == 3
    assert table.rows[3].cells[2].text == ""


def test_fragment_runs_map_tags_to_formatting() -> None:
    """<i>, <b>, <sup>, <sub> and small-caps spans become run flags; entities are decoded."""
    runs = fragment_runs(
        "A &amp; B. <i>Cell</i>. <b>12</b>(3). x<sup>2</sup> CO<sub>2</sub> "
        '<span style="font-variant:small-caps">Smith</span>'
    )
    assert runs == [
        ("A & B. ", frozenset()),
        ("Cell", frozenset({"italic"})),
        (". ", frozenset()),
        ("12", frozenset({"bold"})),
        ("(3). x", frozenset()),
        ("2", frozenset({"superscript"})),
        (" CO", frozenset()),
        ("2", frozenset({"subscript"})),
        (" ", frozenset()),
        ("Smith", frozenset({"small_caps"})),
    ]


_ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=50)


@given(title=_ANY_TEXT, note=_ANY_TEXT, summary=_ANY_TEXT)
def test_any_text_survives_into_word(title: str, note: str, summary: str) -> None:
    """Control characters never break the file; everything else reads back as written."""
    view = plain_reading_list(
        title=title or "x", note=note or None, summary=summary, sections=("summary",)
    )
    texts = [p.text for p in _open(FMT.reading_list(view, context())).paragraphs]
    assert texts[0] == _visible(title or "x")
    if _visible(note):
        assert _visible(note) in texts
    if _visible(summary):
        assert _visible(summary) in texts


def _visible(text: str) -> str:
    return " ".join(xml_text(text).split())
