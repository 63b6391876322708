"""The `cytobib` command: a thin typer shell over the library API.

Each command parses options, calls one library function, prints or writes the result and lets
exceptions reach :func:`run`, which maps them to exit codes in one place (``_errors``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Sequence

import typer

from cytobib._version import __version__
from cytobib.cli import _errors
from cytobib.cli._output import say
from cytobib.store import NO_CACHE_ENV

app = typer.Typer(
    name="cytobib",
    help="An annotated BibTeX library for reviews of cytokine cancer immunotherapy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        say(f"cytobib {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Read and write no cache in this run (CYTOBIB_NO_CACHE=1)."
    ),
) -> None:
    """cytobib: check, enrich, render and export an annotated BibTeX library."""
    if no_cache:  # the one switch every cache reads; `run` restores it afterwards
        os.environ[NO_CACHE_ENV] = "1"


# Command modules register themselves on `app` when imported.
from cytobib.cli import (  # noqa: E402
    cache_cmds,  # noqa: F401
    crossref_cmds,  # noqa: F401
    export_cmds,  # noqa: F401
    find_cmds,  # noqa: F401
    library_cmds,  # noqa: F401
    output_cmds,  # noqa: F401
    zotero_cmds,  # noqa: F401
)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (tests call this; `main` exits with it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    with warnings.catch_warnings():
        warnings.showwarning = _errors.show_warning
        return _run(args)


def _run(args: list[str]) -> int:
    no_cache = os.environ.get(NO_CACHE_ENV)
    try:
        result = app(args=args, prog_name="cytobib", standalone_mode=False)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except SystemExit as exc:
        if _reader_left(exc):
            return _errors.EXIT_PIPE
        raise
    except typer.Abort:
        return _errors.report(KeyboardInterrupt())
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            say(f"error: {exc}", err=True)
        return _errors.EXIT_USAGE
    except (Exception, KeyboardInterrupt) as exc:
        return _errors.report(exc)
    finally:  # --no-cache lasts one run, also when run() is called in-process
        if no_cache is None:
            os.environ.pop(NO_CACHE_ENV, None)
        else:
            os.environ[NO_CACHE_ENV] = no_cache
    if result == _errors.EXIT_INTERRUPTED:  # typer turns Ctrl-C into a silent return of 130
        return _errors.report(KeyboardInterrupt())
    return result if isinstance(result, int) else _errors.EXIT_OK


def _reader_left(exc: SystemExit) -> bool:
    """Whether the program reading our output went away (``cytobib show KEY | head``): rich
    and click answer the broken pipe with ``SystemExit(1)``; the run then ends quietly, with
    stdout pointed at the null device so that no later flush fails again."""
    if not isinstance(exc.__context__, BrokenPipeError):
        return False
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return True


def main() -> None:
    sys.exit(run())
