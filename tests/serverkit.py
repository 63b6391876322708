"""What the local look-alikes of Crossref and PubMed (tests/crossref_server.py,
tests/pubmed_server.py) share: a real HTTP server on a free port of 127.0.0.1 in a daemon
thread, a quiet HTTP/1.1 handler, a sliding window that counts requests over a limit, and
a simulated clock for the clients' pacing and back-off.
"""

from __future__ import annotations

import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest


def require(folder: Path, message: str) -> Path:
    """``folder``, or skip the test with ``message`` (it says where it was looked for)."""
    if not folder.is_dir():
        pytest.skip(message)
    return folder


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (keep-alive, as the real APIs), and no request log in the test output."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return


class LocalServer:
    """Serves :meth:`handler` on 127.0.0.1 from a ``ThreadingHTTPServer``; a context manager
    that starts and stops it."""

    def __init__(self) -> None:
        self._httpd: ThreadingHTTPServer | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class, bound to this server."""
        raise NotImplementedError

    def start(self) -> Self:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        httpd.daemon_threads = True
        httpd.block_on_close = False
        httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._httpd = httpd
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving (sleeping handler threads are daemons and die with the process)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL to give the client."""
        assert self._httpd is not None, "start() the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"


def crowded(window: deque[float], arrived: float, rate: int, interval: float) -> bool:
    """Record a request arriving at ``arrived``; True when ``rate`` others already arrived
    within the last ``interval`` seconds (a request over the limit)."""
    while window and arrived - window[0] >= interval:
        window.popleft()
    over = len(window) >= rate
    window.append(arrived)
    return over


class FakeClock:
    """Simulated monotonic time: ``sleep`` advances it instantly and records the duration."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if seconds > 0:
                self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
