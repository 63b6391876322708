"""The one way commands print: every message passes :func:`escape.terminal_text`.

Titles from Crossref, keys and values from an imported file, a server's error text: anything
printed may come from outside, and escape sequences in it could recolour or retitle the
terminal, hide a line or reorder one. Commands therefore print through :func:`say` and
:func:`show`, never with ``print``; rendered output meant for a file (a reading list, an
export) is written as it is when stdout is a file or a pipe, and cleaned when it is a terminal.
"""

from __future__ import annotations

import sys
from typing import Any

from cytobib.formats.escape import terminal_text


def say(message: str = "", *, err: bool = False) -> None:
    """Print one message (a line, or several) on stdout, or on stderr with ``err`` (after
    what stdout holds, so that the two keep their order on a terminal)."""
    if err:
        sys.stdout.flush()
    print(terminal_text(message), file=sys.stderr if err else sys.stdout)


def show(text: str, *, err: bool = False) -> None:
    """Write text as it is (a diff, a listing), cleaned for the terminal, with no newline
    added."""
    stream = sys.stderr if err else sys.stdout
    stream.write(terminal_text(text))


def emit(data: bytes) -> None:
    """A command's output on stdout: bytes as rendered for a pipe or a file (RIS keeps its
    CRLF), cleaned of escape sequences when stdout is a terminal."""
    sys.stdout.flush()
    if sys.stdout.isatty():
        data = terminal_text(data.decode("utf-8", "replace")).encode("utf-8")
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def markup(text: object) -> str:
    """A value for a rich markup string (a title, a key, a message): cleaned for the terminal
    and with rich's own ``[tags]`` escaped, so text from outside can neither colour nor
    move anything."""
    from rich.markup import escape

    return escape(terminal_text(str(text)))


def console(*, err: bool = False, width: int | None = None) -> Any:
    """A rich console on stdout (or stderr): markup on, highlighting off. Every value put in
    its markup must pass :func:`markup`."""
    from rich.console import Console

    return Console(stderr=err, highlight=False, width=width, soft_wrap=False)
