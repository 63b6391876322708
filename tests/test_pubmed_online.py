"""add, enrich, check --online and suggest with PubMed: the real CLI and client code paths
against the local NCBI stand-in (and the Crossref one), nothing from the internet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crossref_server import running_server as crossref_running
from cytobib.library import open_project
from pubmed_server import Fault, PubMedTestServer, running_server

ENTRY = """@article{il1a2024,
  title = {Hematopoietic aging promotes cancer},
  pmid = {39236155},
}
"""


@pytest.fixture
def ncbi(monkeypatch: pytest.MonkeyPatch) -> Iterator[PubMedTestServer]:
    with running_server() as server, crossref_running() as crossref:
        monkeypatch.setenv("CYTOBIB_EUTILS_URL", server.eutils_url)
        monkeypatch.setenv("CYTOBIB_IDCONV_URL", server.idconv_url)
        # Crossref's stand-in has none of these works: every field comes from PubMed.
        monkeypatch.setenv("CYTOBIB_CROSSREF_URL", crossref.url)
        yield server


def test_add_by_pmid_and_pmcid(make_project, cli, ncbi) -> None:
    """`add PMID:n PMCn` adds both works from PubMed (Crossref has neither), with pmid,
    pmcid, the ISO abbreviation and MeSH keywords, and annotation stubs."""
    root = make_project("")
    result = cli("add", "-C", root, "PMID:23121403", "PMC7616710")
    assert result.code == 0, result.output
    entries = {r.entry.fields["pmid"]: r.entry for r in open_project(root).library}
    assert set(entries) == {"23121403", "39236155"}
    nejm, science = entries["23121403"], entries["39236155"]
    assert science.fields["pmcid"] == "PMC7616710"
    assert nejm.fields["shortjournal"] == "N Engl J Med"
    assert nejm.fields["pages"] == "1979--1987" and nejm.doi == "10.1056/nejmoa1210384"
    assert "Venous Thromboembolism" in nejm.fields["keywords"]
    assert science.text("title").startswith("Hematopoietic aging promotes cancer by fueling IL-1")
    assert len(list((root / "annotations").glob("*.yaml"))) == 2


def test_add_an_unknown_pmid_writes_nothing(make_project, cli, ncbi, snapshot) -> None:
    """An id PubMed does not know is a clear message and exit 4; nothing is written."""
    root = make_project("")
    before = snapshot(root)
    result = cli("add", "-C", root, "PMID:1")
    assert result.code == 4
    assert "PubMed has no record with PMID 1" in result.err
    assert snapshot(root) == before


def test_enrich_fills_from_pubmed_when_crossref_is_down(make_project, cli, ncbi) -> None:
    """An entry with only a PMID gets PubMed's fields; provenance names PubMed."""
    root = make_project(ENTRY)
    result = cli("enrich", "-C", root)
    assert result.code == 0, result.output
    entry = open_project(root).library.get("il1a2024").entry
    assert entry.doi == "10.1126/science.adn0327"
    assert entry.fields["pmcid"] == "PMC7616710"
    assert entry.text("abstract").startswith("Age is a major risk factor for cancer")
    assert entry.title == "Hematopoietic aging promotes cancer"  # the user's title kept
    assert '"source": "pubmed"' in (root / ".cytobib" / "provenance.json").read_text()


def test_enrich_reports_pubmed_down_and_writes_nothing(make_project, cli, ncbi, snapshot) -> None:
    """A 429 storm at NCBI and no Crossref: a clear message, exit 4, no file changed."""
    ncbi.add_faults(*[Fault("429", retry_after="0")] * 8)
    root = make_project(ENTRY)
    before = snapshot(root)
    result = cli("enrich", "-C", root)
    assert "PubMed" in result.err
    assert snapshot(root) == before


def test_malformed_answer_is_clear_and_writes_nothing(make_project, cli, ncbi, snapshot) -> None:
    """Malformed XML from EFetch: the message says so; library.bib is unchanged."""
    ncbi.add_faults(Fault("malformed"))
    root = make_project(ENTRY)
    before = snapshot(root)
    result = cli("enrich", "-C", root)
    assert "not well-formed XML" in result.err
    assert snapshot(root) == before


def test_check_online_flags_pubmed_erratum_and_unknown_pmid(make_project, cli, ncbi) -> None:
    """check --online reports PubMed's ErratumIn as `corrected` and an unknown PMID."""
    bib = ENTRY.replace("il1a2024", "celrep2022").replace("39236155", "35649368")
    bib += "@article{gone, title = {Gone}, pmid = {1}}\n"
    root = make_project(bib)
    result = cli("check", "-C", root, "--online", "--format", "json")
    assert "corrected" in result.out and "PubMed reports 'celrep2022'" in result.out
    assert "pmid-not-found" in result.out


def test_suggest_prints_then_writes_only_empty_fields(make_project, cli, ncbi) -> None:
    """suggest prints drafts with evidence; --write fills the empty fields only, marks them
    suggested, keeps the reader's own values; --accept removes the mark."""
    mine = "summary: Mine.\ncancers: [melanoma]\nagents: []\n"
    root = make_project(ENTRY, {"il1a2024": mine})
    shown = cli("suggest", "-C", root)
    assert shown.code == 0, shown.output
    assert "evidence: MeSH Lung Neoplasms*" in shown.out
    assert "[kept: filled by you]" in shown.out
    assert (root / "annotations" / "il1a2024.yaml").read_text() == mine
    written = cli("suggest", "-C", root, "--write")
    assert written.code == 0, written.output
    text = (root / "annotations" / "il1a2024.yaml").read_text()
    assert text.startswith("summary: Mine.\ncancers: [melanoma]\n")
    assert "study_type: preclinical" in text and "suggested:" in text
    project = open_project(root)
    annotation = project.library.get("il1a2024").annotation
    assert annotation.study_type == "preclinical" and annotation.cancers == ("melanoma",)
    assert "study_type" in annotation.suggested
    assert any(i.code == "unconfirmed-suggestion" for i in project.library.issues)
    accepted = cli("suggest", "-C", root, "--accept", "il1a2024")
    assert accepted.code == 0
    assert "suggested:" not in (root / "annotations" / "il1a2024.yaml").read_text()
    assert open_project(root).library.get("il1a2024").annotation.study_type == "preclinical"


def test_suggest_refuses_a_broken_annotation(make_project, cli, ncbi, snapshot) -> None:
    """An annotation that is not valid YAML is reported and left as it is."""
    root = make_project(ENTRY, {"il1a2024": "agents: [\n"})
    before = snapshot(root / "annotations")
    result = cli("suggest", "-C", root, "--write")
    assert result.code == 3
    assert "not valid YAML" in result.err
    assert snapshot(root / "annotations") == before


def test_offline_suggest_uses_the_cache(make_project, cli, ncbi) -> None:
    """After one online run, suggest --offline works without a request."""
    root = make_project(ENTRY)
    assert cli("suggest", "-C", root).code == 0
    ncbi.reset()
    result = cli("suggest", "-C", root, "--offline")
    assert result.code == 0 and "il1a2024 (PMID 39236155)" in result.out
    assert ncbi.hits == []
