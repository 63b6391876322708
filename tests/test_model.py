"""Entry accessors that views and exports rely on."""

from __future__ import annotations

import pytest

from cytobib import latex
from cytobib.csl import to_csl
from cytobib.model import AgentUse, Annotation, Claim, Entry, Record
from cytobib.views import short_citation


def test_doi_drops_latex_escapes_and_resolver_prefix() -> None:
    """A DOI written as BibTeX (`\\_`, braces, resolver URL) is the bare, lower-cased DOI."""
    entry = Entry("k", "article", {"doi": r"https://doi.org/10.1016/J.X.2010.01\_{001}"}, 1)
    assert entry.doi == "10.1016/j.x.2010.01_001"


def test_csl_url_keeps_tilde() -> None:
    """A URL keeps its `~` (to_text would make it a space) and loses its escapes."""
    entry = Entry("k", "misc", {"title": "T", "url": r"https://who.int/x/who\_il2~2020\%20g"}, 1)
    assert to_csl(Record(entry))["URL"] == "https://who.int/x/who_il2~2020%20g"


def test_textsuperscript_decodes_to_superscript() -> None:
    """`CD4\\textsuperscript{+}` reads as CD4⁺, not CD4+."""
    assert latex.to_text(r"CD4\textsuperscript{+}") == "CD4⁺"


@pytest.mark.parametrize(
    "author", ["Aaronson, N. K. and de Haes, J. C. and al, et", "Aaronson, N. K. and et al."]
)
def test_an_et_al_author_is_and_others(author: str) -> None:
    """A Zotero export in ../shared/data writes "and al, et"; APA printed "& al, et."."""
    entry = Entry("k", "article", {"author": author, "title": "T", "year": "1993"}, line=1)
    assert entry.authors[-1].family == "others"
    families = [n["family"] for n in to_csl(Record(entry))["author"]]
    assert "al" not in families and "et al." not in families
    assert short_citation(Record(entry)) == "Aaronson et al. 1993"


def test_a_sole_author_named_like_et_al_stays() -> None:
    assert Entry("k", "article", {"author": "al, et"}, line=1).authors[0].family == "al"


def test_agent_describe_writes_the_details_it_has() -> None:
    """One way to write an agent: "name (role; dose; route)"; blank details are left out."""
    use = AgentUse("IL-2", "aldesleukin", role="primary", dose=" 720000 IU/kg ", route="  ")
    assert use.describe() == "IL-2 (primary; 720000 IU/kg)"
    assert use.describe("Aldesleukin") == "Aldesleukin (primary; 720000 IU/kg)"
    assert AgentUse("IL-2", None).describe() == "IL-2"


def test_agent_export_form_reads_back_on_import() -> None:
    """What exports write for an agent (cytobib's note), `cytobib import` reads back into the
    same details."""
    from cytobib import zotero_note

    use = AgentUse("x", "aldesleukin", role="primary", dose="720000 IU/kg", route="iv")
    record = Record(
        Entry("k", "article", {"title": "T"}, line=1), Annotation("k", "k.yaml", agents=(use,))
    )
    note = zotero_note.read(zotero_note.to_lines(zotero_note.blocks(record)))
    assert note is not None and note.annotation is not None
    assert list(note.annotation["agents"]) == [
        {"name": "x", "role": "primary", "dose": "720000 IU/kg", "route": "iv"}
    ]


def test_entry_fields_cannot_be_changed_in_place() -> None:
    """Entry.fields is read-only, so title and digest, computed once, cannot go stale; the
    dict passed in is copied, so changing it later changes nothing either."""
    given = {"title": "Old"}
    entry = Entry("k", "article", given, line=1)
    assert entry.title == "Old"
    with pytest.raises(TypeError):
        entry.fields["title"] = "New"  # type: ignore[index]
    given["title"] = "New"
    assert entry.fields["title"] == "Old"
    assert entry.title == "Old"


def test_entries_hash_and_equal_entries_hash_equal() -> None:
    """hash(entry) works, agrees with ==, and ignores the order fields were written in."""
    a = Entry("k", "article", {"title": "T", "year": "2020"}, line=1, raw="@article{k,...}")
    b = Entry("k", "article", {"year": "2020", "title": "T"}, line=1, raw="other text")
    c = Entry("k", "article", {"title": "T", "year": "2021"}, line=1)
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2


def test_annotation_is_read_only_all_the_way_down() -> None:
    """Lists become tuples and nested x- data and verified records become read-only."""
    extra = {"x-trial": {"arms": ["a", "b"]}}
    ann = Annotation(
        "k",
        "annotations/k.yaml",
        tags=["a"],  # type: ignore[arg-type]
        verified=({"source": "crossref", "fields": ["title"]},),
        extra=extra,
    )
    assert ann.tags == ("a",)
    with pytest.raises(TypeError):
        ann.extra["x-new"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        ann.extra["x-trial"]["arms"] = []  # type: ignore[index]
    with pytest.raises(TypeError):
        ann.verified[0]["source"] = "me"  # type: ignore[index]
    assert ann.extra["x-trial"]["arms"] == ("a", "b")  # type: ignore[index]
    extra["x-trial"]["arms"].append("c")
    assert ann.extra["x-trial"]["arms"] == ("a", "b")  # type: ignore[index]


def test_annotations_hash_and_equal_annotations_hash_equal() -> None:
    """hash(annotation) works and agrees with ==, nested data included."""

    def make(**kw: object) -> Annotation:
        return Annotation("k", "p", claims=(Claim("c", "review"),), extra={"x-a": [1]}, **kw)  # type: ignore[arg-type]

    assert make() == make(source="another digest")
    assert hash(make()) == hash(make(source="another digest"))
    assert len({make(), make(), make(summary="s")}) == 2
