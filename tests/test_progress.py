"""Long work shows a sign of life and ends with a summary; no network fails fast, with a hint
(issue 14: `enrich` printed nothing for 180 s then no summary; `add` without a network waited
9.5 s, then failed without a hint).

Progress is shown as the CLI chooses (``cli/_progress.py``): a rich bar on a terminal, a plain
line every few seconds otherwise (``INTERVAL``, set to 0 here so that every step prints),
nothing with --quiet. The network failures are real: a closed port refuses the connection,
and a listening socket whose backlog is full never answers one.
"""

from __future__ import annotations

import contextlib
import io
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crossref_server import CrossrefTestServer, require_fixtures
from cytobib import progress
from cytobib.cli import _errors, _progress
from cytobib.crossref import CrossrefClient
from cytobib.errors import CrossrefUnreachable
from serverkit import FakeClock

Cli = Callable[..., Any]
MakeProject = Callable[..., Path]

PLOS = "10.1371/journal.pone.0033693"
ONCOL = "10.3892/ijo_00000353"

BIB = f"""@article{{plos2012,
  title = {{Methylphenidate Exposure Induces Dopamine Neuron Loss}},
  doi = {{{PLOS}}},
  year = 2012,
}}
@article{{nodoi,
  author = {{Doe, Jane}},
  title = {{A work Crossref has never heard of, surely}},
  year = 1999,
}}
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CrossrefTestServer]:
    srv = CrossrefTestServer(require_fixtures()).start()
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", srv.url)
    yield srv
    srv.stop()


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local port whose listen backlog is full: connections to it are never answered (the
    kernel drops their SYNs), like a host behind a firewall that discards packets."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = int(server.getsockname()[1])
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):  # the handshake completes in the backlog
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    server.close()


# --- fail fast -----------------------------------------------------------------------------------


def test_refused_connection_fails_at_once_with_a_hint(closed_port: int) -> None:
    """A refused connection is not retried (the old client backed off 3 times: 9.5 s)."""
    clock = FakeClock()
    client = CrossrefClient(base_url=f"http://127.0.0.1:{closed_port}", clock=clock)
    with pytest.raises(CrossrefUnreachable) as info:
        client.work(PLOS)
    assert "refused" in info.value.message
    assert "--offline" in (info.value.hint or "")
    assert client.stats.requests == 1
    assert clock.sleeps == []


def test_many_dois_stop_at_the_first_refusal(closed_port: int) -> None:
    """works() over many DOIs stops the whole run instead of failing each after retries."""
    client = CrossrefClient(base_url=f"http://127.0.0.1:{closed_port}", clock=FakeClock())
    with pytest.raises(CrossrefUnreachable):
        client.works([f"10.5555/{i}" for i in range(40)])
    assert client.stats.requests <= 8  # at most the requests already on their way


def test_an_unanswered_connection_times_out_once(silent_port: int) -> None:
    """A connection nobody answers fails after the connect timeout, without retries."""
    clock = FakeClock()
    client = CrossrefClient(
        base_url=f"http://127.0.0.1:{silent_port}", clock=clock, timeout=(0.3, 5)
    )
    with pytest.raises(CrossrefUnreachable, match=r"within 0\.3 s"):
        client.work(PLOS)
    assert client.stats.requests == 1
    assert clock.sleeps == []


def test_the_default_connect_timeout_is_short() -> None:
    """The client gives up on a connection after 3 s (it waited 5 s, then retried)."""
    timeout = CrossrefClient().timeout
    assert isinstance(timeout, tuple)
    assert timeout[0] <= 3


def test_add_without_a_network_fails_with_a_hint(
    cli: Cli, make_project: MakeProject, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`add` says it cannot reach Crossref, how to go on, and changes nothing (exit 4)."""
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", f"http://127.0.0.1:{closed_port}")
    root = make_project(BIB)
    before = (root / "library.bib").read_bytes()
    result = cli("add", ONCOL, "10.5555/other", "-C", root)
    assert result.code == _errors.EXIT_NETWORK, result.output
    assert "Cannot reach Crossref" in result.err
    assert "hint:" in result.err
    assert "--offline" in result.err
    assert (root / "library.bib").read_bytes() == before


def test_enrich_without_a_network_fails_with_a_hint(
    cli: Cli, make_project: MakeProject, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", f"http://127.0.0.1:{closed_port}")
    root = make_project(BIB)
    result = cli("enrich", "-C", root)
    assert result.code == _errors.EXIT_NETWORK, result.output
    assert "Cannot reach Crossref" in result.err
    assert "hint:" in result.err


def test_a_dropped_connection_is_still_retried(server: CrossrefTestServer) -> None:
    """Only a connection that cannot be made is final: one reset mid-answer is retried."""
    from crossref_server import Fault

    server.add_faults(Fault("reset"))
    client = CrossrefClient(base_url=server.url, clock=FakeClock())
    assert client.work(ONCOL)["DOI"].lower() == ONCOL
    assert client.stats.retries == 1


# --- progress and summaries ----------------------------------------------------------------------


def test_enrich_reports_progress_and_ends_with_a_summary(
    cli: Cli, make_project: MakeProject, server: CrossrefTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Not a terminal: plain progress lines with counts, then one summary line."""
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    result = cli("enrich", "-C", make_project(BIB))
    assert result.code == 0, result.output
    lines = result.err.splitlines()
    assert "Crossref: 1/1 (100%)" in result.err
    assert "Crossref search: 1/1 (100%)" in result.err
    summary = [line for line in lines if line.startswith("enrich: ")]
    assert len(summary) == 1
    assert "2 entries looked up" in summary[0]
    assert "1 filled" in summary[0]


def test_quiet_shows_no_progress_and_no_summary(
    cli: Cli, make_project: MakeProject, server: CrossrefTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    result = cli("enrich", "-C", make_project(BIB), "--quiet")
    assert result.code == 0, result.output
    assert "Crossref: 1/1" not in result.err
    assert "Crossref search" not in result.err
    assert "enrich:" not in result.err


def test_add_ends_with_a_summary(
    cli: Cli, make_project: MakeProject, server: CrossrefTestServer
) -> None:
    result = cli("add", ONCOL, PLOS, "-C", make_project(BIB))
    assert result.code == 0, result.output
    assert "add: 2 DOI(s): 1 added, 1 already in the library, 0 not added" in result.err


def test_import_and_build_end_with_a_summary(
    cli: Cli, make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    other = tmp_path / "other.bib"
    other.write_text("@article{new2020, author = {New, Ann}, title = {New}, year = 2020}\n")
    root = make_project(BIB)
    monkeypatch.chdir(root)
    imported = cli("import", other)
    assert imported.code == 0, imported.output
    assert "Matching: 1/1 (100%)" in imported.err
    assert "import: 1 added, 0 filled, 0 conflicts" in imported.err
    built = cli("build")
    assert built.code == 0, built.output
    assert "Building: " in built.err
    assert "build: 11 files in build/ from 3 entries" in built.err


def test_check_online_shows_progress(
    cli: Cli, make_project: MakeProject, server: CrossrefTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    result = cli("check", "--online", "-C", make_project(BIB))
    assert "Crossref: 1/1" in result.err


def test_line_reporter_prints_counts_and_time_left() -> None:
    """A line every INTERVAL seconds with count, share and time left; a last line at the end."""
    now = [0.0]
    out = io.StringIO()
    reporter = _progress.LineReporter(clock=lambda: now[0])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stderr", out)
        with progress.reporting(reporter), progress.task("Crossref", 100) as task:
            for _ in range(100):
                now[0] += 0.5
                task.advance()
    lines = out.getvalue().splitlines()
    assert lines[0] == "Crossref: 10/100 (10%), about 45.0 s left"
    assert len(lines) == 11  # every 5 s of 50, and the last line
    assert lines[-1] == "Crossref: 100 done in 50.0 s"


def test_rich_reporter_draws_a_bar_with_counts() -> None:
    """On a terminal the bar shows the label, the count of the total and the time left."""
    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    reporter = _progress.RichReporter(console)
    with progress.reporting(reporter), progress.task("Crossref", 4) as task:
        for _ in range(3):
            task.advance()
        reporter.bar.refresh()
    assert "Crossref" in screen.getvalue()
    assert "3/4" in screen.getvalue()


def test_the_bar_starts_no_thread_so_steps_may_fork() -> None:
    """A bar on a terminal starts no refresh thread: ``parallel`` does not fork while another
    thread runs, so with rich's thread a build on a terminal ran on one core."""
    import threading

    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    before = threading.active_count()
    with progress.reporting(_progress.RichReporter(console)), progress.task("Rendering", 4):
        assert threading.active_count() == before


def test_the_bar_is_redrawn_as_the_work_advances() -> None:
    """Without a refresh thread the bar is redrawn by the work itself (10 times a second at
    most)."""
    from rich.console import Console

    screen = io.StringIO()
    now = [0.0]
    console = Console(file=screen, force_terminal=True, width=100)
    reporter = _progress.RichReporter(console, clock=lambda: now[0])
    with progress.reporting(reporter), progress.task("Rendering", 4) as task:
        for _ in range(3):
            now[0] += 1.0
            task.advance()
        assert "3/4" in screen.getvalue()


def test_no_reporter_no_output(capsys: pytest.CaptureFixture[str]) -> None:
    """A library call shows nothing: without a reporter a task is a no-op."""
    with progress.task("Crossref", 3) as task:
        task.advance()
        progress.advance()
    assert capsys.readouterr() == ("", "")
