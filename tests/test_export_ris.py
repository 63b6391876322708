"""RIS export: layout, hostile values, and a field-by-field read-back with rispy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rispy
from hypothesis import given
from hypothesis import strategies as st

from cytobib.exports import ExportOptions, NotesLevel, export, parse_facets
from cytobib.exports.ris import render_record
from cytobib.library import Project, open_project
from cytobib.model import Annotation, Entry, Record

DATA = Path(__file__).parent / "data" / "export"


@pytest.fixture(scope="module")
def proj() -> Project:
    return open_project(DATA, use_cache=False)


@pytest.fixture(scope="module")
def ris_text(proj: Project) -> str:
    return export(proj.library, "ris")


@pytest.fixture(scope="module")
def parsed(ris_text: str) -> dict[str, dict[str, object]]:
    records = rispy.loads(ris_text.replace("\r\n", "\n"), delimiter_tags_mapping={})
    return {str(r["id"]): r for r in records}


def test_every_line_is_a_tag_line_with_crlf(ris_text: str) -> None:
    """Every line is `TAG  - value` (or the blank line after ER), each ending in CRLF."""
    assert ris_text.endswith("\r\n")
    assert "\n" not in ris_text.replace("\r\n", "")
    assert "\r" not in ris_text.replace("\r\n", "")
    for line in ris_text.split("\r\n")[:-1]:
        assert line == "" or re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line), line


def test_records_start_with_ty_and_end_with_er(ris_text: str, proj: Project) -> None:
    """One TY and one `ER  - ` per record; a blank line separates records."""
    assert ris_text.count("TY  - ") == len(proj.library)
    assert ris_text.count("\r\nER  - \r\n\r\n") == len(proj.library)
    assert ris_text.startswith("TY  - ")


def test_hostile_abstract_cannot_end_the_record(parsed: dict[str, dict[str, object]]) -> None:
    """The abstract's "\\nER  - " and "\\nTY  - " stay inside the AB value."""
    assert len(parsed) == 5
    abstract = str(parsed["panek2021ifn"]["abstract"])
    assert "ER - this line tries to end a RIS record" in abstract
    assert "AU - Injected, Author" in abstract
    authors = parsed["panek2021ifn"]["authors"]
    assert "Injected, Author" not in authors  # type: ignore[operator]


def test_field_by_field(parsed: dict[str, dict[str, object]]) -> None:
    """rispy reads back the bibliographic fields of the hostile article."""
    r = parsed["panek2021ifn"]
    assert r["type_of_reference"] == "JOUR"
    assert r["authors"] == [
        "Pánek, Jiří",
        "François, Marie-Claire",
        "Müller, Hans-Jürgen",
        "van der Berg, Jan",
    ]
    assert r["title"] == (
        "IFN-λ and TNF-α signalling in melanoma: 100% of T cells & NK cells, a Kaposi story"
    )
    assert r["secondary_title"] == "Cytokine & Growth Factor Reviews"
    assert r["alternate_title1"] == "Cytokine Growth Factor Rev"
    assert r["journal_name"] == "Cytokine Growth Factor Rev"
    assert r["year"] == "2021"
    assert r["date"] == "2021/03//"
    assert (r["volume"], r["number"], r["start_page"], r["end_page"]) == ("57", "1", "1", "12")
    assert r["doi"] == "10.1016/j.cytogfr.2021.01_001"  # the LaTeX \_ undone
    assert r["issn"] == "1359-6101"
    # Zotero keeps M2 lines in Extra, and its BibTeX export writes them as key, pmid, pmcid.
    assert r["unknown_tag"]["M2"] == ["Citation Key: panek2021ifn", "PMID: 33500000"]  # type: ignore[index]
    assert "accession_number" not in r  # Zotero would file an AN as "Loc. in Archive"
    assert r["urls"] == ["https://example.org/a_b?x=1&y=50%25#frag"]


@pytest.mark.parametrize(
    ("key", "ty"),
    [
        ("panek2021ifn", "JOUR"),
        ("who2020guidelines", "RPRT"),
        ("Smith_2018-IL2.b", "CHAP"),
        ("francois2015phd", "THES"),
    ],
)
def test_type_mapping(parsed: dict[str, dict[str, object]], key: str, ty: str) -> None:
    """BibTeX types map to the RIS TY values Zotero and EndNote know."""
    assert parsed[key]["type_of_reference"] == ty


def test_organisation_author_is_one_unsplit_name(parsed: dict[str, dict[str, object]]) -> None:
    """An organisation is written without a comma, so Zotero keeps it as one name."""
    assert parsed["who2020guidelines"]["authors"] == ["World Health Organization"]
    assert parsed["who2020guidelines"]["issn"] == "WHO/IL2/2020.1"  # report number in SN


def test_chapter_editors_and_book(parsed: dict[str, dict[str, object]]) -> None:
    """Chapters carry editors in A2, the book in T2, suffixes after the given name."""
    r = parsed["Smith_2018-IL2.b"]
    assert r["secondary_authors"] == ["Rosenberg, Steven A.", "Müller, Anna"]
    assert r["secondary_title"] == "Cytokines in Cancer Therapy"
    assert "Smith, Robert, Jr." in r["authors"]  # type: ignore[operator]
    assert r["issn"] == "978-3-16-148410-0"  # SN holds the ISBN for books


def test_keywords_one_per_tag_with_facets(parsed: dict[str, dict[str, object]]) -> None:
    """Each tag is its own KW line, facet-prefixed and whole (Zotero keeps ``IL-2, high dose``
    one tag from a KW line); no KW value holds ';', which Zotero splits at."""
    keywords = parsed["panek2021ifn"]["keywords"]
    assert keywords == [
        "agent: interferon-lambda",
        "agent: aldesleukin",
        "cancer: melanoma",
        "evidence: preclinical-in-vivo",
        "evidence: clinical-trial",
        "status: read",
        "IL-2, high dose",
        "λ-tag",
        "Zotero tag",
        "another tag",
    ]
    for kw in keywords:  # type: ignore[attr-defined]
        assert ";" not in kw


def test_note_is_one_n1_of_html_on_one_line(parsed: dict[str, dict[str, object]]) -> None:
    """cytobib's note is one N1 of escaped HTML on one line: marker heading, labelled blocks,
    nested lists for a claim's fields, ``&#10;`` after each block (docs/exports.md)."""
    notes = parsed["panek2021ifn"]["notes"]
    assert isinstance(notes, list) and len(notes) == 1
    note = notes[0]
    assert note.startswith("<h2>cytobib: v1</h2>&#10;<p>Cite key: panek2021ifn</p>&#10;")
    assert "&lt;b&gt;HTML&lt;/b&gt; &amp;" in note  # the user's "<b>" is text, not markup
    assert "<h3>Claims:</h3>&#10;<ul><li>Claim 1: IFN-λ reduced" in note
    assert "<li>Numbers: n = 12</li>&#10;" in note
    assert "Claim 2: Response rates &lt;10% in humans" in note
    assert "\n" not in note


def test_retraction_is_a_tag_and_the_first_note(parsed: dict[str, dict[str, object]]) -> None:
    """A retracted work gets `status: retracted` and a RETRACTED note before the others."""
    r = parsed["retracted2019tnf"]
    assert "status: retracted" in r["keywords"]  # type: ignore[operator]
    notes = r["notes"]
    assert isinstance(notes, list)
    assert notes[0].startswith("<p>RETRACTED. Notice: doi:10.1000/")
    assert notes[1].startswith("<h2>cytobib: v1</h2>")


def test_summary_level_and_no_tags(proj: Project) -> None:
    """--notes summary writes one N1; --tags none writes no KW except the retraction's."""
    options = ExportOptions(notes=NotesLevel.SUMMARY, facets=parse_facets("none"))
    text = export(proj.library, "ris", options)
    records = {r["id"]: r for r in rispy.loads(text.replace("\r\n", "\n"))}
    assert len(records["panek2021ifn"]["notes"]) == 1
    assert "keywords" not in records["panek2021ifn"]
    assert records["retracted2019tnf"]["keywords"] == ["status: retracted"]


def _record(abstract: str, summary: str, title: str = "T") -> Record:
    entry = Entry(
        key="k1",
        type="article",
        fields={"title": title, "abstract": abstract, "year": "2020"},
        line=1,
    )
    return Record(entry, Annotation(key="k1", path="k1.yaml", summary=summary, tags=(summary,)))


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),
    max_size=200,
)


@given(abstract=TEXT, summary=TEXT)
def test_any_text_stays_inside_its_record(abstract: str, summary: str) -> None:
    """Whatever the abstract and notes hold, rispy reads exactly one record with our key."""
    text = render_record(_record(abstract, summary), ExportOptions())
    assert text.count("\r\n\r\n") == 1 and text.endswith("ER  - \r\n\r\n")
    # No other character a reader could take for a line break (\x85, \u2028, \x0b...).
    assert len(text.splitlines()) == text.count("\r\n")
    for line in text.split("\r\n")[:-2]:
        assert re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line), line
    records = rispy.loads(text.replace("\r\n", "\n"))
    assert len(records) == 1
    assert records[0]["id"] == "k1"
