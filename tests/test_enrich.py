"""add / enrich / check --online end to end: the real CLI, the real requests code path, and a
real HTTP server on 127.0.0.1 serving recorded Crossref responses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crossref_server import CrossrefTestServer, Fault, require_fixtures

PLOS = "10.1371/journal.pone.0033693"
LANCET = "10.1016/S0140-6736(97)11096-0"

BIB = """% my library
@string{plos = "PLoS ONE"}

@article{sadasivan2012methylphenidate,
  title = "Methylphenidate Exposure Induces Dopamine Neuron Loss",
  doi = {10.1371/journal.pone.0033693},
  year = 2012,
}

@Article{untouched,
  author = {Doe, Jane},
  title  = "Kept {exactly} as written",
  journal = plos,
  year = 1999
}
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CrossrefTestServer]:
    """A local Crossref with every recorded work; the CLI is pointed at it."""
    srv = CrossrefTestServer(require_fixtures()).start()
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", srv.url)
    yield srv
    srv.stop()


def entry_text(bib: Path, key: str) -> str:
    text = bib.read_text(encoding="utf-8")
    start = text.index("{" + key + ",")
    start = text.rindex("@", 0, start)
    return text[start : text.index("\n}", start) + 2]


def test_enrich_fills_only_missing_fields(make_project: Callable[..., Path], cli, server) -> None:
    """Missing journal/volume/pages are filled; the title the user wrote stays; the other
    entry, the comment and the @string block stay byte-for-byte."""
    root = make_project(BIB)
    bib = root / "library.bib"
    before = bib.read_text(encoding="utf-8")
    result = cli("enrich", "-C", root)
    assert result.code == 0, result.output
    after = bib.read_text(encoding="utf-8")
    entry = entry_text(bib, "sadasivan2012methylphenidate")
    assert "journal = {PLoS ONE}" in entry or "journal = {{PLoS} {ONE}}" in entry
    assert "volume = {7}" in entry or "volume = 7" in entry
    assert "e33693" in entry
    assert 'title = "Methylphenidate Exposure Induces Dopamine Neuron Loss"' in entry
    # Everything outside the enriched entry is unchanged.
    head = before[: before.index("@article{sadasivan")]
    tail = before[before.index("@Article{untouched") :]
    assert after.startswith(head)
    assert after.endswith(tail)
    assert "conflict" in result.out  # the shortened title differs from Crossref's: reported
    prov = json.loads((root / ".cytobib" / "provenance.json").read_text())
    assert prov["fields"]["sadasivan2012methylphenidate"]["volume"]["source"] == "crossref"


def test_conflict_is_reported_and_kept_until_accepted(make_project, cli, server) -> None:
    """A wrong year is reported with both values and only replaced with --accept year."""
    root = make_project(BIB.replace("year = 2012,", "year = 2011,"))
    bib = root / "library.bib"
    result = cli("enrich", "-C", root, "sadasivan2012methylphenidate")
    assert "year" in result.out and "2011" in result.out and "2012" in result.out
    assert "year = 2011" in entry_text(bib, "sadasivan2012methylphenidate")
    result = cli("enrich", "-C", root, "--accept", "year", "sadasivan2012methylphenidate")
    assert result.code == 0
    assert "year = 2012" in entry_text(bib, "sadasivan2012methylphenidate")


def test_dismissed_conflicts_do_not_nag(make_project, cli, server) -> None:
    """After --dismiss the same difference is no longer listed."""
    root = make_project(BIB.replace("year = 2012,", "year = 2011,"))
    first = cli("enrich", "-C", root, "--dismiss")
    assert "conflict" in first.out
    again = cli("enrich", "-C", root)
    assert "conflict" not in again.out


def test_dry_run_prints_diff_and_writes_nothing(make_project, cli, server, snapshot) -> None:
    """--dry-run shows a unified diff and leaves every file as it was."""
    root = make_project(BIB)
    before = snapshot(root)
    result = cli("enrich", "-C", root, "--dry-run")
    assert result.code == 0
    assert "+++ " in result.out and "+  volume" in result.out.replace("\t", "  ")
    assert snapshot(root) == before


def test_retraction_is_flagged_in_entry_and_check(make_project, cli, server) -> None:
    """Enriching the retracted Lancet paper writes update-status; check then errors loudly."""
    bib = f"@article{{wakefield1998ileal,\n  doi = {{{LANCET}}},\n}}\n"
    root = make_project(bib)
    result = cli("enrich", "-C", root)
    assert "WARNING" in result.err and "retracted" in result.err
    text = (root / "library.bib").read_text()
    assert "update-status = {retracted;" in text and "retraction-watch" in text
    check = cli("check", "-C", root)
    assert check.code == 1
    assert "retracted" in check.out and "RETRACTED" in check.out


def test_add_creates_entry_and_stub(make_project, cli, server) -> None:
    """`add https://doi.org/...` writes an entry with a scheme key and an annotation stub."""
    root = make_project(BIB)
    result = cli("add", "-C", root, "https://doi.org/10.3892/ijo_00000353")
    assert result.code == 0, result.output
    assert "added stravopodis2009human" in result.out
    text = (root / "library.bib").read_text()
    assert "@article{stravopodis2009human," in text
    assert text.startswith(BIB)  # appended; nothing before it changed
    assert (root / "annotations" / "stravopodis2009human.yaml").exists()
    check = cli("check", "-C", root, "--format", "json")
    data = json.loads(check.out)
    assert not [i for i in data["issues"] if i["severity"] == "error"]


def test_add_existing_doi_changes_nothing(make_project, cli, server, snapshot) -> None:
    """A DOI already in the library (any spelling) is reported and nothing is written."""
    root = make_project(BIB)
    before = snapshot(root)
    result = cli("add", "-C", root, "doi:10.1371/JOURNAL.PONE.0033693")
    assert result.code == 0
    assert "already in the library" in result.out
    assert snapshot(root) == before
    assert server.hits == []


def test_add_unknown_doi_fails_cleanly(make_project, cli, server, snapshot) -> None:
    """A 404 is reported without a traceback, exit 4, and no file changes."""
    root = make_project(BIB)
    before = snapshot(root)
    result = cli("add", "-C", root, "10.1371/notarealdoi")
    assert result.code == 4
    assert "not added" in result.err and "Traceback" not in result.output
    assert snapshot(root) == before
    assert len(server.hits) == 1  # a 404 is final: not retried


def test_malformed_doi_is_rejected_before_any_request(make_project, cli, server) -> None:
    """A string that is not a DOI never reaches the network."""
    root = make_project(BIB)
    result = cli("add", "-C", root, "not-a-doi")
    assert result.code == 4
    assert "not added" in result.err
    assert server.hits == []


def test_check_online_reports_not_found_and_mismatch(make_project, cli, server) -> None:
    """Unknown DOIs and DOIs whose record disagrees with the entry are issues."""
    bib = (
        "@article{a, title = {Methylphenidate exposure induces dopamine neuron loss and "
        "activation of microglia in the basal ganglia of mice}, author = {Sadasivan, S.}, "
        "year = 2012, doi = {10.1371/journal.pone.0033693}}\n"
        "@article{b, title = {Something else entirely about IL-2}, author = {Nobody, A.}, "
        "year = 1980, doi = {10.3892/ijo_00000353}}\n"
        "@article{c, title = {Ghost}, author = {Nobody, A.}, year = 2000, "
        "doi = {10.1371/notarealdoi}}\n"
    )
    root = make_project(bib)
    result = cli("check", "-C", root, "--online", "--format", "json")
    data = json.loads(result.out)
    codes = {(i["key"], i["code"]) for i in data["issues"]}
    assert ("c", "doi-not-found") in codes
    assert ("b", "doi-mismatch") in codes
    assert not any(k == "a" and c.startswith("doi-") for k, c in codes)
    assert any(c == "no-mailto" for _, c in codes)
    assert result.code == 1


def test_mailto_is_sent_when_configured(make_project, cli, server) -> None:
    """With a contact address set, requests carry it in the User-Agent and as mailto=."""
    root = make_project(BIB, extra_toml='\n[crossref]\nmailto = "reviewer@example.org"\n')
    cli("enrich", "-C", root, "--no-search")
    hit = server.hits[0]
    assert "mailto:reviewer@example.org" in hit.headers.get("user-agent", "")
    assert hit.query.get("mailto") == ["reviewer@example.org"]


def test_offline_uses_cache_only(make_project, cli, server) -> None:
    """--offline after a normal run answers from the cache with no new request."""
    root = make_project(BIB)
    cli("enrich", "-C", root, "--dry-run", "--no-search")
    seen = len(server.hits)
    result = cli("enrich", "-C", root, "--dry-run", "--no-search", "--offline")
    assert result.code == 0
    assert len(server.hits) == seen


def test_offline_without_cache_leaves_library_untouched(
    make_project, cli, server, snapshot
) -> None:
    """--offline with an empty cache reports the entry as not enriched and writes nothing."""
    root = make_project(BIB)
    before = snapshot(root)
    result = cli("enrich", "-C", root, "--offline", "--no-search")
    assert "could not enrich" in result.err
    assert result.code == 4  # not one lookup answered: exit as `add` does
    assert snapshot(root) == before
    assert server.hits == []


def test_server_errors_leave_library_untouched(make_project, cli, server, snapshot) -> None:
    """An HTML error page with status 200 is a bad response: nothing is written."""
    root = make_project(BIB)
    before = snapshot(root)
    server.add_faults(*[Fault("html")] * 4)
    result = cli("enrich", "-C", root, "--no-search")
    assert "could not enrich" in result.err
    assert result.code == 4 and "no usable answer" in result.err
    assert "Traceback" not in result.output
    assert snapshot(root) == before


def test_search_without_clear_match_lists_candidates(make_project, cli, server, snapshot) -> None:
    """An entry without DOI whose search results do not match is left alone, candidates shown."""
    bib = "@article{x, title = {IL-2 and regulatory T cells}, author = {Koreth, J.}, year = 2011}\n"
    root = make_project(bib)
    before = snapshot(root)
    result = cli("enrich", "-C", root)
    assert "no unambiguous match for x" in result.out
    assert snapshot(root) == before
    assert server.hits and server.hits[0].query.get("rows") == ["2"]


def test_a_malformed_doi_is_not_blamed_on_the_network(make_project, cli, server) -> None:
    """A DOI that is not one is an input problem: named as such, no request, no exit 4."""
    root = make_project("@article{bad, title = {T}, author = {A, B}, doi = {10.1000/a b}}\n")
    result = cli("enrich", "-C", root, "--no-search")
    assert "not looked up: bad" in result.err and "whitespace" in result.err
    assert "connection" not in result.err and result.code == 0
    assert server.hits == []


def test_enrich_plan_writes_nothing_and_apply_writes_the_plan(
    make_project: Callable[..., Path], server: CrossrefTestServer
) -> None:
    """The library steps: asking and planning leave every file alone; applying writes exactly
    the planned text and records where the values came from."""
    from cytobib.library import open_project
    from cytobib.online import apply_enrich, ask_crossref, client_for, plan_enrich, select

    root = make_project(BIB)
    bib = root / "library.bib"
    project = open_project(root, store=None)
    records = select(project, ["sadasivan2012methylphenidate"])
    answers = ask_crossref(client_for(project), records)
    plan = plan_enrich(project, records, answers)
    assert bib.read_text(encoding="utf-8") == BIB
    assert not (root / ".cytobib" / "provenance.json").exists()
    assert "journal" in plan.filled["sadasivan2012methylphenidate"]
    apply_enrich(project, plan)
    assert bib.read_text(encoding="utf-8") == plan.new_text
    provenance = json.loads((root / ".cytobib" / "provenance.json").read_text(encoding="utf-8"))
    assert "sadasivan2012methylphenidate" in json.dumps(provenance)
