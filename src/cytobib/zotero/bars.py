"""Progress bars for a sync on a terminal (rich, on stderr, gone when done)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Advance = Callable[[int], None]
Bars = Callable[[str, int | None], Advance]


@contextlib.contextmanager
def bars(enabled: bool) -> Iterator[Bars | None]:
    """A factory ``bar(label, total) -> advance(n)`` while the block runs; None when off."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:

        def bar(label: str, total: int | None) -> Advance:
            task = progress.add_task(label, total=total)
            return lambda n: progress.advance(task, n)

        yield bar
