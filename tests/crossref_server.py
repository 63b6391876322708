"""A real Crossref look-alike on 127.0.0.1 for tests and the benchmark.

It serves the recorded responses in ``../shared/fixtures/crossref/`` (beside the repository)
over real HTTP from a ``ThreadingHTTPServer`` in a background thread, so the client's
sessions, timeouts, retries and threads are exercised for real. On top of the recordings it can

* inject faults, per DOI or for any request (:class:`Fault`): 429 with or without Retry-After,
  5xx, a 400, slow answers, truncated JSON, a body cut short, connection resets, an HTML page
  or the wrong content type with status 200;
* enforce limits like Crossref (:class:`Enforce`): N requests per interval and K in flight,
  counting every violation (and answering 429 to them, as Crossref would);
* emulate the 2026 pools: ``polite`` (10/1s, 3 in flight) when a ``mailto`` is sent,
  ``public`` (5/1s, 1 in flight) otherwise, in the ``x-rate-limit-*`` headers;
* answer any DOI under ``10.5555/`` (Crossref's test prefix) with a small synthetic work.

Every 429 and 5xx it sends is constructed here: Crossref's own 429 was never recorded (see
``PROVENANCE.md``), so its body is the transcribed ``error-429-reported-body.html``.

Use :func:`running_server` in a fixture of your own, or the ``crossref_server`` fixture via
``pytest_plugins = ("crossref_server",)`` (not both in one module: importing the file before
pytest loads it as a plugin makes pytest warn that it cannot rewrite its asserts).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from serverkit import LocalServer, QuietHandler, crowded, require

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "crossref"
MISSING = (
    f"Crossref fixtures not found at {FIXTURES}: these tests need the shared/ folder "
    "checked out beside the repository."
)
SYNTHETIC_PREFIX = "10.5555/"
_HOP_BY_HOP = {
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "set-cookie",
    "date",
    "server",
    "vary",
}
_RATE_HEADERS = {
    "x-rate-limit-limit",
    "x-rate-limit-interval",
    "x-concurrency-limit",
    "x-ratelimit-limit",
    "x-ratelimit-interval",
    "x-api-pool",
}
POLITE = {
    "x-api-pool": "polite",
    "x-rate-limit-limit": "10",
    "x-rate-limit-interval": "1s",
    "x-concurrency-limit": "3",
}
PUBLIC = {
    "x-api-pool": "public",
    "x-rate-limit-limit": "5",
    "x-rate-limit-interval": "1s",
    "x-concurrency-limit": "1",
}


def require_fixtures() -> Path:
    """The fixtures folder, or skip the test with a message saying where it was looked for."""
    return require(FIXTURES, MISSING)


def load_fixture(name: str) -> Any:
    """A fixture file's JSON (skips when the folder is missing)."""
    return json.loads((require_fixtures() / name).read_text(encoding="utf-8"))


def work_envelope(message: dict[str, Any]) -> dict[str, Any]:
    """Wrap an ``item-*`` object (cut from a list) as a ``GET /works/{doi}`` answer."""
    return {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": message}


def synthetic_work(doi: str) -> dict[str, Any]:
    """A small, valid work message for a ``10.5555/...`` DOI (benchmarks, budget tests)."""
    return {
        "DOI": doi,
        "type": "journal-article",
        "title": [f"Synthetic work {doi.rsplit('/', 1)[-1]}"],
        "author": [{"given": "Test", "family": "Author", "sequence": "first"}],
        "container-title": ["Journal of Tests"],
        "issued": {"date-parts": [[2024, 1, 1]]},
        "volume": "1",
        "page": "1-2",
    }


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. ``kind`` is one of :data:`FAULT_KINDS`."""

    kind: str
    retry_after: str | None = None
    delay: float = 1.0
    location: str | None = None  # "redirect": where to
    size: int = 0  # "huge": bytes streamed; "drip": bytes sent, one per ``delay`` seconds
    announce: bool = True  # "huge": send the true Content-Length (False: chunked, unannounced)


FAULT_KINDS = frozenset(
    {
        "429",
        "500",
        "502",
        "503",
        "504",
        "400",
        "slow",
        "truncated",
        "short-body",
        "reset",
        "html",
        "wrong-type",
        "huge",
        "drip",
        "redirect",
    }
)


@dataclass(frozen=True)
class Enforce:
    """Crossref-like limits: ``rate`` requests per ``interval`` seconds, ``concurrency`` in
    flight. Violations are counted; with ``reject`` they are answered with 429."""

    rate: int
    interval: float = 1.0
    concurrency: int = 1
    reject: bool = True

    def headers(self) -> dict[str, str]:
        """What the server announces for these limits."""
        return {
            "x-rate-limit-limit": str(self.rate),
            "x-rate-limit-interval": f"{self.interval:g}s",
            "x-concurrency-limit": str(self.concurrency),
        }


@dataclass
class Hit:
    """One request the server received."""

    path: str
    doi: str | None
    query: dict[str, list[str]]
    headers: dict[str, str]
    arrived: float
    status: int | None = None
    fault: str | None = None


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes
    reason: str | None = None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    hits: list[Hit] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    window: deque[float] = field(default_factory=deque)
    rate_violations: int = 0
    concurrency_violations: int = 0


class CrossrefTestServer(LocalServer):
    """The server; start it, point a client's ``base_url`` at :attr:`url`, inspect the log."""

    def __init__(
        self,
        fixtures: Path | None = None,
        *,
        latency: float = 0.0,
        enforce: Enforce | None = None,
        announce: dict[str, str] | None = None,
        replay_rate_headers: bool = False,
    ) -> None:
        super().__init__()
        self.latency = latency
        self.enforce = enforce
        self.announce = announce
        self.replay_rate_headers = replay_rate_headers
        self.works: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.search_body: bytes | None = None
        self.search_headers: dict[str, str] = {"content-type": "application/json"}
        self.fault_rule: Callable[[int, str | None], Fault | None] | None = None
        self._faults_any: deque[Fault] = deque()
        self._faults_doi: dict[str, deque[Fault]] = {}
        self._state = _State()
        self._fixtures = fixtures
        self._not_found = (b"Resource not found.", {"content-type": "text/plain"})
        self._html_page = b"<html><body><h1>Service notice</h1>Please try later.</body></html>"
        self._429_body = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
        self._400 = (
            b'{"status":"failed","message-type":"validation-failure","message":[]}',
            {"content-type": "application/json;charset=utf-8"},
        )
        if fixtures is not None:
            self._load(fixtures)

    # -- fixtures ---------------------------------------------------------------------------

    def _load(self, folder: Path) -> None:
        for path in sorted(folder.glob("*.json")):
            name = path.name
            if name.endswith(".headers.json"):
                continue
            if name.startswith(("work-", "item-")):
                data = json.loads(path.read_text(encoding="utf-8"))
                if name.startswith("item-"):
                    data = work_envelope(data)  # list items re-wrapped as singletons
                    body = json.dumps(data, ensure_ascii=False).encode()
                else:
                    body = path.read_bytes()
                self.works[data["message"]["DOI"].lower()] = (body, self._headers_of(path))
        rows2 = folder / "list-query-rows2.json"
        if rows2.exists():
            self.search_body = rows2.read_bytes()
            self.search_headers = self._headers_of(rows2)
        nf = folder / "error-404-work-not-found.txt"
        if nf.exists():
            self._not_found = (nf.read_bytes(), self._headers_of(nf))
        page = folder / "cn-doi-org-404-doi-not-found.html"
        if page.exists():
            self._html_page = page.read_bytes()
        r429 = folder / "error-429-reported-body.html"
        if r429.exists():
            self._429_body = r429.read_bytes()
        r400 = folder / "error-400-field-query-on-doi-route.json"
        if r400.exists():
            self._400 = (r400.read_bytes(), self._headers_of(r400))

    @staticmethod
    def _headers_of(body_path: Path) -> dict[str, str]:
        stem = body_path.name.rsplit(".", 1)[0]
        meta = body_path.with_name(f"{stem}.headers.json")
        if not meta.exists():
            return {"content-type": "application/json"}
        recorded = json.loads(meta.read_text(encoding="utf-8"))["headers"]
        out = {}
        for key, value in recorded.items():
            if key.lower() in _HOP_BY_HOP:
                continue
            out[key.lower()] = ", ".join(value) if isinstance(value, list) else str(value)
        return out

    # -- control ----------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    def add_faults(self, *faults: Fault, doi: str | None = None) -> None:
        """Queue faults for the next requests (of ``doi`` only, when given)."""
        for fault in faults:
            assert fault.kind in FAULT_KINDS, fault.kind
        with self._state.lock:
            if doi is None:
                self._faults_any.extend(faults)
            else:
                self._faults_doi.setdefault(doi.lower(), deque()).extend(faults)

    def reset(self) -> None:
        """Forget the request log and violation counters."""
        with self._state.lock:
            self._state.hits.clear()
            self._state.window.clear()
            self._state.rate_violations = 0
            self._state.concurrency_violations = 0
            self._state.max_in_flight = 0

    # -- observations -----------------------------------------------------------------------

    @property
    def hits(self) -> list[Hit]:
        """Every request received so far, in arrival order."""
        with self._state.lock:
            return list(self._state.hits)

    def hits_for(self, doi: str) -> list[Hit]:
        """Requests for one DOI."""
        return [h for h in self.hits if h.doi == doi.lower()]

    @property
    def rate_violations(self) -> int:
        """Requests that arrived when ``enforce.rate`` were already in the last interval."""
        return self._state.rate_violations

    @property
    def concurrency_violations(self) -> int:
        """Requests that arrived when ``enforce.concurrency`` were already in flight."""
        return self._state.concurrency_violations

    @property
    def max_in_flight(self) -> int:
        """The most requests that were being handled at once."""
        return self._state.max_in_flight

    # -- request handling -------------------------------------------------------------------

    def _arrive(self, hit: Hit) -> tuple[bool, Fault | None]:
        state = self._state
        with state.lock:
            index = len(state.hits)
            state.hits.append(hit)
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            violated = False
            if self.enforce is not None:
                if state.in_flight > self.enforce.concurrency:
                    state.concurrency_violations += 1
                    violated = True
                enforce = self.enforce
                if crowded(state.window, hit.arrived, enforce.rate, enforce.interval):
                    state.rate_violations += 1
                    violated = True
            fault = None
            queue = self._faults_doi.get(hit.doi or "")
            if queue:
                fault = queue.popleft()
            elif self._faults_any:
                fault = self._faults_any.popleft()
            elif self.fault_rule is not None:
                fault = self.fault_rule(index, hit.doi)
        return violated, fault

    def _leave(self) -> None:
        with self._state.lock:
            self._state.in_flight -= 1

    def _rate_headers(self, hit: Hit, recorded: dict[str, str]) -> dict[str, str]:
        headers = dict(recorded)
        if self.replay_rate_headers:
            return headers
        for key in _RATE_HEADERS:
            headers.pop(key, None)
        polite = "mailto" in hit.query or "mailto:" in hit.headers.get("user-agent", "")
        headers.update(POLITE if polite else PUBLIC)
        if self.enforce is not None:
            headers.update(self.enforce.headers())
        if self.announce is not None:
            headers.update(self.announce)
        return headers

    def _respond(self, hit: Hit) -> _Response:
        if hit.doi is not None:
            found = self.works.get(hit.doi)
            if found is None and hit.doi.startswith(SYNTHETIC_PREFIX):
                body = json.dumps(work_envelope(synthetic_work(hit.doi))).encode()
                found = (body, {"content-type": "application/json"})
            if found is None:
                return _Response(
                    404, self._rate_headers(hit, self._not_found[1]), self._not_found[0]
                )
            return _Response(200, self._rate_headers(hit, found[1]), found[0])
        if hit.path == "/works" and self.search_body is not None:
            return _Response(200, self._rate_headers(hit, self.search_headers), self.search_body)
        return _Response(404, self._rate_headers(hit, self._not_found[1]), self._not_found[0])

    def _apply(self, fault: Fault, ok: _Response, hit: Hit) -> _Response | None:
        """The faulty answer (None when the handler must drop the connection itself)."""
        kind = fault.kind
        if kind == "429":
            headers = {"content-type": "text/html", "cache-control": "no-cache"}
            if fault.retry_after is not None:
                headers["retry-after"] = fault.retry_after
            return _Response(429, headers, self._429_body, "Too Many Requests")
        if kind in {"500", "502", "503", "504"}:
            page = f"<html><body><h1>{kind} Server Error</h1></body></html>".encode()
            headers = {"content-type": "text/html"}
            if fault.retry_after is not None:
                headers["retry-after"] = fault.retry_after
            return _Response(int(kind), headers, page)
        if kind == "400":
            return _Response(400, self._rate_headers(hit, self._400[1]), self._400[0])
        if kind == "truncated":
            return _Response(200, ok.headers, ok.body[: max(1, len(ok.body) // 2)])
        if kind == "html":
            return _Response(200, {**ok.headers, "content-type": "text/html"}, self._html_page)
        if kind == "wrong-type":
            return _Response(200, {**ok.headers, "content-type": "text/plain"}, ok.body)
        if kind == "redirect":
            return _Response(302, {"location": fault.location or "/"}, b"", "Found")
        return ok


def _make_handler(server: CrossrefTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            doi = None
            if parts.path.startswith("/works/"):
                doi = unquote(parts.path[len("/works/") :]).lower()
            hit = Hit(
                path=parts.path,
                doi=doi,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                arrived=time.monotonic(),
            )
            violated, fault = server._arrive(hit)
            left = False
            try:
                if server.latency:
                    time.sleep(server.latency)
                response = server._respond(hit)
                if violated and server.enforce is not None and server.enforce.reject:
                    response = _Response(429, {"content-type": "text/html"}, server._429_body)
                if fault is not None:
                    hit.fault = fault.kind
                    if fault.kind == "slow":
                        time.sleep(fault.delay)
                    if fault.kind == "reset":
                        server._leave()
                        left = True
                        self._reset()
                        return
                    if fault.kind in ("huge", "drip"):
                        hit.status = 200
                        hit.fault = fault.kind
                        server._leave()
                        left = True
                        self._stream(fault)
                        return
                    faulty = server._apply(fault, response, hit)
                    assert faulty is not None
                    response = faulty
                hit.status = response.status
                server._leave()  # before the body goes out: the client cannot be done sooner
                left = True
                self._send(response, short=fault is not None and fault.kind == "short-body")
            finally:
                if not left:
                    server._leave()

        def _send(self, response: _Response, *, short: bool) -> None:
            try:
                self.send_response(response.status, response.reason)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Date", formatdate(usegmt=True))
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if short:
                    self.wfile.write(response.body[: len(response.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(response.body)
            except OSError:
                self.close_connection = True  # the client gave up (timeout): fine

        def _stream(self, fault: Fault) -> None:
            """A JSON-looking body that is far too large ("huge") or arrives one byte every
            ``fault.delay`` seconds ("drip"); streamed, never held in memory."""
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                if fault.kind == "huge" and not fault.announce:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(fault.size))
                self.end_headers()
                if fault.kind == "drip":
                    for _ in range(fault.size):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(fault.delay)
                    return
                block = b'{"status":"ok","message":{"abstract":"' + b"A" * (1 << 20)
                sent = 0
                while sent < fault.size:
                    piece = block[: min(len(block), fault.size - sent)]
                    if fault.announce:
                        self.wfile.write(piece)
                    else:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    sent += len(piece)
                if not fault.announce:
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.close_connection = True  # the client stopped reading: as it should

        def _reset(self) -> None:
            """Close with RST: SO_LINGER 0, then close."""
            self.close_connection = True
            try:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            except OSError:
                pass

    return Handler


def running_server(**options: Any) -> CrossrefTestServer:
    """A server serving the recorded fixtures, to use in a ``with`` (which starts and stops
    it); skips the test when the fixtures are missing."""
    return CrossrefTestServer(require_fixtures(), **options)


@pytest.fixture
def crossref_server() -> Iterator[CrossrefTestServer]:
    """The server as a fixture, for modules that load this file with ``pytest_plugins``."""
    with running_server() as server:
        yield server
