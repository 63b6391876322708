"""The HTML format: self-contained, well-formed, escaped pages for every view."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cytobib.formats.html import HtmlFormat
from htmlcheck import Element, folded, parse
from viewkit import (
    GREEK,
    HOSTILE,
    context,
    hostile_map,
    hostile_reading_list,
    hostile_table,
    plain_reading_list,
)

FMT = HtmlFormat()


def _reading_list(**kwargs: object) -> tuple[str, Element]:
    out = FMT.reading_list(hostile_reading_list(**kwargs), context())  # type: ignore[arg-type]
    return out, parse(out)


def test_reading_list_is_a_complete_well_formed_page() -> None:
    """The page has a doctype, one html/head/body, UTF-8 and balanced tags."""
    out, doc = _reading_list()
    assert out.startswith("<!DOCTYPE html>\n")
    assert [e.tag for e in doc.children] == ["html"]
    assert doc.iter("meta")[0].attrs == {"charset": "utf-8"}
    assert len(doc.iter("body")) == 1


def test_page_loads_nothing_from_outside() -> None:
    """No stylesheet, script, image or font is fetched: CSS is inline, CSP forbids the rest."""
    for out in (
        FMT.reading_list(hostile_reading_list(), context()),
        FMT.table(hostile_table(), context()),
        FMT.evidence_map(hostile_map(), context()),
    ):
        doc = parse(out)
        assert not doc.iter("link")
        assert not doc.iter("img")
        assert all("src" not in s.attrs for s in doc.iter("script"))
        assert "@import" not in out
        assert "url(" not in out
        csp = next(m for m in doc.iter("meta") if m.attrs.get("http-equiv"))
        assert "default-src 'none'" in (csp.attrs["content"] or "")


def test_hostile_values_are_text_not_markup() -> None:
    """Titles, notes, group names and annotations with markup come back as literal text."""
    _, doc = _reading_list()
    assert not doc.iter("script")
    assert not doc.iter("b")
    assert folded(doc.iter("h1")[0].text) == folded(f"Reading list {HOSTILE} {GREEK}")
    assert folded(doc.iter("title")[0].text) == folded(f"Reading list {HOSTILE} {GREEK}")
    headings = [folded(h.text) for h in doc.iter("h2")]
    assert f"{folded(HOSTILE)} (2)" in headings
    first = doc.iter("article")[0]
    assert folded(HOSTILE) in folded(first.find_class("citation")[0].text)
    assert folded(first.find_class("note")[0].text) == folded(f"also under: {HOSTILE}")
    assert f"Summary {folded(HOSTILE)}" in folded(first.find_class("summary")[0].text)


def test_table_of_contents_links_to_every_group() -> None:
    """Each contents entry points at the id of its group's section."""
    _, doc = _reading_list()
    nav = doc.iter("nav")[0]
    targets = [a.attrs["href"] for a in nav.iter("a")]
    ids = {e.attrs["id"] for e in doc.iter() if e.attrs.get("id")}
    assert len(targets) == 3
    assert all(t and t.startswith("#") and t[1:] in ids for t in targets)


def test_ids_are_unique_when_a_work_is_in_two_groups() -> None:
    """The same work under two agents gets two different article ids."""
    _, doc = _reading_list()
    ids = [e.attrs["id"] for e in doc.iter() if e.attrs.get("id")]
    assert len(ids) == len(set(ids))
    assert len([a for a in doc.iter("article") if (a.attrs["id"] or "").endswith("--1")]) == 2


def test_retracted_item_carries_a_loud_warning() -> None:
    """The retracted work is flagged and its warning is a role=alert box."""
    _, doc = _reading_list()
    flagged = [a for a in doc.iter("article") if "flagged" in a.classes()]
    assert len(flagged) == 1
    warning = flagged[0].find_class("warning")[0]
    assert warning.attrs.get("role") == "alert"
    assert "RETRACTED" in warning.text
    assert "https://doi.org/10.1234/notice.1" in warning.text
    assert (
        ".warning {"
        in parse(FMT.reading_list(hostile_reading_list(), context())).iter("style")[0].text
    )


def test_claims_are_a_list_with_evidence_badges() -> None:
    """Claims render as <li> with a badge naming the evidence level."""
    _, doc = _reading_list()
    claims = doc.iter("article")[0].find_class("claims")[0]
    assert claims.tag == "ul"
    items = claims.iter("li")
    assert len(items) == 3
    badge = items[0].find_class("badge")[0]
    assert badge.attrs["data-evidence"] == "clinical-trial"
    assert "(n = 12, p < 0.05)" in items[0].text
    assert not items[2].find_class("badge")


def test_sections_choose_what_is_shown() -> None:
    """Only the requested sections appear; the abstract is off by default."""
    _, doc = _reading_list(sections=("summary",))
    assert doc.find_class("summary")
    assert not doc.find_class("claims")
    assert not doc.find_class("abstract")
    _, doc = _reading_list(sections=("abstract",))
    assert folded(HOSTILE) in folded(doc.find_class("abstract")[0].text)


def test_doi_link_is_encoded_and_javascript_urls_are_dropped() -> None:
    """The DOI link is a percent-encoded doi.org URL; a javascript: URL is never linked."""
    _, doc = _reading_list()
    hrefs = [a.attrs.get("href") or "" for a in doc.iter("a")]
    assert "https://doi.org/10.1000/evil%3C1%3E%262" in hrefs
    assert not [h for h in hrefs if "javascript" in h.lower()]
    assert all(h.startswith(("#", "https://")) for h in hrefs)


def test_empty_annotation_and_no_annotation_render_the_citation_only() -> None:
    """Works with nothing written still show number and citation, and nothing else."""
    _, doc = _reading_list()
    section = next(s for s in doc.iter("section") if s.attrs["id"] == "not-assigned")
    articles = section.iter("article")
    assert len(articles) == 2
    for article in articles:
        assert {c for e in article.iter() for c in e.classes()} <= {
            "item",
            "num",
            "body",
            "citation",
        }


def test_table_is_sortable_and_readable_without_script() -> None:
    """Rows are plain <tbody> rows; the sort script is inline and allowed by its CSP hash."""
    out = FMT.table(hostile_table(), context())
    doc = parse(out)
    tables = doc.iter("table")
    assert len(tables) == 2
    assert all("sortable" in t.classes() for t in tables)
    assert all(t.iter("thead") and t.iter("tbody") for t in tables)
    (script,) = doc.iter("script")
    digest = base64.b64encode(hashlib.sha256(script.text.encode()).digest()).decode()
    csp = next(m for m in doc.iter("meta") if m.attrs.get("http-equiv")).attrs["content"]
    assert f"'sha256-{digest}'" in (csp or "")


def test_table_cells_escape_and_list_multiple_values() -> None:
    """Multi-valued cells are <ul>; hostile headings and cells are text."""
    doc = parse(FMT.table(hostile_table(), context()))
    assert not doc.iter("b")
    headers = [folded(th.text) for th in doc.iter("thead")[0].iter("th")]
    assert f"Findings {folded(HOSTILE)}" in headers
    first_row = doc.iter("tbody")[0].iter("tr")[0]
    claims = first_row.find_class("c-claims")[0]
    assert len(claims.iter("li")) == 3
    title = first_row.find_class("c-title")[0]
    assert folded(title.text) == folded(HOSTILE)


def test_retracted_rows_are_marked_and_link_to_references() -> None:
    """The retracted row has class flagged and a flag; citations link to #ref-N."""
    doc = parse(FMT.table(hostile_table(), context()))
    rows = [r for t in doc.iter("tbody") for r in t.iter("tr")]
    flagged = [r for r in rows if "flagged" in r.classes()]
    assert len(flagged) == 1
    assert "RETRACTED" in flagged[0].find_class("flag")[0].text
    refs = {li.attrs["id"] for li in doc.iter("ol")[0].iter("li")}
    assert refs == {"ref-1", "ref-2", "ref-3", "ref-4"}
    links = [a.attrs["href"] for r in rows for a in r.find_class("c-citation")[0].iter("a")]
    assert links == ["#ref-1", "#ref-2", "#ref-3", "#ref-4"]


def test_evidence_map_shades_cells_by_count() -> None:
    """A cell with more works is darker; empty cells have no colour; numbers link."""
    doc = parse(FMT.evidence_map(hostile_map(), context()))
    cells = doc.find_class("heat")
    colours = {}
    for cell in cells:
        style = cell.attrs.get("style") or ""
        match = re.search(r"background-color:#([0-9a-f]{6})", style)
        if match:
            colours[folded(cell.find_class("n")[0].text)] = sum(
                int(match.group(1)[i : i + 2], 16) for i in (0, 2, 4)
            )
    assert colours["3"] < colours["2"] < colours["1"]
    assert len([c for c in cells if "empty" in c.classes()]) == 9 - 4
    assert not doc.iter("b")
    row_headers = [folded(th.text) for th in doc.iter("th") if th.attrs.get("scope") == "row"]
    assert folded(HOSTILE) in row_headers


def test_project_template_overrides_the_packaged_one(tmp_path: Path) -> None:
    """<project>/templates/item.html.j2 replaces the default item layout, still escaped."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "item.html.j2").write_text(
        '<div class="mine">{{ number }}: {{ summary }}</div>\n', encoding="utf-8"
    )
    doc = parse(FMT.reading_list(hostile_reading_list(), context(tmp_path)))
    mine = doc.find_class("mine")
    assert len(mine) == 5
    assert not doc.iter("script")
    assert folded(mine[0].text) == folded(f"1: Summary {HOSTILE} about {GREEK} at 50%.")


_ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)


@given(title=_ANY_TEXT, note=_ANY_TEXT)
def test_any_title_and_note_survive_as_text(title: str, note: str) -> None:
    """Whatever a title or note holds, the page stays well-formed and shows it as text."""
    view = plain_reading_list(title=title or "x", item_title=title or "x", note=note or None)
    doc = parse(FMT.reading_list(view, context()))
    assert folded(doc.iter("h1")[0].text) == _visible(title or "x")
    shown = _visible(view.items[0].record.entry.title)
    assert shown in folded(doc.find_class("citation")[0].text)
    if _visible(note):
        assert folded(doc.find_class("note")[0].text) == _visible(note)
    else:
        assert not [n for n in doc.find_class("note") if n.text.strip()]


def _visible(text: str) -> str:
    """What a reader sees: XML-invalid characters dropped, whitespace folded; html.parser
    also turns a lone CR into LF, which folding absorbs."""
    from cytobib.formats.escape import xml_text

    return folded(xml_text(text))
