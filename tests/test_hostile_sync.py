"""Hostile answers from the sources added after issue 12 (PubMed, Zotero), served from the
local stand-ins: what they can do to the key, the file and the terminal."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import bibtexparser
import pytest

from crossref_server import running_server as crossref_running
from cytobib.citekey import base_key
from cytobib.formats.escape import terminal_text
from cytobib.library import open_project
from pubmed_server import PubMedTestServer, running_server
from zotero_api_server import running as zotero_running

LONG_WORD = "x" * 300


def _record(pmid: int, title: str, abstract: str = "Interleukin-2 was given.") -> bytes:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}'
        "</PMID><Article><Journal><JournalIssue><Volume>1</Volume><PubDate><Year>2024</Year>"
        "</PubDate></JournalIssue><Title>Journal of Tests</Title></Journal>"
        f"<ArticleTitle>{title}</ArticleTitle><Abstract><AbstractText>{abstract}</AbstractText>"
        "</Abstract><AuthorList><Author><LastName>Author</LastName><ForeName>Test</ForeName>"
        "</Author></AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList></PubmedData>'
        "</PubmedArticle>"
    ).encode()


@pytest.fixture
def ncbi(monkeypatch: pytest.MonkeyPatch) -> Iterator[PubMedTestServer]:
    with running_server() as server, crossref_running() as crossref:
        monkeypatch.setenv("CYTOBIB_EUTILS_URL", server.eutils_url)
        monkeypatch.setenv("CYTOBIB_IDCONV_URL", server.idconv_url)
        monkeypatch.setenv("CYTOBIB_CROSSREF_URL", crossref.url)
        yield server


def test_key_parts_are_bounded() -> None:
    """A 300-letter family name or title word still makes a key every writer accepts."""
    key = base_key(LONG_WORD, 2024, LONG_WORD)
    assert key.startswith("xxx") and "2024" in key and len(key) <= 100


def test_add_of_a_work_with_a_300_letter_title_word(make_project, cli, ncbi) -> None:
    """PubMed's record whose first title word has 300 letters is added under a shortened key
    (it was refused as 'not a citation key' and nothing was added); the title is intact."""
    pmid = ncbi.add_record(_record(31000002, LONG_WORD + " of tests"))
    root = make_project("")
    result = cli("add", "-C", root, f"PMID:{pmid}")
    assert result.code == 0, result.output
    parsed = bibtexparser.parse_string((root / "library.bib").read_text(encoding="utf-8"))
    assert len(parsed.entries) == 1 and not parsed.failed_blocks
    (record,) = open_project(root).library
    assert record.entry.text("title") == LONG_WORD + " of tests"
    assert len(record.key) <= 100


def test_osc_ended_by_c1_string_terminator_hides_only_itself() -> None:
    """An operating-system command opened by ESC ] or its C1 form and ended by the C1 string
    terminator (0x9c) is removed, and the text after it stays."""
    assert terminal_text("a\x9d0;title\x9cb") == "ab"
    assert terminal_text("a\x1b]0;title\x9cb c") == "ab c"


def test_suggest_shows_the_abstract_after_a_c1_sequence(make_project, cli, ncbi) -> None:
    """suggest prints the evidence sentence of an abstract holding C1 escape sequences
    without them and without losing the words after them."""
    abstract = "Interleukin-2 \u009b31m\u009d0;t\u009cwas given to 20 patients."
    pmid = ncbi.add_record(_record(31000003, "Trial of tests", abstract))
    root = make_project(f"@article{{t2024,\n  title = {{Trial}},\n  pmid = {{{pmid}}},\n}}\n")
    result = cli("suggest", "-C", root)
    assert result.code == 0, result.output
    assert "\x9b" not in result.out and "\x9d" not in result.out
    assert "was given to 20 patients" in result.out


@pytest.mark.parametrize("tags", [{"agent:x": 1}, ["plain", 3, None, {"tag": 5}], "IL-2"])
def test_pull_of_items_with_tags_of_another_shape(tmp_path, cli, monkeypatch, tags) -> None:
    """Tags that are not a list of ``{"tag": text}`` (a Zotero answer damaged or forged) are
    skipped: the item still becomes an entry, with no crash (it was exit 70), and the file
    re-parses to that one entry."""
    pytest.importorskip("pyzotero", reason="Zotero sync needs pyzotero (README: Zotero sync)")
    key, group = "K" * 24, "groups/123"
    with zotero_running() as server:
        server.library(group, key=key).put(
            {
                "itemType": "journalArticle",
                "title": "Tags of another shape",
                "creators": [{"creatorType": "author", "firstName": "A", "lastName": "Smith"}],
                "date": "2020",
                "tags": tags,
            }
        )
        monkeypatch.setenv("ZOTERO_API_KEY", key)
        monkeypatch.setenv("CYTOBIB_ZOTERO_URL", server.url)
        root = tmp_path / "project"
        root.mkdir()
        (root / "library.bib").write_text("", encoding="utf-8")
        (root / "cytobib.toml").write_text(f'[zotero]\nlibrary = "{group}"\n', encoding="utf-8")
        result = cli("zotero", "pull", "-C", root)
    assert result.code == 0, result.output
    parsed = bibtexparser.parse_string((root / "library.bib").read_text(encoding="utf-8"))
    assert [e.key for e in parsed.entries] == ["smith2020tags"] and not parsed.failed_blocks
    assert open_project(root).library.get("smith2020tags").entry.text("title") == (
        "Tags of another shape"
    )


def test_zotero_push_after_a_pull_in_one_process() -> None:
    """In a fresh interpreter, importing the pull module (as a pull does; it imports push.py)
    leaves ``cytobib.zotero.push``/``pull``/``status`` the functions ``cytobib.zotero_push``
    calls: after a pull, a push in the same process was "'module' object is not callable"
    (exit 70)."""
    pytest.importorskip("pyzotero", reason="Zotero sync needs pyzotero (README: Zotero sync)")
    code = (
        "import cytobib.zotero.pull, cytobib.zotero.status\n"
        "from cytobib import zotero\n"
        "print([callable(zotero.push), callable(zotero.pull), callable(zotero.status)])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[True, True, True]"
