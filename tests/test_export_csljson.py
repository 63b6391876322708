"""CSL-JSON export: valid against the official schema, names split, notes in `note`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from cytobib.exports import ExportOptions, NotesLevel, export, parse_facets
from cytobib.library import Project, open_project

DATA = Path(__file__).parent / "data" / "export"
SCHEMA = json.loads((Path(__file__).parent / "data" / "csl-data.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def proj() -> Project:
    return open_project(DATA, use_cache=False)


@pytest.fixture(scope="module")
def items(proj: Project) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in json.loads(export(proj.library, "csl-json"))}


@pytest.mark.parametrize("notes", list(NotesLevel))
@pytest.mark.parametrize("tags", ["all", "none"])
def test_valid_against_official_schema(proj: Project, notes: NotesLevel, tags: str) -> None:
    """Every variant of the export validates against citation-style-language/schema."""
    data = json.loads(export(proj.library, "csl-json", ExportOptions(notes, parse_facets(tags))))
    errors = sorted(Draft7Validator(SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_names_split(items: dict[str, dict[str, Any]]) -> None:
    """Names become family/given parts and suffixes; a particle stays in ``family`` (Zotero
    reads only family and given; citeproc-js parses the particle); organisations literal."""
    assert items["panek2021ifn"]["author"][0] == {"family": "Pánek", "given": "Jiří"}
    assert items["panek2021ifn"]["author"][3] == {"family": "van der Berg", "given": "Jan"}
    assert items["who2020guidelines"]["author"] == [{"literal": "World Health Organization"}]
    assert {"family": "Smith", "given": "Robert", "suffix": "Jr."} in items["Smith_2018-IL2.b"][
        "author"
    ]


def test_issued_doi_pmid(items: dict[str, dict[str, Any]]) -> None:
    """issued uses date-parts; DOI keeps its case without LaTeX escapes; PMID is there."""
    item = items["panek2021ifn"]
    assert item["issued"] == {"date-parts": [[2021, 3]]}
    assert item["DOI"] == "10.1016/j.cytogfr.2021.01_001"
    assert item["PMID"] == "33500000"
    assert item["title"].startswith("IFN-λ and TNF-α signalling")


def test_url_keeps_its_tilde(items: dict[str, dict[str, Any]]) -> None:
    """A ~ in a URL is a character, not a LaTeX non-breaking space."""
    assert items["who2020guidelines"]["URL"].endswith("who_il2~2020%20guide")


def test_note_holds_the_notes_and_keyword_the_tags(items: dict[str, dict[str, Any]]) -> None:
    """note (Zotero's Extra) has the PMID line and cytobib's note as lines; keyword lists the
    facet tags."""
    note = items["panek2021ifn"]["note"]
    assert note.startswith("PMID: 33500000\ncytobib: v1\nCite key: panek2021ifn\n")
    assert '\nSummary: First line with <b>HTML</b> & "quotes"' in note
    assert "\nClaims:\nClaim 1: IFN-λ reduced tumour growth" in note
    assert "\nAgents:\nAgent 1: IFN-λ\nRole: primary\nDose: 1 µg/kg" in note
    assert items["panek2021ifn"]["keyword"].startswith("agent: interferon-lambda, agent: ")
    assert items["panek2021ifn"]["citation-key"] == "panek2021ifn"


def test_summary_level_note_is_the_summary_alone(proj: Project) -> None:
    """At --notes summary the note is the summary text, ready for an annotated bibliography."""
    data = json.loads(export(proj.library, "csl-json", ExportOptions(NotesLevel.SUMMARY)))
    note = {i["id"]: i.get("note") for i in data}
    assert note["Smith_2018-IL2.b"] == (
        "A chapter on CD4+ T cells and IL-2 with a section on Kaposi sarcoma.\n"
        "50% & more: first printing"  # the entry's own note follows the summary
    )
    assert note["who2020guidelines"] is None


def test_retraction(items: dict[str, dict[str, Any]]) -> None:
    """A retracted work has status "retracted", a tag and the RETRACTED line first in note."""
    item = items["retracted2019tnf"]
    assert item["status"] == "retracted"
    assert item["note"].startswith("RETRACTED. Notice: doi:10.1000/jqr.retraction.2020.1")
    assert item["keyword"].startswith("status: retracted")


def test_pandoc_renders_without_warnings(tmp_path: Path, proj: Project) -> None:
    """pandoc --citeproc reads the CSL-JSON and warns about nothing."""
    from cytobib.styles.pandoc import pandoc_path

    pandoc = pandoc_path()  # the wheel's, as cytobib runs it; else one on PATH
    if pandoc is None:
        pytest.skip("pandoc not installed: the CSL-JSON export was not rendered")
    (tmp_path / "refs.json").write_text(export(proj.library, "csl-json"), encoding="utf-8")
    (tmp_path / "doc.md").write_text('---\nnocite: "@*"\n---\n\n# References\n')
    result = subprocess.run(
        [str(pandoc), "--citeproc", "--bibliography=refs.json", "-t", "plain", "doc.md"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    assert "Pánek, Jiří" in result.stdout
