"""cytobib's note for Zotero (cytobib.zotero_note): one writer, one reader, every spelling.

The reader must rebuild the annotation from the note as it arrives after each Zotero route:
the HTML kept byte for byte (RIS), its text one block a line (Zotero's BibTeX export), all on
one line (Zotero's BibTeX import collapses whitespace), or Extra lines (CSL-JSON). The Zotero
routes themselves are tested in test_zotero_roundtrip.py; here the layout is taken apart.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from cytobib import zotero_note
from cytobib.annotations import EVIDENCE_LEVELS, STATUSES, STUDY_TYPES, _build
from cytobib.model import SOURCES, Entry, Person, Record
from cytobib.vocabulary import build as vocabulary
from zotero_sim._items import _EXTRA_FIELD_NAMES, _normalise_extra_key

VOCABULARY = vocabulary()

# Text a value may hold: label-like words, HTML and LaTeX characters, line breaks, non-ASCII.
TRICKY = [
    "Summary:", "Evidence:", "Claim 2:", "Quote page:", "cytobib: v1", "Role:", "Keyword 1:",
    "<b>", "&amp;", "a & b", "p<0.05", "{x}", "\\", "%", "$", "~", "--", "''", "TEL", "!!",
    "IL-2", "IFN-λ", "µg", "≥", "n=32; 5 responses", ":", "x: y", "\u2060", "Pubmed id:",
]  # fmt: skip
WORD = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=8),
)


def _text(min_size: int = 1) -> st.SearchStrategy[str]:
    words = st.lists(WORD, min_size=min_size, max_size=6)
    return words.map(" ".join).filter(lambda t: t.strip() != "")


@st.composite
def annotation_data(draw: st.DrawFn) -> dict[str, Any]:
    """An annotation file's fields, every one of them, with hostile text."""
    opt = draw

    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return opt(st.one_of(st.none(), strategy))

    claim = st.fixed_dictionaries(
        {"text": _text()},
        optional={
            "evidence": st.sampled_from(EVIDENCE_LEVELS),
            "page": _text(),
            "quote": _text(),
            "numbers": _text(),
            "source": st.sampled_from(SOURCES),
        },
    )
    agent = st.fixed_dictionaries(
        {"name": _text()}, optional={"role": _text(), "dose": _text(), "route": _text()}
    )
    caveat = st.one_of(
        _text(), st.fixed_dictionaries({"text": _text(), "source": st.sampled_from(SOURCES)})
    )
    check = st.fixed_dictionaries(
        {"source": _text()},
        optional={
            "url": st.just("https://example.org/x"),
            "date": st.just("2026-11-22"),
            "fields": st.lists(st.sampled_from(["title", "pmid", "doi"]), min_size=1),
            "note": _text(),
        },
    )
    data: dict[str, Any] = {}
    for name, strategy in (
        ("summary", st.lists(_text(), min_size=1, max_size=3).map("\n\n".join)),
        ("study_type", st.sampled_from(STUDY_TYPES)),
        ("status", st.sampled_from(STATUSES)),
        ("priority", st.integers(1, 5)),
        ("agents", st.lists(agent, min_size=1, max_size=3)),
        ("targets", st.lists(_text(), min_size=1, max_size=3)),
        ("cancers", st.lists(_text(), min_size=1, max_size=3)),
        ("claims", st.lists(claim, min_size=1, max_size=3)),
        ("caveats", st.lists(caveat, min_size=1, max_size=3)),
        ("unconfirmed", st.lists(_text(), min_size=1, max_size=2)),
        ("tags", st.lists(_text(), min_size=1, max_size=3)),
        ("related", st.lists(_text(), min_size=1, max_size=2)),
        ("verified", st.lists(check, min_size=1, max_size=2)),
    ):
        value = maybe(strategy)
        if value is not None:
            data[name] = value
    return data


def _record(data: dict[str, Any], **fields: str) -> Record:
    annotation = _build(data, "k1", "k1.yaml", VOCABULARY, {}, [])
    return Record(Entry("k1", "article", fields, 1), annotation)


def _one_line(value: Any) -> Any:
    """What the note keeps of a value: its words, one space apart (paragraphs of a summary)."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    if isinstance(value, dict):
        return {k: _one_line(v) for k, v in value.items()}
    return value


def _expected(data: dict[str, Any]) -> dict[str, Any]:
    out = _one_line(data)
    if "summary" in data:
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", data["summary"])]
        out["summary"] = "\n\n".join(p for p in paragraphs if p)
    for claim in out.get("claims", ()):
        for name in ("page", "numbers"):
            if name in claim:
                claim[name] = str(claim[name])
    return out


def _spellings(record: Record) -> dict[str, str]:
    """The note as each route delivers its text to the reader."""
    blocks = zotero_note.blocks(record, keywords=["a, b", "IL-2"], entry_note="own: note")
    lines = zotero_note.to_lines(blocks)
    return {
        "lines": lines,
        "html": zotero_note.html_text(zotero_note.to_html(blocks)),
        "one line": " ".join(lines.split()),
        "extra": "PMID: 1\nErratum in: x\n" + lines,
    }


@given(data=annotation_data())
def test_every_spelling_reads_back_to_the_annotation(data: dict[str, Any]) -> None:
    """Whatever the annotation holds, the reader rebuilds it from the HTML, the lines, the
    one-line text and Extra alike: the same fields, values with their words one space apart."""
    record = _record(data)
    want = _expected(data)
    for route, text in _spellings(record).items():
        note = zotero_note.read(text)
        assert note is not None, route
        assert dict(note.annotation or {}) == want, route
        assert note.key == "k1" and note.keywords == ("a, b", "IL-2"), route
        assert note.entry_note == "own: note" and note.problems == (), route


@given(data=annotation_data())
def test_the_rebuilt_annotation_is_a_valid_file(data: dict[str, Any]) -> None:
    """What the reader builds passes the annotation schema and loads to the same annotation."""
    note = zotero_note.read(zotero_note.to_lines(zotero_note.blocks(_record(data))))
    assert note is not None
    rebuilt = dict(note.annotation or {})
    text = yaml.safe_dump(rebuilt, allow_unicode=True, sort_keys=False)
    issues: list[Any] = []
    again = _build(yaml.safe_load(text), "k1", "k1.yaml", VOCABULARY, {}, issues)
    assert [i for i in issues if i.code == "annotation-schema"] == []
    assert zotero_note.read(zotero_note.to_lines(zotero_note.blocks(_record(rebuilt)))) == note
    assert again.claims == _record(rebuilt).annotation.claims  # type: ignore[union-attr]


def test_html_is_one_line_with_headings_lists_and_block_breaks() -> None:
    """One physical line: marker heading, paragraphs, a section's list with a claim's fields
    nested under it, ``&#10;`` after each block's text (NOTE-layout.md)."""
    data = {"summary": "S", "claims": [{"text": "C", "evidence": "review"}], "tags": ["t"]}
    html = zotero_note.to_html(zotero_note.blocks(_record(data)))
    assert "\n" not in html
    assert html == (
        "<h2>cytobib: v1</h2>&#10;<p>Cite key: k1</p>&#10;<p>Summary: S</p>&#10;"
        "<h3>Claims:</h3>&#10;<ul><li>Claim 1: C&#10;<ul><li>Evidence: review</li>&#10;"
        "</ul></li></ul><h3>Tags:</h3>&#10;<ul><li>Tag 1: t</li>&#10;</ul>"
    )


def test_entry_blocks_carry_what_zotero_drops() -> None:
    """PMID, PMCID, ``and others`` and the fields a Zotero route drops come back from the note."""
    entry = Entry(
        "k1",
        "article",
        {"pmid": "123", "pmcid": "PMC9", "publisher": "T \\& F", "shortjournal": "J Imm"},
        1,
    )
    object.__setattr__(entry, "authors", (Person("Berg", "Anna"), Person("others")))
    note = zotero_note.read(zotero_note.to_lines(zotero_note.blocks(Record(entry))))
    assert note is not None and note.annotation is None
    assert (note.pmid, note.pmcid, note.authors_truncated) == ("123", "PMC9", True)
    assert note.fields == {"publisher": "T & F", "shortjournal": "J Imm"}


def test_fields_checked_survive_the_frozen_model() -> None:
    """A loaded annotation holds ``verified[].fields`` as a tuple (the model is frozen all
    the way down); the note still writes "Fields checked" and reads it back."""
    check = {"source": "PubMed", "fields": ["title", "doi"], "date": "2026-11-22"}
    record = _record({"verified": [check]})
    assert record.annotation is not None
    assert isinstance(record.annotation.verified[0]["fields"], tuple)
    lines = zotero_note.to_lines(zotero_note.blocks(record))
    assert "Fields checked: title, doi" in lines
    note = zotero_note.read(lines)
    assert note is not None and note.annotation == {"verified": [check]}


def test_text_after_the_note_is_not_part_of_it() -> None:
    """A line without a label after cytobib's lines (added to Extra in Zotero) ends the note."""
    found = zotero_note.find("PMID: 1\ncytobib: v1\nCite key: k\nSummary: s\nMy own line: x")
    assert found.before == "PMID: 1\n"
    assert found.note is not None and found.note.annotation == {"summary": "s"}
    assert found.after == "My own line: x"


def test_invalid_values_are_reported_not_kept() -> None:
    """A value a user changed in Zotero to one the schema refuses is named, and left out."""
    note = zotero_note.read(
        "cytobib: v1 Cite key: k Reading status: done Priority: 9 Claims: Claim 1: c "
        "Evidence: 2b Origin: elsewhere"
    )
    assert note is not None
    assert note.annotation == {"claims": [{"text": "c"}]}
    assert len(note.problems) == 4


LABELISH = st.lists(
    st.sampled_from(
        [
            "Summary:",
            "Claim 1:",
            "Claim 12:",
            "Quote page:",
            "page:",
            "x",
            "Cite key:",
            "a:b",
            "cytobib:",
            "Big",
            "Big cytobib",
            "Foo quote",
            "Reading status:",
            "summary:",
            ":",
            "Claim 1 evidence:",
            "Unconfirmed 2:",
            "Unconfirmed:",
            "\n",
            " ",
            "\t",
            "λ:",
        ]
    ),
    max_size=14,
).map(" ".join)


@given(text=LABELISH)
def test_the_fast_label_finder_finds_what_the_label_pattern_finds(text: str) -> None:
    """The reader finds labels from one pass of candidates; that is exactly ``LABEL``."""
    want = [(m.group("label"), m.start(), m.end()) for m in zotero_note.LABEL.finditer(text)]
    assert zotero_note._labels(text) == want


def test_no_label_is_a_zotero_field_or_csl_variable() -> None:
    """Where the note sits in Extra (CSL-JSON route), Zotero desktop moves lines named like a
    field into it and Zotero's CSL export renames them; no label may be such a name."""
    labels = {*zotero_note.FIELDS, *zotero_note.SECTIONS, zotero_note.MARKER}
    labels |= {s for subs in zotero_note.SUBS.values() for s in subs}
    labels |= {f"{item} 1" for item in zotero_note.SECTIONS.values()}
    clashes = sorted(lab for lab in labels if _normalise_extra_key(lab) in _EXTRA_FIELD_NAMES)
    assert clashes == []
