"""The library API is as complete as the CLI: each command has a function in ``cytobib``, the
command calls it, and the functions behave as the commands do."""

from __future__ import annotations

import inspect
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cytobib
from cytobib import api, rendering
from cytobib.errors import AnnotationFileError, UnknownKeyError
from cytobib.formats import registry
from cytobib.library import open_project
from test_docs import COMMANDS

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

# Commands whose function is not named like them.
FUNCTION_OF = {
    "annotate": "write_stubs",
    "list": "list_works",
    "import": "import_file",
    "cache info": "cache_info",
    "cache clear": "clear_cache",
    "zotero push": "zotero_push",
    "zotero pull": "zotero_pull",
    "zotero status": "zotero_status",
}
GROUPS = {"cache", "zotero"}  # command groups: their subcommands have the functions


def function_of(command: str) -> str:
    return FUNCTION_OF.get(command, command.replace("-", "_"))


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - GROUPS))
def test_every_command_has_a_library_function(command: str) -> None:
    """`cytobib X` has `cytobib.X` (or its documented name): exported, documented, and the
    function the command calls."""
    name = function_of(command)
    assert name in cytobib.__all__, f"`cytobib {command}` has no cytobib.{name}"
    function = getattr(cytobib, name)
    assert callable(function)
    assert (function.__doc__ or "").strip(), f"cytobib.{name} has no docstring"
    source = inspect.getsource(COMMANDS[command].callback)
    assert re.search(rf"\b{function.__name__}\b", source), (
        f"`cytobib {command}` does not call {function.__module__}.{function.__name__}"
    )
    assert f"``cytobib {command}``" in (api.__doc__ or ""), f"api.py does not list {command}"


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A writable copy of the shipped library (library.bib, annotations/, cytobib.toml)."""
    root = tmp_path / "shipped"
    root.mkdir()
    shutil.copy(REPO / "library.bib", root / "library.bib")
    shutil.copy(REPO / "cytobib.toml", root / "cytobib.toml")
    shutil.copytree(REPO / "annotations", root / "annotations")
    return root


def test_readme_library_example_runs(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's "Use it as a library" block runs as written, in the shipped library."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Use it as a library") :]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert block is not None
    monkeypatch.chdir(shipped)
    exec(compile(block.group(1), "README.md", "exec"), {})
    assert (shipped / "table.md").read_text(encoding="utf-8").startswith("# Review table")


def test_render_by_name_uses_the_views_project(shipped: Path) -> None:
    """cytobib.render(view, "md") gives what the format gives with the project's context."""
    project = open_project(shipped)
    view = cytobib.review_table(project, rows="agent")
    expected = rendering.render(view, registry.get("md"), rendering.context(project))
    assert cytobib.render(view, "md") == expected
    assert cytobib.render(view, "markdown") == expected


def test_render_a_view_built_without_a_project() -> None:
    """A view made by hand renders with the packaged vocabulary and templates."""
    from viewkit import hostile_table

    assert "Review" in str(cytobib.render(hostile_table(("citation",)), "md"))


def test_check_report_counts_and_threshold(shipped: Path) -> None:
    """check() is what `cytobib check` prints: counts, the --fail-on decision, the JSON."""
    report = cytobib.check(open_project(shipped))
    counts = report.counts
    assert counts["error"] == 0
    assert report.fails("error") is False
    assert report.fails("warning") is (counts["warning"] > 0)
    assert report.fails("never") is False
    assert report.as_dict()["summary"] == counts
    assert report.as_dict()["entries"] == report.entries > 0


def test_export_is_the_cli_export(shipped: Path, cli: Any) -> None:
    """cytobib.export gives the text `cytobib export` writes."""
    result = cli("export", "-C", shipped, "--to", "ris", "--notes", "summary")
    exported = cytobib.export(open_project(shipped), "ris", notes="summary")
    assert exported.text == result.out
    assert exported.format == "ris"


def test_write_stubs_suggests_close_keys(shipped: Path) -> None:
    """An unknown key is an error whose hint names the closest keys; nothing is written."""
    project = open_project(shipped)
    key = next(r.key for r in project.library)
    before = sorted(os.listdir(shipped / "annotations"))
    with pytest.raises(UnknownKeyError) as info:
        cytobib.write_stubs(project, [key + "x"])
    assert key in (info.value.hint or "")
    assert sorted(os.listdir(shipped / "annotations")) == before


def test_write_stubs_refuses_an_unsafe_key_before_writing(
    make_project: Callable[..., Path],
) -> None:
    """A key that cannot be a file name fails with its file:line, and no stub is written."""
    root = make_project("@misc{good, title = {A}}\n@misc{../bad, title = {B}}\n")
    project = open_project(root)
    with pytest.raises(AnnotationFileError) as info:
        cytobib.write_stubs(project, ["good", "../bad"])
    assert info.value.where is not None
    assert info.value.where.line == 2
    assert not list((root / "annotations").iterdir())


def test_write_stubs_missing(make_project: Callable[..., Path]) -> None:
    """missing=True writes a stub for every entry without one, and returns the files."""
    root = make_project("@misc{a, title = {A}}\n@misc{b, title = {B}}\n", {"a": "summary: x\n"})
    stubs = cytobib.write_stubs(open_project(root), missing=True)
    assert [p.name for p in stubs.written] == ["b.yaml"]
    assert stubs.skipped == ()


def test_write_stubs_skips_existing_files(make_project: Callable[..., Path]) -> None:
    """A key whose file exists is skipped (and said so); the others are written."""
    root = make_project("@misc{a, title = {A}}\n@misc{b, title = {B}}\n", {"a": "summary: x\n"})
    stubs = cytobib.write_stubs(open_project(root), ["a", "b"])
    assert [p.name for p in stubs.written] == ["b.yaml"]
    assert [p.name for p in stubs.skipped] == ["a.yaml"]
    assert (root / "annotations" / "a.yaml").read_text(encoding="utf-8") == "summary: x\n"


def test_import_file_dry_run_writes_nothing(shipped: Path, snapshot: Any) -> None:
    """import_file(dry_run=True) returns the plan and leaves every file alone."""
    before = snapshot(shipped)
    plan = cytobib.import_file(
        open_project(shipped), REPO / "tests" / "data" / "export" / "zotero-export.ris",
        dry_run=True,
    )  # fmt: skip
    assert plan.added
    assert snapshot(shipped) == before
