"""`cytobib import`: Zotero's BibTeX and RIS, cytobib's own exports, merge policy, stubs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import cytobib.cli.export_cmds  # noqa: F401 - registers export/import on the app
from cytobib import bibfile, merge
from cytobib.errors import UnknownFormatError
from cytobib.exports import export
from cytobib.importer import (
    apply_import,
    make_key,
    plan_import,
    read_source,
)
from cytobib.library import Project, open_project
from cytobib.model import Entry

DATA = Path(__file__).parent / "data" / "export"
ZOTERO_BIB = DATA / "zotero-export.bib"
ZOTERO_RIS = DATA / "zotero-export.ris"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A writable copy of the hostile test library."""
    target = tmp_path / "lib"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("library_*", "zotero-*"))
    return target


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    target = tmp_path / "empty"
    (target / "annotations").mkdir(parents=True)
    (target / "cytobib.toml").write_text('[library]\nbib = "library.bib"\n')
    (target / "library.bib").write_text("% an empty library\n")
    return target


def load(root: Path) -> Project:
    return open_project(root, use_cache=False)


def entries(root: Path) -> dict[str, Entry]:
    parsed = bibfile.parse(bibfile.read_text(root / "library.bib"))
    return {e.key: e for e in parsed.entries}


# --- Zotero BibTeX --------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_shows_a_diff(
    root: Path, snapshot: Callable[[Path], dict[str, str]]
) -> None:
    """plan_import only plans; its diff shows the new entry and the new annotation file."""
    before = snapshot(root)
    plan = plan_import(load(root), ZOTERO_BIB)
    diff = plan.diff(root)
    assert snapshot(root) == before
    assert "--- a/library.bib\n+++ b/library.bib\n" in diff
    assert "+@article{smith_il-2_2021," in diff
    assert "+++ b/annotations/smith_il-2_2021.yaml" in diff


def test_zotero_bibtex_import(root: Path) -> None:
    """New works are added, known ones filled, conflicts reported, notes become a stub."""
    old_text = (root / "library.bib").read_text("utf-8")
    plan = plan_import(load(root), ZOTERO_BIB)
    assert [n.key for n in plan.added] == ["smith_il-2_2021", "cytokine2019cytokines"]
    apply_import(load(root), plan)
    new = entries(root)

    added = new["smith_il-2_2021"]
    assert added.get("pmid") == "34000001"  # Zotero's Extra (in `note`) read into fields
    assert added.get("pmcid") == "PMC8000001"
    assert "note" not in added.fields
    assert (
        added.get("file")
        == "Full Text:/home/user/Zotero/storage/ABCD1234/smith.pdf:application/pdf"
    )
    assert "annote" not in added.fields
    # Zotero's tags are the entry's keywords, one per tag, as Zotero has them.
    assert (
        added.get("keywords") == "agent: aldesleukin, cancer: melanoma, Immunotherapy, status: read"
    )
    assert added.get("title") == "A new {IL}-2 variant that spares regulatory {T} cells"

    # Existing key: empty fields filled (issn), a differing title reported, not applied.
    assert new["retracted2019tnf"].get("issn") == "1234-5678"
    assert new["retracted2019tnf"].text("title") == "TNF-α blockade cures all solid tumours"
    assert {(c.key, c.field) for c in plan.conflicts} == {
        ("retracted2019tnf", "title"),
        ("panek2021ifn", "title"),  # Zotero's item has a shortened title
    }

    # Matched by DOI under another key: filled, key unchanged.
    assert plan.matched == {"zotero-item-39": ("panek2021ifn", "doi")}
    assert new["panek2021ifn"].get("language") == "en"

    # A key that cannot name a file gets one from the key scheme.
    assert "cytokine2019cytokines" in new
    assert any(i.code == "import-renamed" for i in plan.issues)

    # Untouched entries are byte-for-byte what they were.
    for key in ("who2020guidelines", "Smith_2018-IL2.b", "francois2015phd"):
        assert new[key].raw in old_text


def test_notes_become_an_annotation_and_tags_keywords(root: Path) -> None:
    """Zotero's notes (not cytobib's) become the summary of annotations/<key>.yaml, one
    paragraph each; its tags stay the entry's keywords and nothing is invented (no status)."""
    apply_import(load(root), plan_import(load(root), ZOTERO_BIB))
    text = (root / "annotations" / "smith_il-2_2021.yaml").read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    data = yaml.safe_load(text)
    assert data == {
        "summary": (
            "The variant binds CD122 and spares Tregs.\n\n"
            "Second note, first line second line of the same note"
        )
    }
    assert not (root / "annotations" / "cytokine2019cytokines.yaml").exists()  # tags only
    project = load(root)
    record = project.library.get("smith_il-2_2021")
    assert record is not None and record.annotation is not None
    assert not [i for i in project.library.issues if i.key == "smith_il-2_2021" and i.severity >= 2]


def test_existing_annotation_is_never_changed(root: Path) -> None:
    """Notes for a key with an annotation are listed as not applied; the file is unchanged."""
    path = root / "annotations" / "retracted2019tnf.yaml"
    before = path.read_bytes()
    plan = plan_import(load(root), ZOTERO_BIB)
    assert "retracted2019tnf" in plan.notes_not_applied
    apply_import(load(root), plan)
    assert path.read_bytes() == before


def test_accept_and_overwrite(root: Path) -> None:
    """--accept FIELD takes that imported value; --overwrite takes them all."""
    plan = plan_import(load(root), ZOTERO_BIB, accept=["title"])
    assert plan.conflicts == ()
    apply_import(load(root), plan)
    assert entries(root)["retracted2019tnf"].get("title") == (
        "{TNF}-alpha blockade cures some solid tumours"
    )


def test_dismissed_conflicts_stay_quiet(root: Path) -> None:
    """A conflict dismissed in provenance.json is not reported again."""
    project = load(root)
    conflicts = plan_import(project, ZOTERO_BIB).conflicts
    assert conflicts
    provenance = merge.Provenance.load(root)
    provenance.dismiss(conflicts)
    provenance.save()
    assert plan_import(load(root), ZOTERO_BIB).conflicts == ()


def test_provenance_records_imported_fields(root: Path) -> None:
    """Fields written by the import are recorded with their source."""
    apply_import(load(root), plan_import(load(root), ZOTERO_BIB))
    provenance = merge.Provenance.load(root)
    assert provenance.source_of("retracted2019tnf", "issn") == "import:zotero-export.bib"
    assert provenance.source_of("retracted2019tnf", "title") == "user"


def test_library_changed_on_disk_keeps_the_edit(root: Path) -> None:
    """If library.bib changes between plan and apply, the import is applied to the new text:
    the edit made meanwhile stays and nothing is lost (issue 12)."""
    plan = plan_import(load(root), ZOTERO_BIB)
    bib = root / "library.bib"
    bib.write_text(bib.read_text("utf-8") + "\n% edited meanwhile\n", encoding="utf-8")
    apply_import(load(root), plan)
    text = bib.read_text("utf-8")
    assert "% edited meanwhile" in text
    assert all(f"{{{n.key}," in text for n in plan.added)


# --- RIS ----------------------------------------------------------------------------------


def test_zotero_ris_import(root: Path) -> None:
    """RIS works are added with generated keys; a work without DOI or PMID matches by title,
    first author and year; tags are keywords, notes the summary."""
    plan = plan_import(load(root), ZOTERO_RIS)
    assert plan.format == "ris"
    assert [n.key for n in plan.added] == ["nguyen2022lowdose"]
    assert list(plan.matched.values()) == [("who2020guidelines", "title")]
    apply_import(load(root), plan)
    added = entries(root)["nguyen2022lowdose"]
    assert added.get("author") == "Nguyen, Thi and Okafor, Chidi"
    assert added.get("title") == "Low-dose {IL-2} in lupus and melanoma"
    got = {n: added.get(n) for n in ("journal", "year", "month", "volume", "number", "pages")}
    assert got == {
        "journal": "Lancet",
        "year": "2022",
        "month": "may",
        "volume": "399",
        "number": "10",
        "pages": "1001--1010",
    }
    assert (added.get("pmid"), added.get("issn")) == ("35000001", "0140-6736")
    assert added.get("keywords") == "agent: low-dose IL-2, cancer: melanoma, Tregs"
    data = yaml.safe_load((root / "annotations" / "nguyen2022lowdose.yaml").read_text("utf-8"))
    assert data == {
        "summary": "Plain Zotero note with bold text.\n\nA plain-text note from EndNote"
    }


def test_format_detection_and_errors(tmp_path: Path) -> None:
    """The format comes from the suffix or the content; an unknown one is a usage error."""
    copy = tmp_path / "export.txt"
    copy.write_bytes(ZOTERO_RIS.read_bytes())
    assert read_source(copy)[0] == "ris"
    other = tmp_path / "notes.txt"
    other.write_text("just some text\n")
    with pytest.raises(UnknownFormatError):
        read_source(other)
    with pytest.raises(UnknownFormatError, match="endnote"):
        read_source(ZOTERO_RIS, "endnote")


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "suffix"), [("bibtex", ".bib"), ("biblatex", ".bib"), ("ris", ".ris")]
)
def test_own_export_back_into_the_same_library_changes_nothing(
    root: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    """Importing cytobib's export into the library it came from is a no-op."""
    out = tmp_path / f"export{suffix}"
    out.write_bytes(export(load(root).library, fmt).encode("utf-8"))
    plan = plan_import(load(root), out)
    assert plan.added == ()
    assert plan.updated == ()
    assert plan.conflicts == ()
    assert not plan.changes_bib
    assert plan.stubs == ()


def _annotation_view(project: Project, key: str) -> dict[str, Any]:
    record = project.library.get(key)
    assert record is not None and record.annotation is not None
    a = record.annotation
    return {
        "summary": " ".join(a.summary.split()),
        "status": a.status,
        "agents": [(x.id, x.role, x.dose and x.dose.replace("μ", "µ")) for x in a.agents],
        "cancers": list(a.cancers),
        "claims": [
            (c.text, c.evidence, c.page, c.quote and " ".join(c.quote.split()), c.numbers)
            for c in a.claims
        ],
        "caveats": [" ".join(c.split()) for c in a.caveats],
    }


@pytest.mark.parametrize(
    ("fmt", "suffix"), [("bibtex", ".bib"), ("biblatex", ".bib"), ("ris", ".ris")]
)
def test_own_export_into_an_empty_library(
    empty: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    """An export read into an empty library gives the same keys, fields and annotations."""
    source = load(DATA)
    out = tmp_path / f"export{suffix}"
    out.write_bytes(export(source.library, fmt).encode("utf-8"))
    apply_import(load(empty), plan_import(load(empty), out))
    target = load(empty)
    assert [r.key for r in target.library] == [r.key for r in source.library]
    for record in source.library:
        theirs = target.library.get(record.key)
        assert theirs is not None
        for name in ("title", "journal", "year", "volume", "pages", "doi", "publisher"):
            ours_value = record.entry.get(name)
            if ours_value:
                assert merge.same(name, ours_value, theirs.entry.get(name)), (record.key, name)
        assert [p.last for p in theirs.entry.authors if p.family != "others"] == [
            p.last for p in record.entry.authors if p.family != "others"
        ]
        if record.annotation is not None:
            assert _annotation_view(target, record.key) == _annotation_view(source, record.key)
    assert not [i for i in target.library.issues if i.severity >= 3 and i.code != "retracted"]


# --- notes parsing --------------------------------------------------------------------------


def test_make_key_follows_the_library_scheme() -> None:
    """Family name folded to ASCII, year, first significant title word."""
    fields = {"author": "de la Torre, Ana", "year": "2019", "title": "The {IL-2} story"}
    assert make_key(fields) == "delatorre2019il2"
    assert make_key({"title": "On λ"}) == "anon0000"


# --- CLI --------------------------------------------------------------------------------------


def test_cli_import_dry_run(root: Path, cli: Callable[..., Any]) -> None:
    """`cytobib import --dry-run` prints the diff on stdout, the report on stderr."""
    result = cli("import", ZOTERO_BIB, "--dry-run", "-C", root)
    assert result.code == 0
    assert result.out.startswith("--- a/library.bib")
    assert "added 2: smith_il-2_2021, cytokine2019cytokines" in result.err
    assert "retracted2019tnf.title: library" in result.err
    assert "dry run: nothing was written" in result.err
    assert "smith_il-2_2021" not in (root / "library.bib").read_text("utf-8")


def test_cli_import_applies(root: Path, cli: Callable[..., Any]) -> None:
    """`cytobib import` writes and reports what it did."""
    result = cli("import", ZOTERO_BIB, "-C", root, "--accept", "title,issn")
    assert result.code == 0, result.err
    assert "filled retracted2019tnf: " in result.out
    assert entries(root)["retracted2019tnf"].get("issn") == "1234-5678"
    assert "annotations: smith_il-2_2021" in result.out
    assert "smith_il-2_2021" in entries(root)


def test_cli_import_missing_file(root: Path, cli: Callable[..., Any]) -> None:
    """A missing file is an input error (exit 3) with a message."""
    result = cli("import", root / "nope.bib", "-C", root)
    assert result.code == 3
    assert "does not exist" in result.err
    assert "cytobib init" not in result.err  # the library is there; the import file is not
    assert "nothing to import" in result.err


def test_zotero_extra_is_read_but_real_notes_are_kept() -> None:
    """A note of identifier lines is Zotero's Extra; "Erratum in: ..." stays a note."""
    from cytobib.importer import from_bibtex
    from cytobib.model import Entry

    extra = Entry("k", "article", {"note": "PMID: 123\nPMCID: PMC9"}, 1)
    work = from_bibtex(extra)
    assert (work.fields.get("pmid"), work.fields.get("pmcid")) == ("123", "PMC9")
    assert "note" not in work.fields
    real = Entry("k", "article", {"note": "Erratum in: J Immunol 2020"}, 1)
    assert from_bibtex(real).fields["note"] == "Erratum in: J Immunol 2020"


# --- Zotero's ways (issue 13) -----------------------------------------------------------------


def test_zotero_extra_lines_go_to_fields_and_auto_lines_are_dropped() -> None:
    """In a Zotero export's ``note`` (its Extra): ``Citation Key:`` is the key, ``tex.pmcid:``
    the pmcid, ``Type: Journal Article`` is dropped; what anyone wrote stays the note."""
    from cytobib.importer import from_bibtex

    note = "Type: Journal Article\ntex.pmcid: PMC1\nCitation Key: berg2020\nErratum in: x"
    work = from_bibtex(Entry("berg_il-2_2020", "article", {"note": note}, 1))
    assert work.key == "berg2020"
    assert work.fields["pmcid"] == "PMC1"
    assert work.fields["note"] == "Erratum in: x"
    auto = Entry("k", "article", {"annote": "Type: Journal Article", "note": "tex.ids= k2a"}, 1)
    assert from_bibtex(auto).notes == ()
    assert "note" not in from_bibtex(auto).fields


def test_zotero_others_creator_is_and_others() -> None:
    """Zotero writes BibTeX's ``and others`` back as a creator ``{others}``; that is ``and
    others`` again (BibTeX and RIS)."""
    from cytobib.importer import from_bibtex, from_ris

    work = from_bibtex(Entry("k", "article", {"author": "Berg, Anna and {others}"}, 1))
    assert work.fields["author"] == "Berg, Anna and others"
    ris = from_ris({"type_of_reference": "JOUR", "authors": ["Berg, Anna", "others"]})
    assert ris.fields["author"] == "Berg, Anna and others"


def test_reimporting_the_same_file_changes_nothing(empty: Path) -> None:
    """A Zotero export imported once, then again: the second time library.bib stays
    byte-identical, no annotation is written and nothing is reported."""
    apply_import(load(empty), plan_import(load(empty), ZOTERO_BIB))
    apply_import(load(empty), plan_import(load(empty), ZOTERO_RIS))
    before = (empty / "library.bib").read_bytes()
    files = sorted(p.name for p in (empty / "annotations").iterdir())
    for source in (ZOTERO_BIB, ZOTERO_RIS):
        plan = plan_import(load(empty), source)
        assert (plan.added, plan.updated, plan.conflicts) == ((), (), ())
        assert (plan.stubs, plan.notes_not_applied, plan.candidates) == ((), (), {})
        apply_import(load(empty), plan)
    assert (empty / "library.bib").read_bytes() == before
    assert sorted(p.name for p in (empty / "annotations").iterdir()) == files


def _ris(tmp_path: Path, *records: str) -> Path:
    path = tmp_path / "in.ris"
    path.write_text("".join(f"TY  - JOUR\n{r}\nER  - \n\n" for r in records), encoding="utf-8")
    return path


def test_matching_by_pmid_then_title_author_and_year(empty: Path, tmp_path: Path) -> None:
    """A work without key or DOI matches by PMID, else by title + first author + year; a work
    that shares only the title is added and listed as a candidate, never merged."""
    (empty / "library.bib").write_text(
        "@article{berg2020il2,\n  author = {Berg, Anna},\n  title = {IL-2 in melanoma},\n"
        "  year = {2020},\n  pmid = {123},\n}\n\n"
        "@article{nagy2021tregs,\n  author = {Nagy, Eva},\n  title = {Tregs and IL-2},\n"
        "  year = {2021},\n}\n",
        encoding="utf-8",
    )
    source = _ris(
        tmp_path,
        "TI  - Another title\nAU  - Someone, X\nPY  - 2020\nAN  - 123",
        "TI  - TREGS and IL-2\nAU  - Nagy, E.\nPY  - 2021\nLA  - en",
        "TI  - Tregs and IL-2\nAU  - Other, Olga\nPY  - 2021",
    )
    plan = plan_import(load(empty), source)
    assert list(plan.matched.values()) == [("berg2020il2", "pmid"), ("nagy2021tregs", "title")]
    assert [n.key for n in plan.added] == ["other2021tregs"]
    assert plan.candidates == {"other2021tregs": ("nagy2021tregs",)}
    assert [(c.key, c.field) for c in plan.conflicts] == [
        ("berg2020il2", "author"),
        ("berg2020il2", "title"),
        ("nagy2021tregs", "title"),  # re-cased: the user's edit, offered with both values
    ]


def test_tags_split_by_zotero_are_joined_back_from_the_note() -> None:
    """Zotero's BibTeX export splits ``Muscle, Skeletal`` in two; cytobib's note lists it, so
    the keyword comes back whole; tags cytobib made from the annotation are not keywords."""
    from cytobib.importer import keywords
    from cytobib.zotero_note import NoteContent

    note = NoteContent(1, keywords=("Muscle, Skeletal", "IL-2"), annotation={"tags": ["Treg"]})
    tags = ["agent: aldesleukin", "Treg", "Muscle", "Skeletal", "IL-2", "il-2", "new tag"]
    assert keywords(tags, note) == ["Muscle, Skeletal", "IL-2", "il-2", "new tag"]
    assert keywords([], note) == ["Muscle, Skeletal", "IL-2"]  # CSL-JSON: Zotero kept no tag
    assert keywords(["IL-2", "il-2", "status: retracted"], None) == ["IL-2", "il-2"]


# Shapes from the 1,445-entry Zotero export (../shared/data): Zotero's "et al" creator, group
# authors with commas, PubMed's "ISSN (Print) ISSN (Linking)". Each came back as a conflict
# when the library's own export was imported into it.
_AWKWARD = (
    "@article{cella570,\n"
    "  author = {Cella, D. F. and Tulsky, D. S. and al, et},\n"
    "  title = {The Functional Assessment of Cancer Therapy scale},\n"
    "  journal = {J Clin Oncol},\n  year = {1993},\n"
    "  issn = {0732-183X (Print) 0732-183X (Linking)},\n}\n\n"
    "@article{cima83,\n"
    "  author = {Cima, Robert R. and\n"
    "    {Surgical Process Improvement Team, Mayo Clinic, Rochester}},\n"
    "  editor = {Ebadi, M. and {Fitness, Life Enhancement, and Exercise (FLEXIT) Consortium}},\n"
    "  title = {Incidence and characteristics of potential and actual retained foreign objects},\n"
    "  journal = {Arch Surg},\n  year = {2008},\n"
    "  issn = {1538-3644 (Electronic) 0004-0010 (Linking)},\n}\n"
)


@pytest.mark.parametrize(
    ("fmt", "suffix"), [("bibtex", ".bib"), ("biblatex", ".bib"), ("ris", ".ris")]
)
def test_own_export_of_awkward_names_and_issns_changes_nothing(
    empty: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    """ "al, et" is "others"; a group name with commas is one name however RIS splits it; one
    ISSN of the entry's several is no new value: importing the export back reports nothing."""
    (empty / "library.bib").write_text(_AWKWARD, encoding="utf-8")
    out = tmp_path / f"export{suffix}"
    out.write_bytes(export(load(empty).library, fmt).encode("utf-8"))
    plan = plan_import(load(empty), out)
    assert [(c.key, c.field) for c in plan.conflicts] == []
    assert (plan.added, plan.updated, plan.changes_bib) == ((), (), False)


def test_ris_group_name_with_commas_stays_one_name() -> None:
    """RIS has no mark for an organisation; a name whose third part is no suffix (Jr, III) is
    one, never split into family, given and suffix, nor into two people at its "and"."""
    from cytobib.importer import from_ris

    work = from_ris(
        {
            "type_of_reference": "JOUR",
            "authors": [
                "Ebadi, Maryam",
                "From the Fitness, Life Enhancement, and Exercise (FLEXIT) Consortium",
                "NHMRC Trials Centre, TROG, EORTC, and Canadian Cancer Trials Group",
                "King, Martin Luther, Jr.",
            ],
        }
    )
    assert work.fields["author"] == (
        "Ebadi, Maryam and {From the Fitness, Life Enhancement, and Exercise (FLEXIT) "
        "Consortium} and {NHMRC Trials Centre, TROG, EORTC, and Canadian Cancer Trials Group} "
        "and King, Jr., Martin Luther"
    )


def test_truncated_ris_names_the_record_it_cannot_import(empty: Path, tmp_path: Path) -> None:
    """A RIS file cut off inside a record (no ``ER``): the records before it are imported
    and the lost one is reported with its line, never dropped in silence."""
    path = tmp_path / "cut.ris"
    path.write_text(
        "TY  - JOUR\nTI  - Whole\nER  - \n\nTY  - JOUR\nTI  - Cut off in the mid",
        encoding="utf-8",
    )
    plan = plan_import(load(empty), path)
    assert [dict(n.fields)["title"] for n in plan.added] == ["Whole"]
    cut = [i for i in plan.issues if i.code == "ris-unterminated"]
    assert [(i.location.line if i.location else None) for i in cut] == [5]
    assert "no ER line" in cut[0].message and "not imported" in cut[0].message


PART_READABLE = """@article{good2020a,
  title = {Good},
  author = {A, B},
  year = {2020},
}

@article{bad2020,
  title = {Broken

@article{good2021b,
  title = {Also good},
  author = {C, D},
  year = {2021},
}
"""


def test_import_of_a_partly_unreadable_file_writes_nothing(
    empty: Path, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    """A block the reader cannot read stops the import (exit 3, named with its line, nothing
    written); --keep-going imports the rest and still names it."""
    source = tmp_path / "part.bib"
    source.write_text(PART_READABLE, encoding="utf-8")
    before = (empty / "library.bib").read_bytes()
    stopped = cli("import", source, "-C", empty)
    assert stopped.code == 3
    assert "part.bib:7" in stopped.err and "nothing was imported" in stopped.err
    assert "--keep-going" in stopped.err and "kept in the file unchanged" not in stopped.err
    assert (empty / "library.bib").read_bytes() == before
    went_on = cli("import", source, "-C", empty, "--keep-going")
    assert went_on.code == 0
    assert "it is not imported" in went_on.out + went_on.err
    assert set(entries(empty)) == {"good2020a", "good2021b"}


def test_import_of_a_cut_off_ris_file_writes_nothing(empty: Path, tmp_path: Path) -> None:
    """A RIS record without ER (a file cut off) stops the import like any unreadable part."""
    from cytobib.api import import_file
    from cytobib.errors import UnreadableImport

    path = tmp_path / "cut.ris"
    path.write_text("TY  - JOUR\nTI  - Whole\nER  - \n\nTY  - JOUR\nTI  - Cut", encoding="utf-8")
    before = (empty / "library.bib").read_bytes()
    with pytest.raises(UnreadableImport) as caught:
        import_file(load(empty), path)
    assert [i.code for i in caught.value.issues] == ["ris-unterminated"]
    assert (empty / "library.bib").read_bytes() == before


def test_long_conflicting_values_show_where_they_differ() -> None:
    """Two author lists that differ only at their end do not print alike (each is cut around
    the first difference, not at its start)."""
    from hypothesis import given
    from hypothesis import strategies as st

    from cytobib.cli.export_cmds import clip_pair

    names = " and ".join(f"Author{n}, A." for n in range(12))
    ours, theirs = clip_pair(names, names + " and Last, Z.")
    assert ours != theirs and "Last, Z." in theirs
    assert max(len(ours), len(theirs)) <= 70

    @given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=200))
    def differ_when_they_differ(a: str, b: str) -> None:
        a, b = " ".join(a.split()), " ".join(b.split())
        shown = clip_pair(a, b)
        assert (shown[0] == shown[1]) == (a == b)
        assert all(len(s) <= 70 for s in shown)

    differ_when_they_differ()


def test_an_issn_zotero_filed_as_isbn_comes_back_as_the_issn() -> None:
    """RIS export -> Zotero -> BibTeX gives a conference paper ``isbn = 1051-4651`` (Zotero
    reads a conference paper's SN as its ISBN): the import reads it as the ISSN it is."""
    from cytobib.importer import from_bibtex

    fields = {"title": "A paper", "booktitle": "ICPR", "isbn": "1051-4651", "year": "2010"}
    entry = Entry("tan3173", "inproceedings", fields, 1)
    incoming = from_bibtex(entry)
    assert incoming.fields.get("issn") == "1051-4651" and "isbn" not in incoming.fields
    book = Entry("b", "book", {"title": "A book", "isbn": "978-0-12-345678-9"}, 1)
    assert from_bibtex(book).fields.get("isbn") == "978-0-12-345678-9"
