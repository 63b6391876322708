"""Editing notes (issue 14): `cytobib edit KEY` opens $VISUAL/$EDITOR on the annotation (a stub
if there is none), checks it when the editor closes and offers to reopen it on errors, as
`crontab -e` and `git commit` do; `annotate` skips existing files and finishes the batch.

The editor is a real program: a small Python script that writes the next of a queue of texts
into the file it is given and logs what it saw; answers to the prompt come on stdin.
"""

from __future__ import annotations

import io
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cytobib
from cytobib.cli import _errors
from cytobib.library import open_project

Cli = Callable[..., Any]
MakeProject = Callable[..., Path]

BIB = """@article{rosenberg2014il2,
  author = {Rosenberg, Steven A.},
  title = {{IL-2}: the first effective immunotherapy for human cancer},
  journal = {J Immunol},
  year = {2014},
}
@article{koreth2011,
  author = {Koreth, John},
  title = {Interleukin-2 and regulatory T cells},
  journal = {N Engl J Med},
  year = {2011},
}
"""
OLD = "summary: First notes.\nstatus: to-read\n"
NEW = "summary: Better notes.\nstatus: read\npriority: 2\n"
BAD_YAML = "summary: IL-2: low dose\nstatus: read\n"  # ': ' in an unquoted value
BAD_SCHEMA = "summary: Fine.\npriority: 9\n"
UNKNOWN_AGENT = "summary: Fine.\nagents:\n  - name: aldesleukn\n"

EDITOR = """\
import json, pathlib, sys
queue, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
rounds = json.loads(queue.read_text(encoding="utf-8"))
with queue.with_suffix(".log").open("a", encoding="utf-8") as log:
    log.write(json.dumps([str(target), target.read_text(encoding="utf-8")]) + "\\n")
content = rounds.pop(0)
queue.write_text(json.dumps(rounds), encoding="utf-8")
if isinstance(content, dict):  # {"also": path, "text": ...}: another writer meanwhile
    pathlib.Path(content["also"]).write_text(content["text"], encoding="utf-8")
    content = content.get("then")
if content is None:
    sys.exit(1)  # an editor that fails, or vim's :cq
if content == "__same__":  # closed without a change
    content = target.read_text(encoding="utf-8")
target.write_text(content, encoding="utf-8")
"""


class Editor:
    """The fake editor: ``rounds`` are the texts it writes, one per time it is opened."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.script = folder / "editor.py"
        self.script.write_text(EDITOR, encoding="utf-8")
        self.queue = folder / "queue.json"
        self.monkeypatch = monkeypatch
        command = f"{shlex.quote(sys.executable)} {shlex.quote(str(self.script))}"
        self.command = f"{command} {shlex.quote(str(self.queue))}"
        monkeypatch.setenv("EDITOR", self.command)
        monkeypatch.delenv("VISUAL", raising=False)

    def will_write(self, *rounds: Any, answers: str = "") -> None:
        self.queue.write_text(json.dumps(list(rounds)), encoding="utf-8")
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(answers))

    @property
    def seen(self) -> list[tuple[str, str]]:
        """(file, text) the editor was opened on, each time."""
        log = self.queue.with_suffix(".log")
        if not log.exists():
            return []
        return [tuple(json.loads(line)) for line in log.read_text("utf-8").splitlines()]

    @property
    def left(self) -> list[Any]:
        return list(json.loads(self.queue.read_text(encoding="utf-8")))


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Editor:
    return Editor(tmp_path, monkeypatch)


@pytest.fixture
def root(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(BIB, {"rosenberg2014il2": OLD})
    monkeypatch.chdir(root)
    return root


def note(root: Path, key: str) -> str:
    return (root / "annotations" / f"{key}.yaml").read_text(encoding="utf-8")


def test_edit_saves_a_valid_edit(cli: Cli, root: Path, editor: Editor) -> None:
    """The editor is opened on the notes as they are; a valid edit replaces the file."""
    editor.will_write(NEW)
    result = cli("edit", "rosenberg2014il2")
    assert result.code == 0, result.output
    assert note(root, "rosenberg2014il2") == NEW
    assert editor.seen[0][1] == OLD
    assert "saved annotations/rosenberg2014il2.yaml" in result.output
    assert not list((root / ".cytobib").glob("editing-*"))  # no draft left behind


def test_edit_without_notes_starts_from_a_stub(cli: Cli, root: Path, editor: Editor) -> None:
    editor.will_write(NEW)
    result = cli("edit", "koreth2011")
    assert result.code == 0, result.output
    assert "summary:" in editor.seen[0][1]
    assert "koreth2011" in editor.seen[0][1]  # the stub names the work
    assert note(root, "koreth2011") == NEW


def test_an_unchanged_stub_writes_nothing(cli: Cli, root: Path, editor: Editor) -> None:
    """Closing the editor on an untouched stub leaves no file behind."""
    editor.will_write("__same__")
    result = cli("edit", "koreth2011")
    assert result.code == 0, result.output
    assert "no changes" in result.output
    assert not (root / "annotations" / "koreth2011.yaml").exists()


def test_unchanged_notes_are_not_rewritten(cli: Cli, root: Path, editor: Editor) -> None:
    path = root / "annotations" / "rosenberg2014il2.yaml"
    before = path.stat().st_mtime_ns
    editor.will_write("__same__")
    result = cli("edit", "rosenberg2014il2")
    assert result.code == 0, result.output
    assert "no changes" in result.output
    assert path.stat().st_mtime_ns == before


def test_errors_are_named_and_the_editor_reopens(cli: Cli, root: Path, editor: Editor) -> None:
    """A YAML mistake is shown with file:line:column and its fix, and `e` reopens the
    editor on the text as left (not on the old notes); the fixed text is saved."""
    editor.will_write(BAD_YAML, NEW, answers="e\n")
    result = cli("edit", "rosenberg2014il2")
    assert result.code == 0, result.output
    assert ".yaml:1:" in result.err
    assert "quotes" in result.err  # the hint: put the value in quotes
    assert [text for _, text in editor.seen] == [OLD, BAD_YAML]
    assert note(root, "rosenberg2014il2") == NEW


def test_a_schema_error_also_offers_to_reopen(cli: Cli, root: Path, editor: Editor) -> None:
    editor.will_write(BAD_SCHEMA, NEW, answers="\n")  # Enter: the default is to edit again
    result = cli("edit", "rosenberg2014il2")
    assert result.code == 0, result.output
    assert "priority" in result.err
    assert note(root, "rosenberg2014il2") == NEW


def test_discard_keeps_the_old_notes(cli: Cli, root: Path, editor: Editor) -> None:
    editor.will_write(BAD_YAML, answers="d\n")
    result = cli("edit", "rosenberg2014il2")
    assert result.code == 0, result.output
    assert note(root, "rosenberg2014il2") == OLD
    assert "discarded" in result.output
    assert not list((root / ".cytobib").glob("editing-*"))


def test_save_anyway_writes_the_invalid_file(cli: Cli, root: Path, editor: Editor) -> None:
    """The reader may save a broken file on purpose; the commands that show notes will then
    name it (errors never pass silently)."""
    editor.will_write(BAD_YAML, answers="s\n")
    result = cli("edit", "rosenberg2014il2")
    assert result.code == 0, result.output
    assert note(root, "rosenberg2014il2") == BAD_YAML
    assert "warning" in result.err
    assert cli("reading-list").code == _errors.EXIT_INPUT


def test_no_answer_keeps_the_draft_to_resume(cli: Cli, root: Path, editor: Editor) -> None:
    """Without an answer (end of input) nothing is lost: the edit stays in a draft that the
    next `cytobib edit KEY` opens again."""
    editor.will_write(BAD_YAML, answers="")
    result = cli("edit", "rosenberg2014il2")
    assert result.code == _errors.EXIT_INPUT
    assert note(root, "rosenberg2014il2") == OLD
    assert "editing-rosenberg2014il2.yaml" in result.err
    editor.will_write(NEW)
    again = cli("edit", "rosenberg2014il2")
    assert again.code == 0, again.output
    assert editor.seen[-1][1] == BAD_YAML  # resumed where it was left
    assert note(root, "rosenberg2014il2") == NEW


def test_warnings_do_not_stop_the_save(cli: Cli, root: Path, editor: Editor) -> None:
    """An unknown agent is a warning: saved, and shown with its 'did you mean'."""
    editor.will_write(UNKNOWN_AGENT)
    result = cli("edit", "rosenberg2014il2")
    assert result.code == 0, result.output
    assert note(root, "rosenberg2014il2") == UNKNOWN_AGENT
    assert "aldesleukin" in result.err


def test_a_failing_editor_changes_nothing(cli: Cli, root: Path, editor: Editor) -> None:
    editor.will_write(None)
    result = cli("edit", "rosenberg2014il2")
    assert result.code == _errors.EXIT_USAGE
    assert "editor" in result.err
    assert note(root, "rosenberg2014il2") == OLD


def test_visual_wins_over_editor(
    cli: Cli, root: Path, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUAL", editor.command)
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    editor.will_write(NEW)
    assert cli("edit", "rosenberg2014il2").code == 0
    assert note(root, "rosenberg2014il2") == NEW


def test_a_missing_editor_is_a_clear_error(
    cli: Cli, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "/nonexistent/editor --wait")
    monkeypatch.delenv("VISUAL", raising=False)
    result = cli("edit", "rosenberg2014il2")
    assert result.code == _errors.EXIT_USAGE
    assert "/nonexistent/editor" in result.err
    assert "EDITOR" in result.err
    assert note(root, "rosenberg2014il2") == OLD


@pytest.mark.parametrize("command", ['code "--wait', "vi 'unclosed", '""'])
def test_an_editor_command_that_does_not_split_is_a_clear_error(
    cli: Cli, root: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """An unclosed quote in $EDITOR was exit 70 (shlex's ValueError as an internal error)."""
    monkeypatch.setenv("EDITOR", command)
    monkeypatch.delenv("VISUAL", raising=False)
    result = cli("edit", "rosenberg2014il2")
    assert result.code == _errors.EXIT_USAGE, result.output
    assert "EDITOR" in result.err
    assert "internal error" not in result.output
    assert note(root, "rosenberg2014il2") == OLD


def test_a_change_made_meanwhile_is_not_overwritten(cli: Cli, root: Path, editor: Editor) -> None:
    """If the notes file changed while the editor was open, the edit is not written over it:
    it stays in the draft, and the message says where."""
    path = str(root / "annotations" / "rosenberg2014il2.yaml")
    editor.will_write({"also": path, "text": "summary: Someone else.\n", "then": NEW})
    result = cli("edit", "rosenberg2014il2")
    assert result.code == _errors.EXIT_INPUT
    assert note(root, "rosenberg2014il2") == "summary: Someone else.\n"
    assert "editing-rosenberg2014il2.yaml" in result.err


def test_unknown_key_suggests(cli: Cli, root: Path, editor: Editor) -> None:
    editor.will_write(NEW)
    result = cli("edit", "rosenberg2014")
    assert result.code == _errors.EXIT_INPUT
    assert "rosenberg2014il2" in result.err
    assert editor.seen == []


def test_edit_is_a_library_function(root: Path, editor: Editor) -> None:
    """cytobib.edit takes the answer to the prompt as a function."""
    editor.will_write(BAD_YAML, NEW)
    asked: list[list[str]] = []

    def ask(problems: Any) -> str:
        asked.append([p.code for p in problems])
        return "edit"

    result = cytobib.edit(open_project(root), "rosenberg2014il2", ask=ask)
    assert result.status == "saved"
    assert asked == [["annotation-yaml"]]
    assert note(root, "rosenberg2014il2") == NEW


# --- annotate finishes the batch -----------------------------------------------------------------


def test_annotate_skips_existing_and_finishes_the_batch(cli: Cli, root: Path) -> None:
    """`annotate a b` with a's file present writes b and says a was skipped (it stopped at
    a with exit 3 before, and b was never written)."""
    result = cli("annotate", "rosenberg2014il2", "koreth2011")
    assert result.code == 0, result.output
    assert note(root, "rosenberg2014il2") == OLD
    assert (root / "annotations" / "koreth2011.yaml").exists()
    assert "skipped" in result.output
    assert "rosenberg2014il2" in result.output


def test_annotate_missing_with_keys_skips_existing(cli: Cli, root: Path) -> None:
    result = cli("annotate", "rosenberg2014il2", "--missing")
    assert result.code == 0, result.output
    assert (root / "annotations" / "koreth2011.yaml").exists()
    assert note(root, "rosenberg2014il2") == OLD
