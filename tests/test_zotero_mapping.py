"""An entry and a Zotero item in the same flat terms (cytobib.zotero.mapping): what cytobib
writes reads back equal, Extra keeps the user's lines, and going back to BibTeX gives values
the library's merge rule calls the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib import merge
from cytobib.library import open_project
from cytobib.model import Entry, Record
from cytobib.zotero import mapping, match

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "zotero-api"


@pytest.fixture(scope="module")
def shipped() -> list[Record]:
    return list(open_project(REPO).library)


def test_what_cytobib_writes_reads_back_equal(shipped: list[Record]) -> None:
    """For every shipped work: the item data push sends, read as Zotero returns it, is the
    same flat mapping (so a second push finds nothing to change)."""
    for record in shipped:
        flat = mapping.wanted(record)
        data = {"itemType": mapping.item_type(record.entry), **mapping.item_changes({}, flat)}
        assert mapping.present(data) == flat, record.key


def test_back_to_bibtex_is_the_same_by_the_merge_rule(shipped: list[Record]) -> None:
    """Zotero's values, turned back into BibTeX, equal the entry's fields by merge.same
    (so a pull of an unchanged item reports no conflict)."""
    for record in shipped:
        entry = record.entry
        kind = mapping.item_type(entry)
        fields = mapping.bibtex_fields(kind, mapping.wanted(record))
        if mapping.same_authors(entry, fields.get("author", "")):
            del fields["author"]
        plan = merge.plan(entry, fields, source="zotero")
        assert not plan.conflicts, (record.key, plan.conflicts)
        assert not plan.updates, (record.key, plan.updates)


def test_recorded_article_maps_to_bibtex() -> None:
    """papers-mcp-item.json (a live API answer, schema 41): creators, title, language."""
    data = json.loads((FIXTURES / "papers-mcp-item.json").read_text(encoding="utf-8"))["data"]
    fields = mapping.bibtex_fields(data["itemType"], mapping.present(data))
    assert fields["title"].startswith("Real-Time Rendering")
    assert fields["author"].startswith("Akenine-Moller, Tomas and Haines, Eric")
    assert fields["language"] == "en"
    assert mapping.entry_type(data) == "article"


def test_recorded_extra_pmid_is_read() -> None:
    """pyzotero-items_doc.json: item 3EWF3P9V has Extra 'PMID: 20664272' (doc §7)."""
    items = json.loads((FIXTURES / "pyzotero-items_doc.json").read_text(encoding="utf-8"))
    data = next(i["data"] for i in items if i["key"] == "3EWF3P9V")
    flat = mapping.present(data)
    assert flat["extra:PMID"] == "20664272"
    assert mapping.bibtex_fields(data["itemType"], flat)["pmid"] == "20664272"
    assert match.of_item(data).pmid == "20664272"


def test_compose_extra_keeps_the_users_lines() -> None:
    """cytobib's lines are set in place or appended; every other line stays, in order."""
    current = "Publisher: ACM\nPMID: 111\ntex.howpublished: online\nfree text line"
    out = mapping.compose_extra(current, {"Citation Key": "smith2020", "PMID": "222"})
    assert out == (
        "Publisher: ACM\nPMID: 222\ntex.howpublished: online\nfree text line\n"
        "Citation Key: smith2020"
    )
    assert mapping.compose_extra(out, {"PMID": None}).count("PMID") == 0


_LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30
).filter(lambda s: "\n" not in s and "\r" not in s and s.strip() == s)


@given(st.lists(_LINE, max_size=6), st.text(alphabet="0123456789", min_size=1, max_size=8))
def test_compose_extra_property(lines: list[str], pmid: str) -> None:
    """Any Extra: setting PMID leaves every other line as it was, in order, and leaves one
    PMID line with the value."""
    current = "\n".join(lines)
    out = mapping.compose_extra(current, {"PMID": pmid})

    def others(text: str) -> list[str]:
        return [ln for ln in text.split("\n") if "pmid" not in mapping.parse_extra(ln)]

    assert others(out) == others(current) if current else others(out) == []
    ours = [ln for ln in out.split("\n") if "pmid" in mapping.parse_extra(ln)]
    assert [mapping.parse_extra(ln)["pmid"] for ln in ours] == [pmid]


def test_corporate_and_suffixed_names_round_trip() -> None:
    """{Cytokine Society} stays one name; 'Smith, Jr., John' keeps its suffix."""
    entry = Entry(
        "x", "article", {"author": "{Cytokine Society} and Smith, Jr., John", "title": "T"}, 1
    )
    flat = mapping.wanted(Record(entry))
    creators = json.loads(flat["creators"])
    assert creators[0] == {"creatorType": "author", "name": "Cytokine Society"}
    assert creators[1]["lastName"] == "Smith, Jr."
    back = mapping.bibtex_fields("journalArticle", flat)["author"]
    assert merge.same("author", entry.fields["author"], back)


def test_types_without_a_doi_field_keep_the_doi_in_extra() -> None:
    """A book's DOI goes to an Extra 'DOI:' line (no DOI field for books in every schema)."""
    entry = Entry("b", "book", {"title": "B", "doi": "10.1000/XYZ", "year": "2001"}, 1)
    flat = mapping.wanted(Record(entry))
    assert "DOI" not in flat
    assert flat["extra:DOI"] == "10.1000/XYZ"
    assert mapping.bibtex_fields("book", flat)["doi"] == "10.1000/xyz"


@given(st.text(max_size=60))
def test_text_fast_path_is_escape_latex(text: str) -> None:
    """The quick escape of plain Zotero text gives exactly what the Crossref mapping's
    escape_latex gives (on the text with its whitespace collapsed)."""
    from cytobib.crossref.markup import escape_latex

    assert mapping._to_bibtex("text", text) == escape_latex(" ".join(text.split()))


def test_match_by_title_author_year_and_title_only_candidates(shipped: list[Record]) -> None:
    """An item without identifiers matches by normalised title + first author + year; one
    sharing only the title is a candidate, never a match."""
    record = next(r for r in shipped if r.key == "rosenberg2014il2")
    index = match.Index([("ITEM1", match.of_item({
        "itemType": "journalArticle",
        "title": "IL-2: the <i>first</i> effective immunotherapy for human cancer",
        "creators": [{"creatorType": "author", "firstName": "S. A.", "lastName": "Rosenberg"}],
        "date": "2014-06-15",
    }))])  # fmt: skip
    assert index.match(match.of_entry(record.entry)) == ("ITEM1", "title")
    other = match.Index([("ITEM2", match.of_item({
        "itemType": "journalArticle",
        "title": "IL-2: The first effective immunotherapy for human cancer",
        "creators": [{"creatorType": "author", "lastName": "Someone"}],
        "date": "2014",
    }))])  # fmt: skip
    fp = match.of_entry(record.entry)
    assert other.match(fp) is None
    assert other.candidates(fp) == ("ITEM2",)


def test_sync_and_import_match_alike() -> None:
    """The sync and ``cytobib import`` apply one rule: the same DOI is the same work even when
    the PMIDs differ (import reports the PMID as a conflict; before, the sync pushed a second
    item for it), and a PMID match is refused when the DOIs differ."""
    from cytobib.importer.incoming import Incoming
    from cytobib.importer.match import LibraryIndex

    entry = Entry("berg2020", "article", {"doi": "10.1000/X", "pmid": "1", "title": "T"}, 1)
    item = match.of_item({"itemType": "journalArticle", "title": "T", "DOI": "10.1000/x",
                          "extra": "PMID: 2"})  # fmt: skip
    assert match.Index([("ITEM1", item)]).match(match.of_entry(entry)) == ("ITEM1", "doi")
    work = Incoming("", "article", {"doi": "10.1000/x", "pmid": "2", "title": "T"})
    assert LibraryIndex.of([entry]).match(work) == ("berg2020", "doi")
    other = match.of_item({"itemType": "journalArticle", "title": "U", "DOI": "10.1000/y",
                           "extra": "PMID: 1"})  # fmt: skip
    assert match.Index([("ITEM2", other)]).match(match.of_entry(entry)) is None
    work = Incoming("", "article", {"doi": "10.1000/y", "pmid": "1", "title": "U"})
    assert LibraryIndex.of([entry]).match(work) is None
