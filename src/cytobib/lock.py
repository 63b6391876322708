"""One advisory lock per project, taken by every write to library.bib, annotations/ and .cytobib/.

Two cytobib commands that change a library at the same time would otherwise both read the old
file and the second rename would drop the first one's change (two parallel ``cytobib add`` runs
lost an entry 1-3 times in 30). Writers take this lock, read the state they change *under it*,
and rename before letting go; see ``bibfile.update``. The lock is a file lock (``filelock``:
``fcntl`` on Linux and macOS, ``msvcrt`` on Windows), so it is released by the operating system
when a process dies, even by ``kill -9``.

It is advisory: an editor saving library.bib does not take it. The content check just before the
rename catches that case.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import filelock

from cytobib.errors import LibraryStateError, WriteError

LOCK_FILE = Path(".cytobib") / "lock"
DEFAULT_TIMEOUT = 60.0
"""Seconds to wait for another command's write to finish (writes take milliseconds; this is
for a command stuck on a slow disk, not for one waiting on the network)."""

_IGNORE = "# written by cytobib: the lock file is not part of the library\nlock\n"


@contextlib.contextmanager
def locked(root: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the project's write lock; re-entrant within a thread.

    Raises:
        LibraryStateError: another process held the lock for ``timeout`` seconds.
        WriteError: the lock file cannot be created (e.g. a file named .cytobib).
    """
    path = Path(root) / LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            with contextlib.suppress(OSError):
                ignore.write_text(_IGNORE, encoding="utf-8")
        lock = filelock.FileLock(os.fspath(path), timeout=timeout, is_singleton=True)
        lock.acquire()
    except filelock.Timeout:
        raise LibraryStateError(
            f"Another cytobib command has been changing this library for over {timeout:g} s "
            f"(it holds {LOCK_FILE.as_posix()}); nothing was written.",
            hint="Let it finish, then run this command again.",
        ) from None
    except OSError as exc:
        raise WriteError(
            f"Cannot take the write lock {LOCK_FILE.as_posix()}: {exc.strerror or exc}; "
            "nothing was written.",
            hint="cytobib keeps its records in the folder .cytobib: check that it is a folder "
            "you can write to.",
        ) from None
    try:
        yield
    finally:
        lock.release()
