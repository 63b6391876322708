"""A project's templates are input from a possibly cloned project: sandboxed, kept inside
templates/, and their mistakes reported as the user's file and line, not as a cytobib bug."""

from __future__ import annotations

from pathlib import Path

import pytest

BIB = "@article{a2020,\n  author = {Doe, Jane},\n  title = {A title},\n  year = 2020,\n}\n"
NOTE = {"a2020": "summary: A summary.\n"}


def project_with_template(make_project, text: str, name: str = "item.md.j2") -> Path:
    root = make_project(BIB, NOTE)
    (root / "templates").mkdir()
    (root / "templates" / name).write_text(text, encoding="utf-8")
    return root


def test_template_cannot_run_shell_commands(make_project, cli, tmp_path) -> None:
    """The payload that ran `os.popen` from a template is stopped by the sandbox: exit 3,
    the file named, the command never run."""
    marker = tmp_path / "ran"
    payload = "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}\n"
    root = project_with_template(make_project, payload)
    result = cli("reading-list", "-C", root, "--format", "md")
    assert result.code == 3, result.output
    assert "templates/item.md.j2" in result.err
    assert "internal error" not in result.output
    assert not marker.exists()


def test_template_syntax_error_names_file_and_line(make_project, cli) -> None:
    root = project_with_template(make_project, "line one\n{{ work.title \n")
    result = cli("reading-list", "-C", root, "--format", "md")
    assert result.code == 3, result.output
    assert "templates/item.md.j2:2" in result.err
    assert "hint:" in result.err


def test_template_unknown_variable_is_the_users_error(make_project, cli) -> None:
    root = project_with_template(make_project, "ok\n{{ no_such_variable }}\n")
    result = cli("reading-list", "-C", root, "--format", "md")
    assert result.code == 3, result.output
    assert "templates/item.md.j2" in result.err and "no_such_variable" in result.err
    assert "internal error" not in result.output


def test_template_linked_outside_is_not_read(make_project, cli, tmp_path) -> None:
    """A template that is a link to a file outside templates/ is refused, not rendered."""
    outside = tmp_path / "secret.txt"
    outside.write_text("the-secret-text\n", encoding="utf-8")
    root = make_project(BIB, NOTE)
    (root / "templates").mkdir()
    (root / "templates" / "item.md.j2").symlink_to(outside)
    result = cli("reading-list", "-C", root, "--format", "md")
    assert result.code == 3, result.output
    assert "the-secret-text" not in result.output


@pytest.mark.parametrize("target", ["../../etc/hostname", "/etc/hostname"])
def test_include_outside_templates_is_not_found(make_project, cli, target) -> None:
    root = project_with_template(make_project, "{% include '" + target + "' %}\n")
    result = cli("reading-list", "-C", root, "--format", "md")
    assert result.code == 3, result.output
    assert "templates/item.md.j2" in result.err
