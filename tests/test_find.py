"""Finding and reading (issue 14): `cytobib list` with --where, --search and --sort (also
descending, for every view), `cytobib show KEY`, and `init --bib`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cytobib
from cytobib.cli import _errors
from cytobib.library import open_project

Cli = Callable[..., Any]
MakeProject = Callable[..., Path]

BIB = r"""@article{rosenberg2014il2,
  author = {Rosenberg, Steven A.},
  title = {{IL-2}: the first effective immunotherapy for human cancer},
  journal = {J Immunol},
  year = {2014},
  doi = {10.4049/jimmunol.1490019},
  abstract = {High-dose interleukin-2 gave durable responses.},
}
@article{koreth2011,
  author = {Koreth, John and Matsuoka, Ken-ichi},
  title = {Interleukin-2 and regulatory {T} cells in graft-versus-host disease},
  journal = {N Engl J Med},
  year = {2011},
  abstract = {Daily low-dose IL-2 expanded regulatory T cells.},
}
@article{lasfar2016,
  author = {Lasfar, Ahmed and Gogas, Helen},
  title = {{IFN}-$\lambda$ cancer immunotherapy: new kid on the block},
  journal = {Immunotherapy},
  year = {2016},
  abstract = {IL-21 and IFN-lambda in r\'{e}nal tumours.},
}
@article{nodate,
  author = {Zed, Zoe},
  title = {An undated work},
  journal = {J},
}
"""
ANNOTATIONS = {
    "rosenberg2014il2": """\
summary: The review that made high-dose IL-2 standard in melanoma.
status: read
priority: 1
agents:
  - name: Proleukin
    role: primary
cancers: [melanoma, renal cell carcinoma]
claims:
  - text: Complete responses are durable.
    evidence: clinical-trial
    numbers: CR 7%
caveats: [Toxicity needs an ICU.]
tags: [high-dose]
""",
    "koreth2011": """\
summary: Low-dose IL-2 raised Treg counts in chronic GVHD.
status: to-read
priority: 3
agents:
  - name: IL-2
    dose: 1 MIU/m2
cancers: [haematological malignancies]
""",
}


@pytest.fixture
def root(make_project: MakeProject) -> Path:
    return make_project(BIB, ANNOTATIONS)


def listed(cli: Cli, root: Path, *args: str) -> list[str]:
    result = cli("list", "-C", root, "--format", "keys", *args)
    assert result.code == 0, result.output
    return result.out.split()


# --- list ----------------------------------------------------------------------------------------


def test_list_one_line_per_work(cli: Cli, root: Path) -> None:
    """The table: one line per work with key, first author, year, title, agents, status."""
    result = cli("list", "-C", root)
    assert result.code == 0, result.output
    lines = result.out.splitlines()
    assert lines[0].split()[:4] == ["KEY", "AUTHOR", "YEAR", "TITLE"]
    body = {line.split()[0]: line for line in lines[1:]}
    assert set(body) == {"rosenberg2014il2", "koreth2011", "lasfar2016", "nodate"}
    assert "Rosenberg" in body["rosenberg2014il2"]
    assert "2014" in body["rosenberg2014il2"]
    assert "aldesleukin" in body["rosenberg2014il2"]
    assert "read" in body["rosenberg2014il2"]
    assert "no notes" in body["lasfar2016"]
    assert "4 works" in result.err


def test_list_shows_problems(cli: Cli, make_project: MakeProject) -> None:
    """A work with a problem names its code in the last column."""
    root = make_project(BIB.replace("{10.4049/jimmunol.1490019}", "{10.abc/x}"), ANNOTATIONS)
    result = cli("list", "-C", root)
    line = next(x for x in result.out.splitlines() if x.startswith("rosenberg2014il2"))
    assert "bad-doi" in line


def test_list_json(cli: Cli, root: Path) -> None:
    rows = json.loads(cli("list", "-C", root, "--format", "json").out)
    by_key = {row["key"]: row for row in rows}
    assert by_key["koreth2011"]["agents"] == ["aldesleukin"]
    assert by_key["koreth2011"]["first_author"] == "Koreth"
    assert by_key["nodate"]["year"] is None
    assert by_key["nodate"]["problems"][0]["code"] == "missing-field"


def test_list_where(cli: Cli, root: Path) -> None:
    assert listed(cli, root, "--where", 'agent == "IL-2"') == ["koreth2011", "rosenberg2014il2"]


def test_list_where_in_abstract(cli: Cli, root: Path) -> None:
    """`"IL-2" in abstract` (an unknown field before) is a substring test: IL-21 has it too
    (--search and `~` tell them apart)."""
    assert listed(cli, root, "--where", '"IL-2" in abstract') == ["koreth2011", "lasfar2016"]
    assert listed(cli, root, "--where", r'abstract ~ "IL-2\b"') == ["koreth2011"]


def test_list_search_finds_il2_across_entry_and_notes(cli: Cli, root: Path) -> None:
    """--search IL-2 finds "IL-2", "interleukin-2"-free text by the annotation (koreth's
    notes say IL-2), the title's {IL-2}, but not IL-21 (lasfar2016)."""
    assert listed(cli, root, "--search", "IL-2") == ["koreth2011", "rosenberg2014il2"]


def test_list_search_ignores_case_and_accents(cli: Cli, root: Path) -> None:
    assert listed(cli, root, "--search", "RENAL TUMOURS") == ["lasfar2016"]
    assert listed(cli, root, "--search", "rénal tumours") == ["lasfar2016"]


def test_list_search_all_terms(cli: Cli, root: Path) -> None:
    """Every term must be found; a quoted phrase is one term."""
    assert listed(cli, root, "--search", "low-dose Treg") == ["koreth2011"]
    assert listed(cli, root, "--search", '"regulatory T cells"') == ["koreth2011"]
    assert listed(cli, root, "--search", "IL-2 melanoma") == ["rosenberg2014il2"]


def test_list_search_reads_every_annotation_text(cli: Cli, root: Path) -> None:
    """Claims' numbers, caveats, tags and agent doses are searched too."""
    assert listed(cli, root, "--search", "CR 7%") == ["rosenberg2014il2"]
    assert listed(cli, root, "--search", "ICU") == ["rosenberg2014il2"]
    assert listed(cli, root, "--search", "1 MIU") == ["koreth2011"]


def test_list_sort_descending(cli: Cli, root: Path) -> None:
    """--sort -year: newest first, a work without a year last."""
    assert listed(cli, root, "--sort", "-year") == [
        "lasfar2016", "rosenberg2014il2", "koreth2011", "nodate"
    ]  # fmt: skip
    assert listed(cli, root, "--sort", "year") == [
        "koreth2011", "rosenberg2014il2", "lasfar2016", "nodate"
    ]  # fmt: skip


def test_list_unknown_agent_warns_with_did_you_mean(cli: Cli, root: Path) -> None:
    """An unknown agent in a filter returned 0 works without a word; now it warns."""
    result = cli("list", "-C", root, "--where", 'agent == "aldesleukn"')
    assert result.code == 0
    assert "warning:" in result.err
    assert "Did you mean" in result.err
    assert "aldesleukin" in result.err


def test_list_is_a_library_function(root: Path) -> None:
    listing = cytobib.list_works(open_project(root), search="IL-2", sort="-year")
    assert [row.key for row in listing.rows] == ["rosenberg2014il2", "koreth2011"]
    assert listing.total == 4


def test_list_bad_sort_is_a_usage_error(cli: Cli, root: Path) -> None:
    result = cli("list", "-C", root, "--sort", "-colour")
    assert result.code == _errors.EXIT_USAGE
    assert "-year" in result.err


# --- descending sorts in every view --------------------------------------------------------------


@pytest.mark.parametrize("command", ["reading-list", "review-table", "evidence-map"])
def test_every_view_sorts_descending(cli: Cli, root: Path, command: str) -> None:
    """`--sort -year` numbers the newest work first in every view."""
    result = cli(command, "-C", root, "--sort", "-year", "--format", "md")
    assert result.code == 0, result.output
    assert result.out.index("Rosenberg") < result.out.index("Koreth"), result.out


def test_reading_list_descending_numbers(root: Path) -> None:
    view = cytobib.reading_list(open_project(root), sort="-year", group_by=None)
    assert [i.record.key for i in view.items] == [
        "lasfar2016", "rosenberg2014il2", "koreth2011", "nodate"
    ]  # fmt: skip


# --- show ----------------------------------------------------------------------------------------


def test_show_prints_entry_notes_and_problems(
    cli: Cli, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)
    result = cli("show", "rosenberg2014il2", "-C", root)
    assert result.code == 0, result.output
    out = result.out
    for text in (
        "IL-2: the first effective immunotherapy for human cancer",
        "Rosenberg",
        "J Immunol",
        "2014",
        "10.4049/jimmunol.1490019",
        "High-dose interleukin-2 gave durable responses.",
        "The review that made high-dose IL-2 standard in melanoma.",
        "Aldesleukin",
        "Complete responses are durable.",
        "clinical-trial",
        "Toxicity needs an ICU.",
        "annotations/rosenberg2014il2.yaml",
    ):
        assert text in out, text


def test_show_names_problems(cli: Cli, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A work without notes says how to write them; a missing field is listed with its line."""
    monkeypatch.chdir(root)
    result = cli("show", "nodate", "-C", root)
    assert result.code == 0, result.output
    assert "cytobib edit nodate" in result.out
    assert "missing-field" in result.out
    assert "library.bib:" in result.out


def test_show_unknown_key_suggests(cli: Cli, root: Path) -> None:
    result = cli("show", "rosenberg2014", "-C", root)
    assert result.code == _errors.EXIT_INPUT
    assert "rosenberg2014il2" in result.err


def test_show_escapes_terminal_sequences(cli: Cli, make_project: MakeProject) -> None:
    """A title carrying an escape sequence is printed without it (the one door)."""
    root = make_project("@misc{evil, title = {Hi \x1b]0;owned\x07 there}}\n")
    result = cli("show", "evil", "-C", root)
    assert result.code == 0, result.output
    assert "\x1b" not in result.out
    assert "Hi" in result.out


def test_show_json(cli: Cli, root: Path) -> None:
    data = json.loads(cli("show", "koreth2011", "-C", root, "--format", "json").out)
    assert data["key"] == "koreth2011"
    assert data["annotation"]["summary"].startswith("Low-dose IL-2")
    assert data["fields"]["journal"] == "N Engl J Med"


# --- init --bib ----------------------------------------------------------------------------------


def test_init_accepts_bib(cli: Cli, tmp_path: Path) -> None:
    """`init --bib refs.bib` (every command takes --bib) makes a project around that file:
    cytobib.toml names it, and no library.bib is created beside it."""
    refs = tmp_path / "refs.bib"
    refs.write_text(BIB, encoding="utf-8")
    result = cli("init", tmp_path, "--bib", refs)
    assert result.code == 0, result.output
    assert 'bib = "refs.bib"' in (tmp_path / "cytobib.toml").read_text(encoding="utf-8")
    assert not (tmp_path / "library.bib").exists()
    assert refs.read_text(encoding="utf-8") == BIB
    assert listed(cli, tmp_path) == ["koreth2011", "lasfar2016", "rosenberg2014il2", "nodate"]
