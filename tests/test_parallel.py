"""Pure steps spread over processes (cytobib.parallel): the same results in the same order as
in one process, errors raised here as they would be without children, nothing left running."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cytobib import annotations as ann
from cytobib import parallel, rendering, views
from cytobib.formats import registry, templating
from cytobib.library import open_project

ROOT = Path(__file__).resolve().parents[1]
VIEWS = Path(__file__).parent / "data" / "views"


@pytest.fixture
def three(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Three processes, whatever the machine has; the children's pids."""
    monkeypatch.setenv(parallel.JOBS_ENV, "3")
    # The session's local NCBI stand-in serves from a thread, idle here; a run of cytobib
    # has no such thread, so the fork guard counts only threads a test starts.
    already = threading.active_count()
    monkeypatch.setattr(parallel, "other_threads", lambda: threading.active_count() > already)
    if parallel.jobs() == 1:
        pytest.skip("this platform runs every step in one process (no safe fork)")
    pids: list[int] = []
    fork = os.fork

    def recording() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording)
    return pids


def _all_reaped(pids: list[int]) -> bool:
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True


def _tagged(part: Sequence[int]) -> list[Any]:
    return [(n, os.getpid(), "é\ud800" if n % 7 == 0 else f"{n}", bytes([n % 256])) for n in part]


def test_results_come_back_in_order_from_several_processes(three: list[int]) -> None:
    results = parallel.map_chunks(_tagged, range(100), min_chunk=10)
    assert [r[0] for r in results] == list(range(100))
    assert len({r[1] for r in results}) == 3  # three processes did the work
    assert results[0][1] == os.getpid()  # the first chunk is this process's
    assert results[7][2] == "é\ud800" and results[1][3] == b"\x01"
    assert len(three) == 2 and _all_reaped(three)


@pytest.mark.parametrize("size", [120, 376])
def test_a_child_sending_120_results_is_not_taken_for_a_failed_one(
    three: list[int], size: int
) -> None:
    """A child's reply starts with its result count (8 bytes, little-endian); a count whose
    low byte is 0x78 ("x", 120 or 376) was read as the failure marker, so the chunk was
    silently computed again here."""
    results = parallel.map_chunks(_tagged, range(3 * size), min_chunk=size)
    assert [r[0] for r in results] == list(range(3 * size))
    assert len({r[1] for r in results}) == 3  # the children's results were used


def test_small_work_stays_in_this_process(three: list[int]) -> None:
    results = parallel.map_chunks(_tagged, range(15), min_chunk=10)
    assert {r[1] for r in results} == {os.getpid()}


def test_one_process_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.JOBS_ENV, "1")
    assert {r[1] for r in parallel.map_chunks(_tagged, range(100), min_chunk=10)} == {os.getpid()}


def test_no_fork_while_other_threads_run(three: list[int]) -> None:
    """Forking a process with threads can deadlock the child: then it all runs here."""
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        results = parallel.map_chunks(_tagged, range(100), min_chunk=10)
    finally:
        stop.set()
        worker.join()
    assert {r[1] for r in results} == {os.getpid()}


class Boom(ValueError):
    pass


def _fails_late(part: Sequence[int]) -> list[int]:
    if 90 in part:
        raise Boom(f"bad input {part[0]}")
    return list(part)


def test_an_error_in_a_child_is_raised_here(three: list[int]) -> None:
    """The failing chunk runs again in this process, so its error is the one the caller sees
    (type and message), and no child is left behind."""
    with pytest.raises(Boom, match="bad input"):
        parallel.map_chunks(_fails_late, range(100), min_chunk=10)
    assert len(three) == 2 and _all_reaped(three)


def test_an_error_here_leaves_no_child(three: list[int]) -> None:
    def fails_first(part: Sequence[int]) -> list[int]:
        if 0 in part:
            raise Boom("first chunk")
        return list(part)

    with pytest.raises(Boom):
        parallel.map_chunks(fails_first, range(100), min_chunk=10)
    assert len(three) == 2 and _all_reaped(three)


def test_parallel_load_and_render_equal_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Annotation files parsed and reading-list items rendered by three processes give the
    same library and the same bytes as one process, for the hostile and the shipped library."""
    monkeypatch.setattr(ann, "_PARALLEL_CHUNK", 2)
    monkeypatch.setattr(templating, "_ITEMS_PER_PROCESS", 2)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763769600")
    for source in (VIEWS, ROOT):
        root = tmp_path / source.name
        root.mkdir()
        shutil.copy(source / "library.bib", root / "library.bib")
        shutil.copy(source / "cytobib.toml", root / "cytobib.toml")
        shutil.copytree(source / "annotations", root / "annotations")

        def run(jobs: str, root: Path = root) -> tuple[Any, dict[str, str]]:
            monkeypatch.setenv(parallel.JOBS_ENV, jobs)
            project = open_project(root, store=None)
            out = {}
            for fmt in ("md", "html", "tex", "txt"):
                view = views.reading_list(project, style="plain", group_by="agent")
                ctx = rendering.context(project)
                text = rendering.render(view, registry.get(fmt), ctx)
                assert isinstance(text, str)
                out[fmt] = text
            return project.library, out

        one, many = run("1"), run("3")
        assert [r.annotation for r in one[0]] == [r.annotation for r in many[0]]
        assert one[0].issues == many[0].issues
        assert one[1] == many[1]


@pytest.mark.parametrize(("idle", "expected"), [(4.0, 4), (3.2, 3), (1.4, 1), (0.3, 1)])
def test_workers_only_for_idle_cores(
    monkeypatch: pytest.MonkeyPatch, idle: float, expected: int
) -> None:
    """One process per idle core (this process's own counted): on a busy shared machine,
    children would only compete with each other."""
    if not hasattr(os, "fork") or sys.platform == "darwin":
        pytest.skip("no safe fork here: always one process")
    monkeypatch.delenv(parallel.JOBS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(parallel, "idle_cores", lambda: idle)
    assert parallel.jobs() == expected


@pytest.mark.parametrize(("load", "expected"), [(0.2, 4), (1.4, 4), (2.6, 2), (4.4, 1)])
def test_without_proc_stat_the_load_average_decides(
    monkeypatch: pytest.MonkeyPatch, load: float, expected: int
) -> None:
    """Where /proc/stat cannot be read, as `make --load-average` (this process is load)."""
    if not hasattr(os, "fork") or sys.platform == "darwin":
        pytest.skip("no safe fork here: always one process")
    monkeypatch.delenv(parallel.JOBS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(parallel, "idle_cores", lambda: None)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert parallel.jobs() == expected


def test_idle_cores_reads_the_machine() -> None:
    idle = parallel.idle_cores()
    if idle is None:
        pytest.skip("no /proc/stat here")
    assert 0 <= idle <= (os.cpu_count() or 1) + 0.01
