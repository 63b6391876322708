"""Every CLI command is documented: the list is read from the typer app, so a new command
fails here until README.md describes it (like sqlite-utils' tests/test_docs.py). The README
tests are marked `docs` (``pytest -m docs`` runs them alone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from cytobib.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """All commands of the app by their full name ("check", or "group sub" when nested).

    Typed loosely: typer ships its own copy of click's classes.
    """
    out: dict[str, Any] = {}
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        full = f"{prefix}{name}"
        out[full] = command
        if hasattr(command, "commands"):
            out.update(_commands(command, full + " "))
    return out


COMMANDS = _commands(typer.main.get_group(app))


def test_app_has_the_core_commands() -> None:
    """The command list really comes from the app (a guard against collecting nothing)."""
    assert {"init", "check", "annotate"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_help(name: str) -> None:
    """Every command has a one-line help text for `cytobib --help`."""
    assert (COMMANDS[name].help or "").strip()


@pytest.mark.docs
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_in_readme(name: str) -> None:
    """README.md mentions every command as `cytobib <command>`."""
    text = README.read_text(encoding="utf-8")
    assert f"cytobib {name}" in text, f"README.md does not mention `cytobib {name}`"
