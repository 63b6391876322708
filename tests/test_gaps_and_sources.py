"""Where a claim or caveat comes from (``source: seed|abstract|reader``) and what is not known
about a work (missing required fields, the annotation's ``unconfirmed`` list) reach the reader:
loaded from YAML, kept by the cache, shown in reading lists and review tables."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from cytobib import annotations as ann
from cytobib import caching, rendering, store, views
from cytobib.formats import registry
from cytobib.model import Caveat, Claim, Entry, Record
from cytobib.views import Group, ReadingList, _cells
from cytobib.vocabulary import Vocabulary, build
from viewkit import annotation, context, entry, items

SOURCED = """\
summary: A small trial.
claims:
  - text: Low-dose IL-2 expanded Tregs.
    evidence: clinical-trial
    source: abstract
  - text: The effect may not last.
    evidence: expert-opinion
    source: reader
caveats:
  - Only the abstract was read.
  - text: The trial was small.
    source: reader
  - text: The seed cites it for autoimmunity.
    source: seed
unconfirmed: [volume, DOI]
"""


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return build()


def load(tmp_path: Path, vocabulary: Vocabulary, text: str) -> ann.Annotation:
    path = tmp_path / "k.yaml"
    path.write_text(text, encoding="utf-8")
    annotation_, issues = ann.load_one(path, "k", vocabulary, shown="annotations/k.yaml")
    assert issues == []
    assert annotation_ is not None
    return annotation_


def test_caveats_may_be_text_or_text_with_source(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """Plain caveats keep loading; ``{text, source}`` caveats keep their source."""
    a = load(tmp_path, vocabulary, SOURCED)
    assert list(a.caveats) == [
        "Only the abstract was read.",
        "The trial was small.",
        "The seed cites it for autoimmunity.",
    ]
    assert [getattr(c, "source", None) for c in a.caveats] == [None, "reader", "seed"]
    assert [c.source for c in a.claims] == ["abstract", "reader"]
    assert a.unconfirmed == ("volume", "DOI")


def test_an_unknown_source_is_a_schema_error(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A source outside seed|abstract|reader is reported with its line, and not kept."""
    path = tmp_path / "k.yaml"
    path.write_text("caveats:\n  - text: Small.\n    source: rumour\n", encoding="utf-8")
    annotation_, issues = ann.load_one(path, "k", vocabulary, shown="annotations/k.yaml")
    assert [i.code for i in issues] == ["annotation-schema"]
    assert issues[0].location is not None and issues[0].location.line == 2
    assert annotation_ is not None and annotation_.caveats[0].source is None  # type: ignore[attr-defined]


def test_a_caveat_is_text_with_an_immutable_source() -> None:
    """A Caveat is its text for every str use, compares by text and source, and pickles."""
    c = Caveat("Small trial.", "reader")
    assert c == "Small trial." and c.upper() == "SMALL TRIAL."
    assert c != Caveat("Small trial.", "seed")
    assert pickle.loads(pickle.dumps(c)).source == "reader"
    with pytest.raises(AttributeError):
        c.source = "seed"  # type: ignore[misc]


def test_sources_survive_the_annotation_cache(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A second load from the cache gives the same sources and unconfirmed facts."""
    folder = tmp_path / "annotations"
    folder.mkdir()
    (folder / "k.yaml").write_text(SOURCED, encoding="utf-8")
    e = Entry("k", "article", {"title": "T"}, 1)
    loads = []
    for _ in range(2):
        with store.Store(tmp_path / "cache" / "store.sqlite3") as kept:
            around = caching.around_annotations(kept, vocabulary)
            loads.append(ann.load_all(folder, [e], vocabulary, around=around).annotations["k"])
    assert loads[0] == loads[1]
    for a in loads:
        assert [getattr(c, "source", None) for c in a.caveats] == [None, "reader", "seed"]
        assert a.claims[1].source == "reader" and a.unconfirmed == ("volume", "DOI")


def gappy_record() -> Record:
    """An article without author and year, with unconfirmed facts and sourced notes."""
    e = entry("gap0000", "A work with gaps", author="", year="", doi="10.5555/gap")
    a = annotation(
        "gap0000",
        summary="S.",
        claims=[Claim("Judged small.", evidence="expert-opinion", source="reader")],
        caveats=[Caveat("Not randomised.", "reader"), "Only the abstract was read."],
    )
    return Record(e, replace(a, unconfirmed=("volume", "Author", "DOI")))


def test_gaps_are_missing_required_fields_then_unconfirmed_facts() -> None:
    """Missing required fields come first, then the annotation's list, each named once."""
    assert views.gaps_text(gappy_record()) == "Not confirmed: author, year, volume, DOI"
    complete = Record(entry("full2020", "Complete"), None)
    assert views.gaps_text(complete) == ""


@pytest.mark.parametrize("fmt", ["md", "html", "txt", "tex"])
def test_reading_list_shows_gaps_and_sources(fmt: str) -> None:
    """Every text format shows the gaps with the work and labels the reader's judgements."""
    (item,) = items([gappy_record()])
    view = ReadingList(
        title="R",
        style="vancouver",
        groups=(Group("", "all", (item,)),),
        sections=views.DEFAULT_SECTIONS,
        items=(item,),
        generated="2024-01-02",
    )
    out = rendering.render(view, registry.get(fmt), context())
    assert isinstance(out, str)
    assert "Not confirmed: author, year, volume, DOI" in out
    assert out.count("reader") >= 2  # one claim and one caveat, "reader's judgement"
    assert "Only the abstract was read." in out


def test_review_table_cells_show_gaps_and_sources() -> None:
    """The citation cell names the gaps; claims and caveats carry their source label."""
    record = gappy_record()
    cells = _cells(record, 3, ("citation", "claims", "caveats"), build())
    assert cells["citation"].endswith("(not confirmed: author, year, volume, DOI)")
    assert cells["claims"] == ("Judged small. (reader's judgement)",)
    assert cells["caveats"] == (
        "Not randomised. (reader's judgement)",
        "Only the abstract was read.",
    )


def test_docx_reading_list_shows_gaps() -> None:
    """The DOCX reading list shows the gaps with the work, as the text formats do."""
    import io

    docx = pytest.importorskip("docx")
    (item,) = items([gappy_record()])
    view = ReadingList(
        title="R",
        style="vancouver",
        groups=(Group("", "all", (item,)),),
        sections=views.DEFAULT_SECTIONS,
        items=(item,),
        generated="2024-01-02",
    )
    out = rendering.render(view, registry.get("docx"), context())
    assert isinstance(out, bytes)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(out)).paragraphs)
    assert "Not confirmed: author, year, volume, DOI" in text
