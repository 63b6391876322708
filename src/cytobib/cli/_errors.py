"""The one place where exceptions become exit codes and friendly messages.

Exit codes (documented in the README):

====  ==========================================================================
0     success
1     ``cytobib check`` found issues at or above ``--fail-on``
2     usage: an unknown option value, style, format or filter expression
3     input: a file cannot be read, a key exists already or is unknown, bad config
4     Crossref, PubMed or Zotero could not be reached or kept failing (nothing more was
      written)
5     a file could not be written (the previous file is unchanged)
70    an internal error (a bug: please report it with the message shown)
130   interrupted (Ctrl-C); files are either untouched or completely written
141   the reader of the output went away (``cytobib list | head``); printed nothing more
====  ==========================================================================
"""

from __future__ import annotations

import traceback
import warnings
from typing import Any, TextIO

from cytobib import errors
from cytobib.cli._output import say

EXIT_OK = 0
EXIT_ISSUES = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_NETWORK = 4
EXIT_WRITE = 5
EXIT_BUG = 70
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program whose reader went away

_CODES: tuple[tuple[type[errors.CytobibError], int], ...] = (
    (errors.UsageError, EXIT_USAGE),
    (errors.CrossrefError, EXIT_NETWORK),
    (errors.PubMedError, EXIT_NETWORK),
    (errors.ZoteroError, EXIT_NETWORK),
    (errors.WriteError, EXIT_WRITE),
    (errors.InputError, EXIT_INPUT),
    (errors.ConfigError, EXIT_INPUT),
    (errors.LibraryStateError, EXIT_INPUT),
)


def exit_code(exc: errors.CytobibError) -> int:
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code
    return EXIT_INPUT


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """cytobib's own warnings as ``warning: ...`` lines on stderr; others as Python shows them."""
    if issubclass(category, errors.CytobibWarning):
        say(f"warning: {message}", err=True)
        return
    _show_python_warning(message, category, filename, lineno, file, line)


_show_python_warning: Any = warnings.showwarning


def report(exc: BaseException) -> int:
    """Print ``error: ...`` (and a hint) on stderr and return the exit code."""
    if isinstance(exc, errors.CytobibError):
        say(f"error: {exc}", err=True)
        if exc.hint:
            say(f"hint: {exc.hint}", err=True)
        return exit_code(exc)
    if isinstance(exc, KeyboardInterrupt):
        say("\ninterrupted: nothing was left half-written.", err=True)
        return EXIT_INTERRUPTED
    # A real bug: show where, but never the local variables (a mailto may be among them).
    say(f"internal error: {type(exc).__name__}: {exc}", err=True)
    tb = traceback.extract_tb(exc.__traceback__)[-3:]
    for frame in tb:
        say(f"  at {frame.filename}:{frame.lineno} in {frame.name}", err=True)
    say("This is a bug in cytobib; please report it with the lines above.", err=True)
    return EXIT_BUG
