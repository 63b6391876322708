"""How the CLI shows progress (:mod:`cytobib.progress`): a rich bar with counts and time left on
a terminal, a plain line every few seconds when stderr is a file or a pipe (a log, CI), nothing
with ``--quiet``. Everything goes to stderr, so stdout stays the command's output."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from cytobib import progress
from cytobib.cli._output import markup, say

INTERVAL = 5.0
"""Seconds between two plain progress lines (and before the first)."""


def took(started: float) -> str:
    """The time since ``started`` (a ``time.monotonic()``), for summary lines."""
    return _duration(time.monotonic() - started)


def _duration(seconds: float) -> str:
    """ "4.2 s", "3 min 05 s", "1 h 02 min"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class _LineTask:
    def __init__(self, label: str, total: int | None, clock: Callable[[], float]) -> None:
        self.label = label
        self.total = total
        self.clock = clock
        self.count = 0
        self.started = self.last = clock()
        self.told = False

    def advance(self, steps: int = 1) -> None:
        self.count += steps
        now = self.clock()
        if now - self.last >= INTERVAL:
            self.last = now
            self.told = True
            say(f"{self.label}: {self.status(now)}", err=True)

    def status(self, now: float) -> str:
        elapsed = now - self.started
        if not self.total:
            return f"{self.count:,} done, {_duration(elapsed)} so far"
        share = self.count / self.total
        left = elapsed / share - elapsed if 0 < share < 1 else None
        eta = f", about {_duration(left)} left" if left is not None else ""
        return f"{self.count:,}/{self.total:,} ({share:.0%}){eta}"

    def done(self) -> None:
        if self.told:  # a run long enough to report on says when it is over
            elapsed = self.clock() - self.started
            say(f"{self.label}: {self.count:,} done in {_duration(elapsed)}", err=True)


class LineReporter:
    """Plain lines on stderr, one per task every :data:`INTERVAL` seconds at most."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock

    def start(self, label: str, total: int | None) -> progress.Task:
        return _LineTask(label, total, self.clock)


class _BarTask:
    def __init__(self, owner: RichReporter, task_id: Any) -> None:
        self.owner = owner
        self.task_id = task_id

    def advance(self, steps: int = 1) -> None:
        self.owner.bar.advance(self.task_id, steps)
        self.owner.refresh()

    def done(self) -> None:
        self.owner.finish(self.task_id)


REDRAWS = 10
"""How often a second the bar is redrawn at most."""


class RichReporter:
    """A rich progress bar on stderr: label, bar, count of total, percentage, time left. The
    bar is transient: when the work is done only the command's own summary stays."""

    def __init__(self, console: Any = None, clock: Callable[[], float] = time.monotonic) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True, highlight=False),
            transient=True,
            # No refresh thread: steps spread over processes (cytobib.parallel) do not fork
            # while another thread runs, so the bar is redrawn as work advances instead.
            auto_refresh=False,
        )
        self.live = 0
        self.clock = clock
        self.drawn = -1.0

    def refresh(self, force: bool = False) -> None:
        """Redraw the bar, at most :data:`REDRAWS` times a second."""
        now = self.clock()
        if force or now - self.drawn >= 1 / REDRAWS:
            self.drawn = now
            self.bar.refresh()

    def start(self, label: str, total: int | None) -> progress.Task:
        if self.live == 0:
            self.bar.start()
        self.live += 1
        task = _BarTask(self, self.bar.add_task(markup(label), total=total))
        self.refresh(force=True)
        return task

    def finish(self, task_id: Any) -> None:
        self.bar.remove_task(task_id)
        self.live -= 1
        if self.live == 0:
            self.bar.stop()


@contextlib.contextmanager
def shown(quiet: bool = False) -> Iterator[None]:
    """Show the progress of the command's work: a bar on a terminal, lines otherwise,
    nothing with ``quiet``."""
    reporter: progress.Reporter | None = None
    if not quiet:
        reporter = RichReporter() if sys.stderr.isatty() else LineReporter()
    with progress.reporting(reporter):
        yield


def summary(text: str, quiet: bool = False) -> None:
    """The one line a long command ends with (on stderr; none with ``--quiet``)."""
    if not quiet:
        say(text, err=True)
