"""The contract every registered format keeps, checked over registry.BUILTIN.

For each format and each view it can write (reading list, review table, evidence map), a view
full of hostile values (markup, TeX and Markdown specials, Greek letters, a retracted work,
works with an empty or no annotation) must render to non-empty output of the declared kind,
and text formats must escape the payload for their target. A format whose module is not
written yet is skipped with a message, not failed.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib import latex
from cytobib.formats import registry
from cytobib.formats.escape import latex_text, md_inline
from htmlcheck import folded, parse
from viewkit import (
    GREEK,
    HOSTILE,
    context,
    hostile_map,
    hostile_reading_list,
    hostile_table,
    plain_reading_list,
)

VIEWS: dict[str, Callable[[], Any]] = {
    "reading_list": hostile_reading_list,
    "table": hostile_table,
    "evidence_map": hostile_map,
}
SCRIPT = "<script>alert(1)</script>"


# What each built-in format writes: a method that goes missing fails here instead of being
# skipped as "not supported" below.
SUPPORTS = {
    "csv": {"table", "evidence_map"}, "tsv": {"table", "evidence_map"},
    "xlsx": {"table", "evidence_map"}, "png": {"evidence_map"}, "svg": {"evidence_map"},
    "txt": {"reading_list"}, "md": set(VIEWS), "html": set(VIEWS), "tex": set(VIEWS),
    "docx": set(VIEWS),
}  # fmt: skip


def _format(name: str) -> Any:
    return registry.get(name)


def test_each_format_writes_the_views_it_should() -> None:
    assert set(SUPPORTS) == set(registry.BUILTIN)
    for name, kinds in SUPPORTS.items():
        fmt = registry.get(name)
        assert {k for k in VIEWS if hasattr(fmt, k)} == kinds, name


# --- what each target must do with the hostile payload ---------------------------------------


def _check_html(out: str | bytes, kind: str) -> None:
    assert isinstance(out, str)
    doc = parse(out)  # raises unless every tag is closed in order
    assert not doc.iter("b")
    for script in doc.iter("script"):
        assert "src" not in script.attrs
        assert "alert" not in script.text
    assert SCRIPT not in out
    assert folded(HOSTILE) in folded(doc.iter("body")[0].text)


def _check_md(out: str | bytes, kind: str) -> None:
    assert isinstance(out, str)
    prose = re.sub(r"`[^`\n]*`", "", out)  # code spans (the filter line) show text literally
    assert not re.search(r"(?<!\\)<script", prose)
    assert md_inline(HOSTILE) in out
    if kind == "table":
        # Every table line has as many unescaped pipes as the header line.
        lines = [line for line in out.splitlines() if line.startswith("|")]
        pipes = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
        assert len(pipes) == 1, pipes


def _check_txt(out: str | bytes, kind: str) -> None:
    assert isinstance(out, str)
    assert HOSTILE in out
    assert GREEK in out


def _check_tex(out: str | bytes, kind: str) -> None:
    assert isinstance(out, str)
    assert out.isascii()
    assert latex.is_balanced(out)
    assert latex_text(HOSTILE) in out
    assert latex.to_text(latex_text(HOSTILE)) == HOSTILE
    assert r"\begin{document}" in out


def _docx_texts(data: bytes) -> list[str]:
    import docx

    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return texts


def _check_docx(out: str | bytes, kind: str) -> None:
    assert isinstance(out, bytes)
    joined = "\n".join(_docx_texts(out))
    assert HOSTILE in joined
    assert GREEK in joined or kind == "evidence_map"


def _check_delimited(delimiter: str) -> Callable[[str | bytes, str], None]:
    def check(out: str | bytes, kind: str) -> None:
        assert isinstance(out, str)
        cells = [c for row in csv.reader(io.StringIO(out), delimiter=delimiter) for c in row]
        assert any(SCRIPT in c for c in cells)
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]

    return check


def _check_xlsx(out: str | bytes, kind: str) -> None:
    assert isinstance(out, bytes)
    assert zipfile.is_zipfile(io.BytesIO(out))
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(io.BytesIO(out))
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert any(isinstance(v, str) and SCRIPT in v for v in values)
    assert not [v for v in values if isinstance(v, str) and v.startswith("=") and "alert" in v]


def _check_svg(out: str | bytes, kind: str) -> None:
    text = out.decode("utf-8") if isinstance(out, bytes) else out
    root = ET.fromstring(text)  # well-formed XML
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert "script" not in tags
    assert "foreignObject" not in tags
    for element in root.iter():
        assert not [a for a in element.attrib if a.lower().startswith("on")]
    assert SCRIPT not in text


def _check_png(out: str | bytes, kind: str) -> None:
    assert isinstance(out, bytes)
    assert out.startswith(b"\x89PNG\r\n\x1a\n")


def _no_check(out: str | bytes, kind: str) -> None:
    """A format this test does not know yet: non-empty output is all it can ask."""


CHECKS: dict[str, Callable[[str | bytes, str], None]] = {
    "html": _check_html,
    "md": _check_md,
    "txt": _check_txt,
    "tex": _check_tex,
    "docx": _check_docx,
    "csv": _check_delimited(","),
    "tsv": _check_delimited("\t"),
    "xlsx": _check_xlsx,
    "svg": _check_svg,
    "png": _check_png,
}


def _a(kind: str) -> str:
    readable = kind.replace("_", " ")
    return ("an " if readable[0] in "aeiou" else "a ") + readable


# --- the contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(registry.BUILTIN))
def test_format_declares_name_binary_and_a_view(name: str) -> None:
    """A format has the registry name, a binary flag and at least one view method."""
    fmt = _format(name)
    assert fmt.name == name
    assert isinstance(fmt.binary, bool)
    assert any(callable(getattr(fmt, view, None)) for view in VIEWS)


@pytest.mark.parametrize("name", sorted(registry.BUILTIN))
def test_format_is_found_by_its_suffix(name: str) -> None:
    """-o file.<suffix> picks the format (every built-in has a suffix)."""
    fmt = _format(name)
    suffixes = [s for s, n in registry.SUFFIXES.items() if n == name]
    assert suffixes
    for suffix in suffixes:
        assert registry.for_path(f"out{suffix}").name == fmt.name


@pytest.mark.parametrize("kind", sorted(VIEWS))
@pytest.mark.parametrize("name", sorted(registry.BUILTIN))
def test_hostile_view_renders_escaped(name: str, kind: str) -> None:
    """Each view a format supports renders hostile values non-empty and escaped."""
    fmt = _format(name)
    method = getattr(fmt, kind, None)
    if method is None:
        pytest.skip(f"format '{name}' does not write {_a(kind)}")
    out = method(VIEWS[kind](), context())
    assert isinstance(out, bytes if fmt.binary else str)
    assert len(out) > 0
    CHECKS.get(name, _no_check)(out, kind)


@pytest.mark.parametrize("kind", sorted(VIEWS))
@pytest.mark.parametrize("name", sorted(registry.BUILTIN))
def test_rendering_is_deterministic(name: str, kind: str) -> None:
    """The same view renders to the same output twice (golden files depend on it)."""
    fmt = _format(name)
    method = getattr(fmt, kind, None)
    if method is None:
        pytest.skip(f"format '{name}' does not write {_a(kind)}")
    assert method(VIEWS[kind](), context()) == method(VIEWS[kind](), context())


_LINK_SYNTAX = {
    "md": "](javascript:",
    "html": 'href="javascript:',
    "tex": r"\href{javascript:",
    "docx": 'Target="javascript:',
}


@pytest.mark.parametrize("name", ["md", "html", "tex", "docx"])
def test_javascript_urls_are_never_links(name: str) -> None:
    """A url field of javascript:alert(1) is never made a link target."""
    out = _format(name).reading_list(hostile_reading_list(), context())
    if isinstance(out, bytes):
        with zipfile.ZipFile(io.BytesIO(out)) as archive:
            out = "".join(
                archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".rels")
            )
    assert _LINK_SYNTAX[name].lower() not in out.lower()


# --- Markdown escaping (the finished format, checked with the same rigour) -----------------------


def _unescaped(text: str, char: str) -> list[int]:
    """Positions of ``char`` not preceded by an odd number of backslashes."""
    out = []
    for match in re.finditer(re.escape(char), text):
        slashes = len(text[: match.start()]) - len(text[: match.start()].rstrip("\\"))
        if slashes % 2 == 0:
            out.append(match.start())
    return out


_ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)


@given(_ANY_TEXT)
def test_markdown_inline_leaves_no_active_syntax(text: str) -> None:
    """md_inline leaves no unescaped |, *, _, [, ], <, ` and no line break."""
    escaped = md_inline(text)
    for char in "|*_[]<`":
        assert not _unescaped(escaped, char), (char, escaped)
    assert "\n" not in escaped


@given(title=_ANY_TEXT, note=_ANY_TEXT)
def test_markdown_reading_list_shows_title_and_note_escaped(title: str, note: str) -> None:
    """The rendered Markdown holds the escaped title as its heading and the note in italics."""
    fmt = registry.get("md")
    view = plain_reading_list(title=title or "x", note=note or None)
    out = fmt.reading_list(view, context())
    assert out.splitlines()[0] == f"# {md_inline(title or 'x')}"
    if note.split():
        assert f"*{md_inline(note)}*" in out


@pytest.mark.parametrize("kind", ["table", "evidence_map"])
@pytest.mark.parametrize("name", ["md", "html", "tex"])
def test_a_retracted_work_is_flagged_in_every_text_view(name: str, kind: str) -> None:
    """The evidence map's reference list in Markdown once dropped the notice."""
    out = getattr(_format(name), kind)(VIEWS[kind](), context())
    references = out.split("References", 1)[1]  # the list itself, not a table row's flag
    assert "RETRACTED" in references


# --- a view built with --keep-going says so, in every format (issue 14) --------------------------

NOTICES = (f"Incomplete: {HOSTILE}", f"annotations/x.yaml:3:9: notes left out: {GREEK}")


def _all_text(name: str, out: str | bytes) -> str:
    """Every text a reader sees in an output, as plain text (markup and escapes undone)."""
    if name == "html":
        assert isinstance(out, str)
        return folded(parse(out).iter("body")[0].text)
    if name == "tex":
        assert isinstance(out, str)
        return latex.to_text(out)
    if name == "docx":
        assert isinstance(out, bytes)
        return "\n".join(_docx_texts(out))
    if name == "xlsx":
        openpyxl = pytest.importorskip("openpyxl")
        book = openpyxl.load_workbook(io.BytesIO(out))  # type: ignore[arg-type]
        first = book.worksheets[0]  # the sheet a reader sees first
        return "\n".join(str(c.value) for row in first.iter_rows() for c in row if c.value)
    if name in ("csv", "tsv"):
        assert isinstance(out, str)
        records = list(csv.reader(io.StringIO(out), delimiter="," if name == "csv" else "\t"))
        return "\n".join(r[0] for r in records[: len(NOTICES)])  # the first records
    if name == "svg":
        text = out.decode("utf-8") if isinstance(out, bytes) else out
        return "\n".join(e.text or "" for e in ET.fromstring(text).iter())
    assert isinstance(out, str)
    return out


@pytest.mark.parametrize("kind", sorted(VIEWS))
@pytest.mark.parametrize("name", sorted(registry.BUILTIN))
def test_every_format_prints_the_views_notices(name: str, kind: str) -> None:
    """A view whose notes are incomplete says so at its top in every format (one line in an
    image), escaped like any other value; a PNG at least differs from the complete one."""
    import dataclasses

    fmt = _format(name)
    method = getattr(fmt, kind, None)
    if method is None:
        pytest.skip(f"format '{name}' does not write {_a(kind)}")
    complete = VIEWS[kind]()
    out = method(dataclasses.replace(complete, notices=NOTICES), context())
    CHECKS.get(name, _no_check)(out, kind)
    if name == "png":
        assert out != method(complete, context())
        return
    shown = _all_text(name, out)
    wanted = NOTICES[:1] if name == "svg" else NOTICES
    for notice in wanted:
        expected = md_inline(notice) if name == "md" else notice
        assert expected in shown, (notice, shown[:500])
