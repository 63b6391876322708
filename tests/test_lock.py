"""The project's write lock, with real processes: one writer at a time, released on death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cytobib import lock
from cytobib.errors import LibraryStateError, WriteError

HOLD = """
import sys, time
from pathlib import Path
from cytobib.lock import locked
with locked(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(root: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    """While another process holds the lock, taking it waits until that process lets go."""
    proc = _holder(tmp_path, 1.0)
    started = time.monotonic()
    with lock.locked(tmp_path, timeout=30):
        waited = time.monotonic() - started
    proc.wait()
    assert waited > 0.3  # it did wait for the holder (which held it ~1 s)


def test_times_out_with_a_clear_error(tmp_path: Path) -> None:
    """A lock held too long is a LibraryStateError naming the lock file, not a hang."""
    proc = _holder(tmp_path, 5.0)
    try:
        with (
            pytest.raises(LibraryStateError, match=r"\.cytobib/lock"),
            lock.locked(tmp_path, timeout=0.2),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    """kill -9 of the holder frees the lock at once: the OS drops the file lock."""
    proc = _holder(tmp_path, 60.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with lock.locked(tmp_path, timeout=2):
        pass


def test_reentrant_in_one_thread(tmp_path: Path) -> None:
    """A write step inside another write step of the same command does not deadlock."""
    with lock.locked(tmp_path, timeout=1), lock.locked(tmp_path, timeout=1):
        pass


def test_keeps_the_lock_file_out_of_git(tmp_path: Path) -> None:
    """.cytobib/.gitignore lists the lock file, so it is never committed with the library."""
    with lock.locked(tmp_path):
        pass
    assert "lock" in (tmp_path / ".cytobib" / ".gitignore").read_text().split()


def test_dot_cytobib_file_is_a_write_error(tmp_path: Path) -> None:
    """A file named .cytobib: a WriteError saying what to fix."""
    (tmp_path / ".cytobib").write_text("x")
    with pytest.raises(WriteError, match=r"\.cytobib"), lock.locked(tmp_path):
        pass
