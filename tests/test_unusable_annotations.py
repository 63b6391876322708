"""Errors never pass silently: an annotation file that cannot be used (bad YAML, a value the
schema refuses, not UTF-8) stops every command that shows notes, naming file:line:column and
the fix, unless --keep-going, which writes the rest with a warning in the output itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cytobib
from cytobib import errors
from cytobib.cli import _errors
from cytobib.library import open_project

Cli = Callable[..., Any]
MakeProject = Callable[..., Path]

BIB = """@article{good2020,
  author = {Good, Ann},
  title = {Aldesleukin in melanoma},
  journal = {J Immunol},
  year = {2020},
}
@article{broken2021,
  author = {Broken, Bob},
  title = {Interleukin-2 and regulatory T cells},
  journal = {Blood},
  year = {2021},
}
"""
GOOD = "summary: Works well.\nagents:\n  - name: aldesleukin\ncancers: [melanoma]\n"
# A colon inside an unquoted value: the mistake the issue saw drop a paper's notes.
BAD_YAML = "summary: IL-2: low dose expands Tregs\nagents:\n  - name: aldesleukin\n"
BAD_SCHEMA = "summary: Fine text.\npriority: 9\ncancers: [melanoma]\n"


@pytest.fixture
def broken(make_project: MakeProject) -> Path:
    return make_project(BIB, {"good2020": GOOD, "broken2021": BAD_YAML})


VIEW_COMMANDS = [
    ("reading-list",),
    ("review-table",),
    ("evidence-map",),
    ("export", "--to", "ris"),
    ("list",),
]


@pytest.mark.parametrize("args", VIEW_COMMANDS, ids=lambda a: a[0])
def test_a_yaml_mistake_stops_the_command(cli: Cli, broken: Path, args: tuple[str, ...]) -> None:
    """The file that cannot be read is named with line and column and a fix; exit 3, and no
    output is written (it would silently lack that paper's notes)."""
    result = cli(*args, "-C", broken)
    assert result.code == _errors.EXIT_INPUT, result.output
    assert result.out == ""
    assert "broken2021.yaml:1:" in result.err
    assert "hint:" in result.err
    assert "--keep-going" in result.err
    assert "Traceback" not in result.output


def test_build_stops_and_writes_nothing(cli: Cli, broken: Path) -> None:
    """`build` no longer warns and carries on: it stops before writing any output."""
    result = cli("build", "-C", broken)
    assert result.code == _errors.EXIT_INPUT, result.output
    assert "broken2021.yaml" in result.err
    assert not (broken / "build").exists()


def test_a_schema_error_stops_the_command_too(cli: Cli, make_project: MakeProject) -> None:
    """A value the schema refuses (priority 9) is an unusable file as well, at its line."""
    root = make_project(BIB, {"good2020": GOOD, "broken2021": BAD_SCHEMA})
    result = cli("reading-list", "-C", root)
    assert result.code == _errors.EXIT_INPUT
    assert "broken2021.yaml:2:11" in result.err


@pytest.mark.parametrize(
    "field", ["agents: 5", "claims: 7", "verified: 3", "agents: 2.5", "agents: aldesleukin"]
)
def test_a_list_field_of_another_type_is_a_schema_error(
    cli: Cli, make_project: MakeProject, field: str
) -> None:
    """`agents: 5` (a number where a list goes) stopped every command with exit 70 (an
    internal error), --keep-going and `show` included: it is a schema error at its line."""
    root = make_project(BIB, {"good2020": GOOD, "broken2021": f"summary: Fine.\n{field}\n"})
    result = cli("reading-list", "-C", root)
    assert result.code == _errors.EXIT_INPUT, result.output
    assert "broken2021.yaml:2:" in result.err
    for args in (("reading-list", "--keep-going"), ("show", "broken2021"), ("list",)):
        result = cli(*args, "-C", root)
        assert result.code in (0, _errors.EXIT_INPUT), result.output
        assert "internal error" not in result.output
        assert "broken2021" in result.output


@pytest.mark.parametrize("fmt", ["md", "html", "tex", "txt"])
def test_keep_going_warns_in_the_reading_list(cli: Cli, broken: Path, fmt: str) -> None:
    """With --keep-going the list is written, and says at its top which file was left out."""
    result = cli("reading-list", "-C", broken, "--keep-going", "--format", fmt)
    assert result.code == 0, result.output
    head = result.out[: result.out.index("Good")]  # the banner comes before the first work
    assert "broken2021.yaml" in head
    assert "left out" in head
    assert "broken2021.yaml" in result.err  # and the terminal says so too


@pytest.mark.parametrize("fmt", ["md", "html", "tex", "csv"])
def test_keep_going_warns_in_the_review_table(cli: Cli, broken: Path, fmt: str) -> None:
    result = cli("review-table", "-C", broken, "--keep-going", "--format", fmt, "--all")
    assert result.code == 0, result.output
    assert "broken2021.yaml" in result.out


def test_keep_going_warns_in_the_evidence_map(cli: Cli, broken: Path) -> None:
    result = cli("evidence-map", "-C", broken, "--keep-going")
    assert result.code == 0, result.output
    assert "broken2021.yaml" in result.out.split("|")[0]


def test_keep_going_build_warns_in_every_view(cli: Cli, broken: Path) -> None:
    result = cli("build", "-C", broken, "--keep-going")
    assert result.code == 0, result.output
    for name in ("reading-list.md", "review-table.md", "evidence-map.md", "reading-list.html"):
        assert "broken2021.yaml" in (broken / "build" / name).read_text(encoding="utf-8"), name


def test_keep_going_list_shows_the_problem(cli: Cli, broken: Path) -> None:
    """`list --keep-going` lists every work, the broken one with its problem code."""
    result = cli("list", "-C", broken, "--keep-going", "--format", "json")
    assert result.code == 0, result.output
    rows = {row["key"]: row for row in json.loads(result.out)}
    assert [p["code"] for p in rows["broken2021"]["problems"]] == ["annotation-yaml"]


def test_the_library_raises_unless_keep_going(broken: Path) -> None:
    """cytobib.reading_list (and the other views) raise with every unusable file; with
    keep_going the view carries the notice the formats print."""
    project = open_project(broken)
    with pytest.raises(errors.UnusableAnnotations) as info:
        cytobib.reading_list(project)
    assert [i.key for i in info.value.issues] == ["broken2021"]
    view = cytobib.reading_list(project, keep_going=True)
    assert any("broken2021.yaml" in n for n in view.notices)
    for make in (cytobib.review_table, cytobib.evidence_map):
        with pytest.raises(errors.UnusableAnnotations):
            make(project)


def test_a_clean_library_has_no_notice(make_project: MakeProject) -> None:
    project = open_project(make_project(BIB, {"good2020": GOOD}))
    assert cytobib.reading_list(project).notices == ()


def test_show_names_the_problem_and_fails(cli: Cli, broken: Path) -> None:
    """`show` of the work whose notes cannot be read shows the entry and the problem, and
    exits 3; another work's broken file does not stop it."""
    result = cli("show", "broken2021", "-C", broken)
    assert result.code == _errors.EXIT_INPUT
    assert "Interleukin-2 and regulatory T cells" in result.out
    assert "annotation-yaml" in result.out
    assert cli("show", "good2020", "-C", broken).code == 0


def test_keep_going_export_warns_on_stderr(cli: Cli, broken: Path) -> None:
    """An export has no room for a banner: --keep-going exports the rest and says on stderr
    which file's notes are missing."""
    result = cli("export", "-C", broken, "--to", "ris", "--keep-going")
    assert result.code == 0, result.output
    assert "Interleukin-2 and regulatory T cells" in result.out
    assert "warning:" in result.err
    assert "broken2021.yaml" in result.err


def test_an_export_format_it_cannot_tell_is_named_before_the_notes(cli: Cli, broken: Path) -> None:
    """A usage mistake (no --to, no -o suffix to tell the format by) is reported first: fixing
    the notes would not make the command work."""
    result = cli("export", "-C", broken)
    assert result.code == 2, result.err
    assert "cannot be used" not in result.err
