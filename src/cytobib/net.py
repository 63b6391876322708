"""Bounded HTTP GETs: the one way cytobib reads an answer from the network.

An answer from outside is read with limits the caller cannot forget (issue 12):

- a **size cap**: the body is streamed and reading stops past ``max_bytes`` (a 400 MB body
  costs 10 MB of memory at most, never 1.3 GB), and a ``Content-Length`` above the cap is
  refused before a byte of the body is read;
- an **overall deadline** per request: a server that drips a byte every two seconds never
  trips the per-read timeout, so the whole body must arrive within ``deadline`` seconds;
- **redirects only within the host asked**: a redirect elsewhere is not followed, so the
  contact address in the query and the User-Agent never reaches another host;
- a **stop switch** (:class:`Stops`): when a run is cancelled (Ctrl-C, an error budget spent),
  reads in other threads end at once (after a short grace the caller chooses) instead of
  finishing a slow body.

:class:`cytobib.polite.PoliteClient` maps the exceptions below to each source's own typed
errors (Crossref, PubMed), naming the record it was fetching.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

__all__ = [
    "Answer",
    "Bounds",
    "Deadline",
    "OffHost",
    "Stopped",
    "Stops",
    "TooLarge",
    "get",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Bounds:
    """Limits for one request: body size, seconds from sending to the last byte, redirects."""

    max_bytes: int = 10 * 1024 * 1024
    deadline: float = 60.0
    max_redirects: int = 3


@dataclass(frozen=True)
class Answer:
    """A response read in full within its bounds."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    url: str


class TooLarge(Exception):
    """The body is larger than ``Bounds.max_bytes`` (announced or while reading)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit / 2**20:g} MB")
        self.limit = limit


class Deadline(Exception):
    """The whole answer did not arrive within ``Bounds.deadline`` seconds."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not complete within {seconds:g} s")
        self.seconds = seconds


class OffHost(Exception):
    """The server redirected to another host (or too many times); it was not followed."""

    def __init__(self, location: str) -> None:
        super().__init__(f"redirected to {location}")
        self.location = location


class Stopped(Exception):
    """The run was stopped (:meth:`Stops.stop`) while this request was being read."""


class Stops:
    """The stop switch shared by the threads of one run.

    ``stop()`` says no new request may start; ``abort()`` also ends every read under way:
    reads check it between chunks, and it shuts the sockets of answers being read, so a thread
    blocked waiting for the next byte wakes up at once.
    """

    def __init__(self) -> None:
        self._stopped = threading.Event()
        self._aborted = threading.Event()
        self._lock = threading.Lock()
        self._live: set[requests.Response] = set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    @property
    def aborted(self) -> bool:
        return self._aborted.is_set()

    def stop(self) -> None:
        self._stopped.set()

    def abort(self) -> None:
        self._stopped.set()
        self._aborted.set()
        with self._lock:
            live = list(self._live)
        for response in live:
            _shut(response)

    def reset(self) -> None:
        """Allow requests again (the next run of a reused client)."""
        self._stopped.clear()
        self._aborted.clear()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True at once if the run is stopped meanwhile."""
        return self._stopped.wait(seconds)

    @contextlib.contextmanager
    def watching(self, response: requests.Response) -> Iterator[None]:
        with self._lock:
            self._live.add(response)
        try:
            if self._aborted.is_set():
                raise Stopped
            yield
        finally:
            with self._lock:
                self._live.discard(response)


def _shut(response: requests.Response) -> None:
    """Wake a thread blocked reading ``response``: shut its socket (close alone may not)."""
    conn: Any = getattr(response.raw, "connection", None)
    sock = getattr(conn, "sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def get(
    session: requests.Session,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | tuple[float, float] = (5, 30),
    bounds: Bounds = Bounds(),
    stops: Stops | None = None,
) -> Answer:
    """GET ``url`` and read the whole answer within ``bounds``.

    Raises:
        TooLarge, Deadline, OffHost, Stopped: see each class.
        requests.RequestException: transport failures, as ``requests`` raises them.
    """
    started = time.monotonic()
    origin = _origin(url)
    query: Mapping[str, str] | None = params
    for _ in range(bounds.max_redirects + 1):
        response = session.get(
            url,
            params=query,
            headers=dict(headers or {}),
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        )
        try:
            if response.status_code in _REDIRECTS and response.headers.get("location"):
                target = urljoin(response.url or url, response.headers["location"])
                if _origin(target) != origin:
                    raise OffHost(_origin(target)[1] or target)
                url, query = target, None  # the Location carries its own query
                continue
            body = _read(response, started, bounds, stops)
            return Answer(
                response.status_code,
                response.reason or "",
                response.headers,
                body,
                response.url or url,
            )
        finally:
            response.close()
    raise OffHost(f"{url} (more than {bounds.max_redirects} redirects)")


def _read(
    response: requests.Response, started: float, bounds: Bounds, stops: Stops | None
) -> bytes:
    announced = response.headers.get("content-length", "")
    if announced.strip().isdigit() and int(announced) > bounds.max_bytes:
        raise TooLarge(bounds.max_bytes)
    raw: Any = response.raw
    parts: list[bytes] = []
    size = 0
    with stops.watching(response) if stops is not None else contextlib.nullcontext():
        while True:
            if stops is not None and stops.aborted:
                raise Stopped
            if time.monotonic() - started > bounds.deadline:
                raise Deadline(bounds.deadline)
            try:
                # read1: what one socket read gives (at most _CHUNK), so the deadline and the
                # stop switch are checked as often as data arrives.
                chunk = raw.read1(_CHUNK, decode_content=True)
            except urllib3.exceptions.HTTPError as exc:
                if stops is not None and stops.aborted:
                    raise Stopped from None
                raise _as_requests_error(exc) from exc
            except OSError:
                if stops is not None and stops.aborted:
                    raise Stopped from None
                raise
            if not chunk:
                break
            size += len(chunk)
            if size > bounds.max_bytes:
                raise TooLarge(bounds.max_bytes)
            parts.append(chunk)
    if stops is not None and stops.aborted:
        raise Stopped
    return b"".join(parts)


def _as_requests_error(exc: urllib3.exceptions.HTTPError) -> requests.RequestException:
    """What ``requests`` itself raises for the same failure while reading a body."""
    errors = urllib3.exceptions
    if isinstance(exc, errors.ReadTimeoutError):
        return requests.exceptions.ReadTimeout(exc)
    if isinstance(exc, errors.DecodeError):
        return requests.exceptions.ContentDecodingError(exc)
    if isinstance(exc, errors.SSLError):
        return requests.exceptions.SSLError(exc)
    if isinstance(exc, errors.ProtocolError):
        return requests.exceptions.ChunkedEncodingError(exc)
    return requests.exceptions.ConnectionError(exc)
