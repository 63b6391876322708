"""Spread a pure, CPU-bound step over the machine's cores (issue 15: the cold 10k reading list).

Parsing 10,000 annotation files (YAML with positions, schema checks) and rendering 20,000
reading-list items through Jinja take seconds each in one process. :func:`map_chunks` splits
such a step's inputs into one chunk per core and runs each chunk in a forked child, this
process taking the first chunk itself. A forked child inherits the step and its inputs (the
templates, the vocabulary, the items) without copying them through a pipe; only results
travel back, as JSON through :mod:`cytobib.store.codec` (text without escaping), so nothing
that can run code is ever read from a child.

The step runs in this process alone when the work is small, ``CYTOBIB_JOBS=1`` says so,
other threads are running (forking a threaded process can deadlock the child), ``os.fork`` is
unavailable or unsafe (Windows; macOS, where system frameworks do not survive a fork), or the
machine has no idle core: a worker is started only for a core that is idle when the step
begins (a 50 ms sample of ``/proc/stat``; elsewhere the load average, as ``make
--load-average``), because on a busy shared machine children only compete with each other and
cost the transfer of their results (measured in docs/caching.md). A chunk whose child fails
for any reason is run again here, so its error is raised here, as it would be without
children.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from cytobib.store.codec import decode_many, encode

T = TypeVar("T")
R = TypeVar("R")

JOBS_ENV: Final = "CYTOBIB_JOBS"
"""Worker processes at most (1: everything in this process); default: the usable cores."""

_TEXT, _JSON = b"t", b"j"
_FAILED = b"x"
"""All a failed child writes: shorter than the 8-byte result count any other reply starts with
(so never compared with that count's first byte, which is "x" for 120 results)."""


def jobs() -> int:
    """How many processes a step may use: ``CYTOBIB_JOBS``, else one per idle core this
    process may run on (:func:`idle_cores`, this process's own among them), and 1 where
    forking is unavailable or unsafe."""
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return 1
    env = os.environ.get(JOBS_ENV, "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    idle = idle_cores()
    if idle is None:
        try:
            idle = cores + 1 - os.getloadavg()[0]  # this process is part of the load
        except OSError:
            idle = cores
    return max(1, min(cores, round(idle)))


_SAMPLE = 0.05  # seconds


def idle_cores() -> float | None:
    """How many cores are idle now: ``/proc/stat`` sampled over 50 ms while this process
    waits (so its own core counts as idle); None where it cannot be read."""
    try:
        first = _cpu_times()
        time.sleep(_SAMPLE)
        second = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    _, idle, total = (b - a for a, b in zip(first, second, strict=True))
    return second[0] * idle / total if total > 0 else None


def _cpu_times() -> tuple[int, int, int]:
    """(cores, idle ticks, all ticks) from /proc/stat (idle counts waiting for I/O too)."""
    with open("/proc/stat", "rb") as fh:
        lines = fh.read().split(b"\n")
    ticks = [int(v) for v in lines[0].split()[1:]]
    cores = sum(1 for line in lines if line[:3] == b"cpu" and line[3:4].isdigit())
    return cores, ticks[3] + ticks[4], sum(ticks)


def workers(count: int, min_chunk: int) -> int:
    """How many processes :func:`map_chunks` would use for ``count`` inputs (1: this one)."""
    if count < 2 * min_chunk or other_threads():
        return 1
    return max(1, min(jobs(), count // max(1, min_chunk)))


def other_threads() -> bool:
    """Whether threads besides this one run (a progress bar's refresh, a server): a fork
    would copy any lock they hold, held forever, so steps stay in this process."""
    return threading.active_count() > 1


def map_chunks(
    step: Callable[[Sequence[T]], list[R]],
    inputs: Sequence[T],
    *,
    min_chunk: int = 500,
    send: Callable[[R], Any] | None = None,
    receive: Callable[[Any], R] | None = None,
) -> list[R]:
    """``step(inputs)``, computed in chunks of at least ``min_chunk`` inputs across processes.

    ``step`` must be pure and return one result per input, in input order. A child sends each
    result as ``send(result)`` (default: the result itself), which must be a ``str`` or a value
    the store's codec keeps (JSON values, tuples, bytes), and this process takes it back with
    ``receive``; the results of this process's own chunk are used as they are.
    """
    count = workers(len(inputs), min_chunk)
    if count < 2:
        return step(inputs)
    bounds = [len(inputs) * n // count for n in range(count + 1)]
    chunks = [inputs[bounds[n] : bounds[n + 1]] for n in range(count)]
    children: list[tuple[int, int, int]] = []  # (pid, read end, chunk number)
    # Objects made before the fork are left out of garbage collection meanwhile: a collection
    # writes to every object it visits, which would copy the whole shared heap into each
    # process (copy on write) and cost more than the children save.
    gc.freeze()
    try:
        for number in range(1, count):
            children.append((*_fork(step, chunks[number], send), number))
        results = list(step(chunks[0]))
        for pid, fd, number in children:
            part = _collect(pid, fd)
            if part is None:  # the child failed: the chunk again, here (its error raised here)
                results.extend(step(chunks[number]))
            else:
                results.extend(part if receive is None else map(receive, part))
        children = []
        return results
    finally:  # an error or Ctrl-C here: no child is left running or unreaped
        gc.unfreeze()
        for pid, fd, _ in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


def _fork(
    step: Callable[[Sequence[T]], list[R]],
    chunk: Sequence[T],
    send: Callable[[R], Any] | None,
) -> tuple[int, int]:
    """Start a child computing ``step(chunk)``; its pid and the read end of its pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    code = 1
    try:  # the child: never returns into the caller's code, never runs its exit handlers
        os.close(read)
        with open(write, "wb") as out:
            try:
                results: list[Any] = step(chunk)
                if send is not None:
                    results = [send(result) for result in results]
                frames = [_frame(value) for value in results]
            except BaseException:
                out.write(_FAILED)
            else:
                out.write(len(frames).to_bytes(8, "little"))
                for frame in frames:
                    out.write(frame)
        code = 0
    finally:
        os._exit(code)


def _frame(value: Any) -> bytes:
    raw = encode(value)
    kind, data = (_TEXT, raw.encode("utf-8")) if isinstance(raw, str) else (_JSON, raw)
    return kind + len(data).to_bytes(8, "little") + data


def _collect(pid: int, fd: int) -> list[Any] | None:
    """A child's results, or None if it failed (the caller runs its chunk again)."""
    with open(fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or len(data) < 8:  # _FAILED, or nothing: the child died
        return None
    count = int.from_bytes(data[:8], "little")
    out: list[Any] = []
    blobs: list[tuple[str | bytes, bytes]] = []  # JSON values, decoded in one parser call
    at = 8
    for n in range(count):
        kind = data[at : at + 1]
        size = int.from_bytes(data[at + 1 : at + 9], "little")
        body = data[at + 9 : at + 9 + size]
        if len(body) != size:
            return None
        if kind == _TEXT:
            out.append(body.decode("utf-8", "surrogatepass"))
        else:
            out.append(None)
            blobs.append((str(n), body))
        at += 9 + size
    if at != len(data):
        return None
    decoded = decode_many(blobs)
    if len(decoded) != len(blobs):
        return None
    for place, value in decoded.items():
        out[int(place)] = value
    return out
