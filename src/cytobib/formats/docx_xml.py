"""WordprocessingML for large tables and reference lists, written as text in one pass.

python-docx builds a document element by element, and several of its calls scan what is
there already (each hyperlink searches every relationship of the part, each run child is
placed by a search of its siblings): a review table of 10,000 rows took over a minute. The
review table and the references under tables and maps are therefore written here as XML text
and parsed once; the markup is what python-docx writes for the same calls
(``tests/test_format_docx.py`` reads it back with python-docx).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

_NS = nsdecls("w", "r")


class Links:
    """The document part's hyperlink relationships, one per URL, each added in constant time
    (python-docx's ``relate_to`` searches every relationship of the part)."""

    def __init__(self, part: Any) -> None:
        self._rels = part.rels
        self._by_url: dict[str, str] = {
            rel.target_ref: rel_id
            for rel_id, rel in self._rels.items()
            if rel.is_external and rel.reltype == RELATIONSHIP_TYPE.HYPERLINK
        }
        self._next = len(self._rels) + 1

    def rel_id(self, url: str) -> str:
        """The relationship id of a link to ``url``, added if new."""
        known = self._by_url.get(url)
        if known is not None:
            return known
        while f"rId{self._next}" in self._rels:
            self._next += 1
        rel_id = f"rId{self._next}"
        self._rels.add_relationship(RELATIONSHIP_TYPE.HYPERLINK, url, rel_id, is_external=True)
        self._by_url[url] = rel_id
        return rel_id


def _t(text: str) -> str:
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<w:t{space}>{escape(text)}</w:t>"


def run(
    text: str | None,
    *,
    size: int | None = None,
    bold: bool = False,
    italic: bool = False,
    color: str | None = None,
    flags: Iterable[str] = (),
) -> str:
    """A run (``size`` in half-points; ``flags`` are python-docx font attributes: italic,
    bold, small_caps, superscript, subscript). Tabs in ``text`` become ``<w:tab/>``; other
    whitespace must be folded by the caller. ``None``: a run without text."""
    flags = set(flags)
    props = []
    if bold or "bold" in flags:
        props.append("<w:b/>")
    if italic or "italic" in flags:
        props.append("<w:i/>")
    if "small_caps" in flags:
        props.append("<w:smallCaps/>")
    if color:
        props.append(f'<w:color w:val="{color}"/>')
    if size is not None:
        props.append(f'<w:sz w:val="{size}"/>')
    if "superscript" in flags:
        props.append('<w:vertAlign w:val="superscript"/>')
    elif "subscript" in flags:
        props.append('<w:vertAlign w:val="subscript"/>')
    body = ""
    if text:
        body = "<w:tab/>".join(_t(part) if part else "" for part in text.split("\t"))
    rpr = f"<w:rPr>{''.join(props)}</w:rPr>" if props else ""
    return f"<w:r>{rpr}{body}</w:r>"


def hyperlink(rel_id: str, text: str, color: str, size: int | None = None) -> str:
    """An external hyperlink run, as ``docx._hyperlink`` makes it."""
    sz = f'<w:sz w:val="{size}"/>' if size is not None else ""
    props = f'<w:rPr><w:color w:val="{color}"/>{sz}<w:u w:val="single"/></w:rPr>'
    return (
        f"<w:hyperlink r:id={quoteattr(rel_id)}><w:r>{props}"
        f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:hyperlink>'
    )


def paragraph(runs: Sequence[str], props: str = "") -> str:
    inner = "".join(runs)
    if not inner and not props:
        return "<w:p/>"
    return f"<w:p>{f'<w:pPr>{props}</w:pPr>' if props else ''}{inner}</w:p>"


def hanging(indent_twips: int, after_twips: int) -> str:
    """Paragraph properties of a numbered reference: a hanging indent with a tab stop."""
    return (
        f'<w:tabs><w:tab w:pos="{indent_twips}" w:val="left"/></w:tabs>'
        f'<w:spacing w:after="{after_twips}"/>'
        f'<w:ind w:left="{indent_twips}" w:hanging="{indent_twips}"/>'
    )


def cell(width_twips: int, paragraphs: Sequence[str], fill: str | None = None) -> str:
    shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
    props = f'<w:tcPr><w:tcW w:type="dxa" w:w="{width_twips}"/>{shade}</w:tcPr>'
    return f"<w:tc>{props}{''.join(paragraphs) or '<w:p/>'}</w:tc>"


def table(
    style_id: str, widths_twips: Sequence[int], header: Sequence[str], rows: Iterable[str]
) -> Any:
    """A table element: the house style, header row and first column without banding, a
    fixed layout, the header repeated on each page; ``header`` and ``rows`` are cells and
    rows as text (``rows`` each ``<w:tr>...</w:tr>``)."""
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths_twips)
    look = (
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
        'w:noHBand="1" w:noVBand="1" w:val="06A0"/>'
    )
    props = (
        f"<w:tblPr><w:tblStyle w:val={quoteattr(style_id)}/>"
        f'<w:tblW w:type="auto" w:w="0"/><w:tblLayout w:type="fixed"/>{look}</w:tblPr>'
    )
    head = f'<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>{"".join(header)}</w:tr>'
    text = f"<w:tbl {_NS}>{props}<w:tblGrid>{grid}</w:tblGrid>{head}{''.join(rows)}</w:tbl>"
    return parse_xml(text)


def paragraphs(items: Iterable[str]) -> list[Any]:
    """Paragraph elements from their text, parsed in one go."""
    text = f"<w:body {_NS}>{''.join(items)}</w:body>"
    return list(parse_xml(text))
