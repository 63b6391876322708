"""Golden files and the contract every registered exporter keeps.

The golden files in tests/data/export/ are the exports of the small hostile library beside
them (library.bib + annotations/). After an intended change, regenerate them with
``CYTOBIB_UPDATE_GOLDEN=1 pytest tests/test_export_golden.py`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cytobib.exports import (
    ExportOptions,
    Facet,
    NotesLevel,
    available,
    export,
    find_exporter,
    record_tags,
)
from cytobib.library import Project, open_project
from golden import assert_golden

DATA = Path(__file__).parent / "data" / "export"

# golden file -> (format, options)
GOLDEN = {
    "library_bibtex.bib": ("bibtex", ExportOptions()),
    "library_bibtex-ascii.bib": ("bibtex", ExportOptions(ascii=True)),
    "library_biblatex.bib": ("biblatex", ExportOptions()),
    "library_csl-json.json": ("csl-json", ExportOptions()),
    "library_ris.ris": ("ris", ExportOptions()),
    "library_ris-summary.ris": ("ris", ExportOptions(notes=NotesLevel.SUMMARY)),
    "library_bibtex-bare.bib": (
        "bibtex",
        ExportOptions(notes=NotesLevel.NONE, facets=frozenset()),
    ),
}


@pytest.fixture(scope="module")
def proj() -> Project:
    return open_project(DATA, use_cache=False)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(proj: Project, name: str) -> None:
    """Each export of the test library matches its golden file byte for byte."""
    fmt, options = GOLDEN[name]
    assert_golden(name, export(proj.library, fmt, options), directory=DATA)


FORMATS = [name for name, *_ in available()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_every_format_exports_every_key(proj: Project, fmt: str) -> None:
    """Every registered format writes every record, keys exactly as in library.bib."""
    text = export(proj.library, fmt)
    for record in proj.library:
        assert record.key in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_output_is_deterministic(proj: Project, fmt: str) -> None:
    """Two exports of the same records are identical (no timestamps, stable order)."""
    assert export(proj.library, fmt) == export(proj.library, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_empty_selection(fmt: str) -> None:
    """Exporting no records gives a valid, empty file rather than an error."""
    text = export([], fmt)
    assert isinstance(text, str)


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_ascii_export_of_no_records_has_no_warnings(fmt: str) -> None:
    """``--ascii`` of an empty selection (a new library) is an empty file, not a crash."""
    from cytobib.exports import export_library
    from cytobib.model import Library

    result = export_library(Library(()), to=fmt, options=ExportOptions(ascii=True))
    assert result.count == 0 and result.warnings == ()


@pytest.mark.parametrize("fmt", ["csl-json", "ris"])
def test_ascii_is_refused_where_it_does_not_apply(proj: Project, fmt: str) -> None:
    """``--ascii`` on a UTF-8-only format is a usage error, not silently ignored."""
    from cytobib.errors import UsageError
    from cytobib.exports import export_library

    with pytest.raises(UsageError, match="--ascii applies to BibTeX and BibLaTeX"):
        export_library(proj.library, to=fmt, options=ExportOptions(ascii=True))


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_retraction_always_travels(proj: Project, fmt: str) -> None:
    """The retraction tag and note line appear even with --notes none and --tags none."""
    record = proj.library.get("retracted2019tnf")
    assert record is not None
    text = export([record], fmt, ExportOptions(notes=NotesLevel.NONE, facets=frozenset()))
    assert "RETRACTED" in text
    assert "status: retracted" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_notes_none_leaves_out_the_annotation(proj: Project, fmt: str) -> None:
    """With --notes none no summary text reaches the file."""
    text = export(proj.library, fmt, ExportOptions(notes=NotesLevel.NONE))
    assert "Second line of the summary" not in text
    assert "Key claims" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_contract_summary_level_has_no_claims(proj: Project, fmt: str) -> None:
    """With --notes summary the summary is there, the claims are not."""
    text = export(proj.library, fmt, ExportOptions(notes=NotesLevel.SUMMARY))
    assert "Second line of the summary" in text
    assert "B16 mice" not in text


def test_find_exporter_by_suffix_matches_format_names() -> None:
    """-o refs.ris, refs.json and refs.bib pick RIS, CSL-JSON and BibTeX."""
    assert find_exporter(path="out/refs.ris").name == "ris"
    assert find_exporter(path="refs.JSON").name == "csl-json"
    assert find_exporter(path="refs.bib").name == "bibtex"


def test_record_tags_facets_and_order(proj: Project) -> None:
    """Tags come as agents, cancers, evidence, status, plain tags; facets switch groups off."""
    record = proj.library.get("panek2021ifn")
    assert record is not None
    tags = record_tags(record)
    assert tags[:3] == ["agent: interferon-lambda", "agent: aldesleukin", "cancer: melanoma"]
    assert "evidence: clinical-trial" in tags
    assert "status: read" in tags
    assert "IL-2, high dose" in tags  # whole: RIS keeps it one tag, BibTeX braces it
    only_agents = record_tags(record, frozenset({Facet.AGENTS}))
    assert only_agents == ["agent: interferon-lambda", "agent: aldesleukin"]
