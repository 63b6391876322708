"""`cytobib export`: format from --to or the -o suffix, --where, --notes, --tags, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cytobib.cli.export_cmds  # noqa: F401 - registers export/import on the app

DATA = Path(__file__).parent / "data" / "export"

Cli = Callable[..., Any]


def test_stdout_csl_json(cli: Cli) -> None:
    """Without -o the export goes to standard output."""
    result = cli("export", "-C", DATA, "--to", "csl-json")
    assert result.code == 0, result.err
    assert json.loads(result.out)[0]["id"] == "panek2021ifn"


def test_output_suffix_picks_the_format(cli: Cli, tmp_path: Path) -> None:
    """-o refs.ris writes RIS with CRLF line endings, and says what it wrote."""
    out = tmp_path / "refs.ris"
    result = cli("export", "-C", DATA, "-o", out)
    assert result.code == 0, result.err
    data = out.read_bytes()
    assert data.startswith(b"TY  - JOUR\r\n")
    assert data.count(b"ER  - \r\n") == 5
    assert "exported 5 entries as ris" in result.err


def test_to_wins_over_suffix(cli: Cli, tmp_path: Path) -> None:
    """--to biblatex -o refs.bib writes BibLaTeX (the suffix alone would mean BibTeX)."""
    out = tmp_path / "refs.bib"
    assert cli("export", "-C", DATA, "--to", "biblatex", "-o", out).code == 0
    assert "journaltitle" in out.read_text("utf-8")


def test_unknown_format_is_a_usage_error(cli: Cli) -> None:
    """An unknown --to exits 2 and names the known formats."""
    result = cli("export", "-C", DATA, "--to", "endnote")
    assert result.code == 2
    assert "bibtex, biblatex, csl-json, ris" in result.err


def test_unknown_suffix_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    """-o refs.txt without --to exits 2 and writes nothing."""
    out = tmp_path / "refs.txt"
    result = cli("export", "-C", DATA, "-o", out)
    assert result.code == 2
    assert "--to" in result.err
    assert not out.exists()


def test_notes_and_tags_options(cli: Cli) -> None:
    """--notes none and --tags agents shape what goes in; a bad facet exits 2."""
    result = cli("export", "-C", DATA, "--to", "ris", "--notes", "none", "--tags", "agents")
    assert result.code == 0
    assert "N1  - <h1>" not in result.out
    assert "KW  - agent: aldesleukin" in result.out
    assert "KW  - cancer: melanoma" not in result.out
    assert "KW  - status: retracted" in result.out
    assert cli("export", "-C", DATA, "--to", "ris", "--tags", "agent").code == 2
    assert cli("export", "-C", DATA, "--to", "ris", "--notes", "some").code == 2


def test_list_formats(cli: Cli) -> None:
    """--list-formats names every format with its aliases and suffixes."""
    result = cli("export", "--list-formats")
    assert result.code == 0
    assert [line.split()[0] for line in result.out.splitlines()] == [
        "bibtex",
        "biblatex",
        "csl-json",
        "ris",
    ]


def test_where_filters_records(cli: Cli) -> None:
    """--where keeps only matching records (through cytobib.query's filter language)."""
    pytest.importorskip("cytobib.query")
    result = cli("export", "-C", DATA, "--to", "csl-json", "--where", 'agent == "IL-2"')
    assert result.code == 0, result.err
    assert [i["id"] for i in json.loads(result.out)] == ["panek2021ifn", "Smith_2018-IL2.b"]
    result = cli("export", "-C", DATA, "--to", "ris", "--where", "retracted")
    assert result.out.count("TY  - ") == 1


def test_bad_where_is_a_usage_error(cli: Cli) -> None:
    """A --where that does not parse exits 2 with the filter's message."""
    pytest.importorskip("cytobib.query")
    result = cli("export", "-C", DATA, "--to", "ris", "--where", "agent ==")
    assert result.code == 2
    assert result.err.startswith("error: ")


def test_output_into_a_new_folder_creates_it(cli: Cli, tmp_path: Path) -> None:
    """`export -o newdir/x.bib` exited 5 where `reading-list -o newdir/...` made the folder."""
    out = tmp_path / "new" / "deeper" / "library.ris"
    result = cli("export", "-C", DATA, "-o", out)
    assert result.code == 0, result.output
    assert out.read_bytes().startswith(b"TY  - ")


def test_output_under_a_file_is_a_write_error(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = cli("export", "-C", DATA, "-o", tmp_path / "afile" / "x.ris")
    assert result.code == 5 and "Cannot create the folder" in result.err
    assert "Traceback" not in result.output
