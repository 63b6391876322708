"""Progress of long work, told to whoever listens: a bar or plain lines in the CLI, nobody in a
library call.

Long steps (asking Crossref for 1,445 DOIs, formatting 10,000 references, writing 20,000
items) open a :func:`task` and :func:`advance` it; the command that runs them chooses how
progress is shown with :func:`reporting` (``cli/_progress.py``: a rich bar on a terminal,
periodic lines otherwise, nothing with ``--quiet``). The listener is held in a context
variable, as :mod:`logging` holds its handlers, so that the steps deep inside a pipeline need
no extra parameter; with no listener every call is a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Protocol, TypeVar

T = TypeVar("T")


class Task(Protocol):
    """One piece of long work as a listener shows it."""

    def advance(self, steps: int = 1) -> None: ...

    def done(self) -> None: ...


class Reporter(Protocol):
    """A listener: starts a shown task for each :func:`task` opened."""

    def start(self, label: str, total: int | None) -> Task: ...


_reporter: ContextVar[Reporter | None] = ContextVar("cytobib_reporter", default=None)
_open: ContextVar[tuple[Task, ...]] = ContextVar("cytobib_tasks", default=())


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Show the progress of the work done inside the block with ``reporter`` (None: hide)."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


class _Nothing:
    def advance(self, steps: int = 1) -> None:
        pass

    def done(self) -> None:
        pass


_NOTHING = _Nothing()


@contextlib.contextmanager
def task(label: str, total: int | None = None) -> Iterator[Task]:
    """A piece of long work of ``total`` steps (None: unknown): advance the task it yields,
    or call :func:`advance` from the steps inside it."""
    reporter = _reporter.get()
    if reporter is None:
        yield _NOTHING
        return
    shown = reporter.start(label, total)
    token = _open.set((*_open.get(), shown))
    try:
        yield shown
    finally:
        _open.reset(token)
        shown.done()


def advance(steps: int = 1) -> None:
    """Advance the innermost open task (nothing when none is open)."""
    tasks = _open.get()
    if tasks:
        tasks[-1].advance(steps)


def track(items: Sequence[T], label: str) -> Iterator[T]:
    """The items, one by one, as a task of ``len(items)`` steps: ``for x in track(xs, ...)``."""
    with task(label, len(items)) as shown:
        for item in items:
            yield item
            shown.advance()
