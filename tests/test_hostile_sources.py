"""Hostile Crossref answers, served from a real local server through the real client path.

Whatever Crossref (or something pretending to be it) answers, library.bib must re-parse to the
entries it had plus only what was asked for, with every value intact: no injected block, no
broken field, no huge or endless body read into memory, no request sent to another host.
"""

from __future__ import annotations

import _thread
import copy
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

import cytobib
from crossref_server import CrossrefTestServer, Fault, work_envelope
from cytobib import latex
from cytobib.controls import without_escape_sequences
from cytobib.crossref.http import CrossrefClient
from cytobib.errors import CrossrefBadResponse, CrossrefError, CrossrefUnavailable

PAYLOAD = '}}@preamble{"\\input{/etc/hostname}"}@comment{'
"""Closes a braced field early and opens a @preamble that makes bibtex read a local file."""

PAYLOADS = [
    PAYLOAD,
    '"}, title = {pwned',  # closes a quoted value and adds a field
    "unbalanced { brace",
    "unbalanced } brace",
    "\n@misc{injected, title = {x}}\n",  # an entry start at a line start
    "a \\ backslash at the end \\",
    "percent % comment start",
    "NUL \x00 and bell \x07 and escape \x1b[31m",
]

BIB = """% my library
@article{kept1999,
  author = {Doe, Jane},
  title = {Kept exactly},
  journal = {J Tests},
  year = 1999,
}
"""

HOSTILE_DOI = "10.5555/hostile"


def hostile_work(text: str, doi: str = HOSTILE_DOI) -> dict[str, Any]:
    """A plausible work message whose free-text fields all carry ``text``."""
    return {
        "DOI": doi,
        "type": "journal-article",
        "title": [f"Interleukin-2 {text} therapy"],
        "author": [
            {"given": "Ann", "family": f"Smith{text}", "sequence": "first"},
            {"given": "Bo", "family": "Li", "sequence": "additional"},
        ],
        "container-title": [f"Journal {text}"],
        "publisher": f"Publisher {text}",
        "issued": {"date-parts": [[2020, 5, 1]]},
        "volume": "12",
        "page": "1-9",
        "abstract": f"<jats:p>Abstract {text}</jats:p>",
        "updated-by": [
            {
                "type": "retraction",
                "DOI": "10.5555/notice",
                "source": f"publisher{text}",
                "updated": {"date-parts": [[2021, 1, 2]]},
            }
        ],
    }


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CrossrefTestServer]:
    srv = CrossrefTestServer().start()
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", srv.url)
    yield srv
    srv.stop()


def serve(server: CrossrefTestServer, message: dict[str, Any]) -> None:
    body = json.dumps(work_envelope(message)).encode()
    server.works[message["DOI"].lower()] = (body, {"content-type": "application/json"})


def blocks(path: Path) -> dict[str, int]:
    """What an independent parser (bibtexparser v2) sees in the file, by block kind."""
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    return {
        "entries": len(library.entries),
        "strings": len(library.strings),
        "preambles": len(library.preambles),
        "failed": len(library.failed_blocks),
    }


def entry_fields(path: Path, key: str) -> dict[str, str]:
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    for entry in library.entries:
        if entry.key == key:
            return {f.key.lower(): str(f.value) for f in entry.fields}
    raise AssertionError(f"{key} not in {path}")


def visible(text: str) -> str:
    """What a payload may legitimately become once written: terminal escape sequences
    (whole) and control characters dropped."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", without_escape_sequences(text))


def words(text: str) -> str:
    """The visible text with whitespace runs as one space (LaTeX reads them so)."""
    return " ".join(visible(text).split())


@pytest.mark.parametrize("text", PAYLOADS, ids=range(len(PAYLOADS)))
def test_add_writes_hostile_values_as_values(make_project, cli, server, text) -> None:
    """`add` of a work whose every text field is hostile adds exactly one entry; the rest of
    the file is byte-for-byte the same and each hostile value reads back as written."""
    root = make_project(BIB)
    bib = root / "library.bib"
    before = bib.read_text(encoding="utf-8")
    serve(server, hostile_work(text))
    result = cli("add", "-C", root, HOSTILE_DOI)
    assert result.code == 0, result.output
    after = bib.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))
    assert blocks(bib) == {"entries": 2, "strings": 0, "preambles": 0, "failed": 0}
    added = [e.key for e in bibtexparser.parse_string(after).entries if e.key != "kept1999"]
    assert len(added) == 1
    fields = entry_fields(bib, added[0])
    title = latex.to_text(fields["title"])
    assert words(f"Interleukin-2 {text} therapy") == words(title)
    assert words(text) in words(latex.to_text(fields["journal"]))
    status = fields.get("update-status", "")
    assert status.startswith("retracted; 10.5555/notice;")
    record = cytobib.load(root).get(added[0])
    assert record is not None and record.update_status is not None
    assert words(f"publisher{text}".replace(";", ",")) == words(record.update_status.source or "")
    check = cli("check", "-C", root, "--format", "json")
    codes = {i["code"] for i in json.loads(check.out)["issues"] if i["severity"] == "error"}
    assert codes <= {"retracted"}  # the hostile work is flagged retracted, by design


def test_enrich_writes_hostile_values_as_values(make_project, cli, server) -> None:
    """`enrich` fills missing fields from a hostile answer without breaking the file."""
    root = make_project(BIB + f"\n@article{{thin,\n  doi = {{{HOSTILE_DOI}}},\n}}\n")
    bib = root / "library.bib"
    serve(server, hostile_work(PAYLOAD))
    result = cli("enrich", "-C", root, "thin")
    assert result.code == 0, result.output
    assert blocks(bib) == {"entries": 2, "strings": 0, "preambles": 0, "failed": 0}
    fields = entry_fields(bib, "thin")
    assert PAYLOAD in latex.to_text(fields["journal"])
    assert fields["update-status"].startswith("retracted; 10.5555/notice;")
    record = cytobib.load(root).get("thin")
    assert record is not None and record.update_status is not None
    assert record.update_status.source == f"publisher{PAYLOAD}"


def test_search_match_with_hostile_doi_is_not_written(make_project, cli, server) -> None:
    """A title search whose best match carries a DOI that is not a DOI writes nothing
    broken: the 'DOI' is refused (it cannot be a DOI) and the file keeps its blocks."""
    bib_text = BIB + (
        "\n@article{nodoi,\n  author = {Smith, Ann},\n"
        "  title = {Interleukin-2 dosing therapy},\n  year = 2020,\n}\n"
    )
    root = make_project(bib_text)
    bib = root / "library.bib"
    match = hostile_work("dosing", doi=f"10.5555/x{PAYLOAD}")
    match["author"][0]["family"] = "Smith"
    match["score"] = 99.0
    listing = {
        "status": "ok",
        "message-type": "work-list",
        "message": {"items": [match], "total-results": 1},
    }
    server.search_body = json.dumps(listing).encode()
    result = cli("enrich", "-C", root, "nodoi")
    assert result.code in (0, 4), result.output
    assert blocks(bib) == {"entries": 2, "strings": 0, "preambles": 0, "failed": 0}
    assert "doi" not in entry_fields(bib, "nodoi")  # a match is only worth a real DOI
    assert "not a DOI" in result.out


def test_huge_body_is_not_read(make_project, cli, server) -> None:
    """A 400 MB answer is refused from its Content-Length: exit 4, nothing written."""
    root = make_project(BIB)
    before = (root / "library.bib").read_bytes()
    server.add_faults(Fault("huge", size=400 * 2**20), doi="10.5555/huge")
    result = cli("add", "-C", root, "10.5555/huge")
    assert result.code == 4, result.output
    assert "10.5555/huge" in result.err and "MB" in result.err
    assert (root / "library.bib").read_bytes() == before


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_huge_unannounced_body_stops_at_the_cap(tmp_path: Path) -> None:
    """A chunked body with no Content-Length is read only up to the cap, in a child process
    whose peak memory stays far below the body's size."""
    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from crossref_server import CrossrefTestServer, Fault
from cytobib.crossref.http import CrossrefClient
from cytobib.errors import CrossrefBadResponse
srv = CrossrefTestServer().start()
srv.add_faults(Fault("huge", size=300 * 2**20, announce=False), doi="10.5555/huge")
try:
    CrossrefClient(base_url=srv.url, max_attempts=1).work("10.5555/huge")
except CrossrefBadResponse as exc:
    print("refused:", exc)
finally:
    srv.stop()
# VmHWM, not ru_maxrss: after fork+exec Linux carries the parent's peak into ru_maxrss.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print("peak", int(hwm) // 1024)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "refused:" in out and "10.5555/huge" in out
    peak_mb = int(out.rsplit("peak", 1)[1])
    assert peak_mb < 200, out  # a 300 MB body held in memory would exceed this


def test_dripping_body_hits_the_deadline() -> None:
    """A body that drips a byte every 0.2 s is given up at the deadline, not read for minutes."""
    from cytobib import net

    server = CrossrefTestServer().start()
    try:
        server.add_faults(Fault("drip", size=10_000, delay=0.2), doi="10.5555/drip")
        client = CrossrefClient(
            base_url=server.url, max_attempts=4, bounds=net.Bounds(deadline=1.0)
        )
        started = time.monotonic()
        with pytest.raises(CrossrefUnavailable, match=r"10\.5555/drip"):
            client.work("10.5555/drip")
        assert time.monotonic() - started < 8  # one attempt, not four, and not 10,000 x 0.2 s
        assert len(server.hits) == 1
    finally:
        server.stop()


def test_ctrl_c_ends_dripping_reads_at_once() -> None:
    """Ctrl-C while several workers read dripping bodies ends the run within the grace."""
    server = CrossrefTestServer().start()
    try:
        server.fault_rule = lambda _n, _doi: Fault("drip", size=10_000, delay=0.5)
        client = CrossrefClient(base_url=server.url, max_attempts=1)
        timer = threading.Timer(1.0, _thread.interrupt_main)
        timer.start()
        started = time.monotonic()
        try:
            with pytest.raises(KeyboardInterrupt):
                client.works([f"10.5555/d-{i}" for i in range(4)])
        finally:
            timer.cancel()
        assert time.monotonic() - started < 6  # default deadline is 60 s: not waited out
    finally:
        server.stop()


def test_redirect_to_another_host_is_not_followed() -> None:
    """A redirect to another host is refused; that host never sees the contact address."""
    server = CrossrefTestServer().start()
    elsewhere = CrossrefTestServer().start()
    try:
        target = elsewhere.url.replace("127.0.0.1", "localhost") + "/works/10.5555/moved"
        server.add_faults(Fault("redirect", location=target), doi="10.5555/moved")
        client = CrossrefClient(base_url=server.url, mailto="me@example.org", max_attempts=1)
        with pytest.raises(CrossrefError, match="redirect"):
            client.work("10.5555/moved")
        assert elsewhere.hits == []
    finally:
        server.stop()
        elsewhere.stop()


def test_redirect_within_the_host_is_followed() -> None:
    """A redirect to the same host (a moved path) is followed as before."""
    server = CrossrefTestServer().start()
    try:
        server.add_faults(
            Fault("redirect", location=server.url + "/works/10.5555/new-home"),
            doi="10.5555/old-home",
        )
        client = CrossrefClient(base_url=server.url, max_attempts=1)
        message = client.work("10.5555/old-home")
        assert message["DOI"] == "10.5555/new-home"
    finally:
        server.stop()


def test_hostile_values_never_reach_the_terminal_raw(make_project, cli, server) -> None:
    """Escape sequences in a Crossref title are not printed: enrich's report is clean."""
    root = make_project(
        BIB.replace("title = {Kept exactly}", "title = {Something else entirely}").replace(
            "year = 1999", "year = 1999,\n  doi = {10.5555/ansi}"
        )
    )
    work = hostile_work("\x1b]0;owned\x07\x1b[2J", doi="10.5555/ansi")
    serve(server, work)
    result = cli("enrich", "-C", root)
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_bad_response_is_not_cached_as_good(tmp_path: Path) -> None:
    """An over-large answer is not stored: the next run asks again."""
    from cytobib.crossref.cache import Cache

    server = CrossrefTestServer().start()
    try:
        server.add_faults(Fault("huge", size=20 * 2**20), doi="10.5555/big")
        cache = Cache(tmp_path)
        client = CrossrefClient(base_url=server.url, cache=cache, max_attempts=1)
        with pytest.raises(CrossrefBadResponse):
            client.work("10.5555/big")
        assert list(cache.keys()) == []
        assert client.work("10.5555/big")["DOI"] == "10.5555/big"  # fault used up
    finally:
        server.stop()


def test_payload_deep_copy_unchanged() -> None:
    """The fixture helper does not share state between parametrised cases."""
    one = hostile_work(PAYLOAD)
    two = copy.deepcopy(one)
    assert one == two
