"""The good citizen under pyzotero: an httpx2 transport that paces, retries and bounds.

pyzotero sends every request through the ``httpx2.Client`` it is given; this transport sits
inside that client, so every call pyzotero makes gets the same rules
(``shared/docs/zotero-web-api.md`` §9):

* **one request in flight** (``concurrency``, default 1; the API asks for at most 4);
* **Backoff**: a ``Backoff: <seconds>`` header on *any* answer pauses the next request that
  long; ``Retry-After`` on a 429 or 503 is waited before the same request is sent again (an
  HTTP-date is read too), and without it the wait doubles from ``backoff_base``;
* **retries**: 429, 500, 502, 503, 504, timeouts and connection failures are retried up to
  ``max_attempts`` times. Writes are safe to resend: cytobib sends every write with
  ``If-Unmodified-Since-Version``, so a write that did reach the server answers 412 the
  second time, and the sync re-reads. Then :class:`~cytobib.errors.ZoteroUnavailable`;
* **bounds**: each answer is read within :class:`cytobib.net.Bounds` (size cap and overall
  deadline), and redirects are not followed (the API sends none the sync needs).

The transport consumes ``Backoff`` and ``Retry-After``: it strips them from the answer it hands
up, because pyzotero would otherwise sleep on them again with the real clock (and, in
``create_items``, parse a 429's text body as JSON: it never sees a 429 now). The clock is
injected, so tests and the benchmark see every wait without sleeping through it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx2

from cytobib import net
from cytobib.crossref.ratelimit import Clock, SystemClock
from cytobib.errors import ZoteroBadResponse, ZoteroUnavailable
from cytobib.polite import parse_retry_after

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CONSUMED = ("backoff", "retry-after")


@dataclass
class TransportStats:
    """What went over the wire (benchmarks and tests read it; commands print ``requests``)."""

    requests: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    waits: list[float] = field(default_factory=list)  # seconds paused, in order

    @property
    def writes(self) -> int:
        return sum(n for m, n in self.by_method.items() if m != "GET")


class PoliteTransport(httpx2.BaseTransport):
    """Pacing, retries and bounded reads around another transport (see the module docstring)."""

    def __init__(
        self,
        inner: httpx2.BaseTransport | None = None,
        *,
        clock: Clock | None = None,
        concurrency: int = 1,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        max_wait: float = 600.0,
        bounds: net.Bounds | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1 or max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be at least 1")
        self.inner = inner or httpx2.HTTPTransport()
        self.clock: Clock = clock or SystemClock()
        self.slots = threading.BoundedSemaphore(concurrency)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self.bounds = bounds or net.Bounds(max_bytes=64 * 1024 * 1024, deadline=120.0)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self._lock = threading.Lock()
        self._resume_at = 0.0
        self.stats = TransportStats()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()  # the body is resent as it is on a retry
        problem = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            with self.slots:
                self._wait_backoff()
                self._count(request.method)
                try:
                    response = self.inner.handle_request(request)
                    body = self._read(response)
                except (
                    httpx2.TimeoutException,
                    httpx2.NetworkError,
                    httpx2.RemoteProtocolError,
                ) as exc:
                    problem = f"the connection failed ({type(exc).__name__})"
                    retry_after = None
                else:
                    status = response.status_code
                    self._note_backoff(response.headers.get("backoff"))
                    if status not in RETRY_STATUSES:
                        return _rebuilt(response, body, request)
                    problem = f"HTTP {status}"
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
            if attempt == self.max_attempts:
                break
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            if delay > self.max_wait:
                raise ZoteroUnavailable(
                    f"Zotero asked to wait {delay:.0f} s before trying again ({problem}).",
                    hint="Try again later; what was written so far is recorded.",
                )
            with self._lock:
                self.stats.retries += 1
            self._pause(delay)
        raise ZoteroUnavailable(
            f"Zotero gave no answer to {request.method} {request.url.path} after "
            f"{self.max_attempts} attempts (last: {problem}).",
            hint="Zotero may be busy or unreachable; try again later (nothing is lost: what "
            "was written so far is recorded).",
        )

    def close(self) -> None:
        self.inner.close()

    # -- pacing ------------------------------------------------------------------------------

    def _count(self, method: str) -> None:
        with self._lock:
            self.stats.requests += 1
            self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1

    def _note_backoff(self, value: str | None) -> None:
        """``Backoff`` may come on any answer: the next request waits that long."""
        seconds = parse_retry_after(value)
        if seconds:
            with self._lock:
                self._resume_at = max(self._resume_at, self.clock.monotonic() + seconds)

    def _wait_backoff(self) -> None:
        with self._lock:
            remaining = self._resume_at - self.clock.monotonic()
        if remaining > 0:
            if remaining > self.max_wait:
                raise ZoteroUnavailable(
                    f"Zotero asked clients to back off for {remaining:.0f} s.",
                    hint="Try again later; what was written so far is recorded.",
                )
            self._pause(remaining)

    def _pause(self, seconds: float) -> None:
        with self._lock:
            self.stats.waits.append(seconds)
        self.clock.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        delay: float = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        jitter: float = self._rng.uniform(0, delay / 4)
        return delay + jitter

    # -- reading -----------------------------------------------------------------------------

    def _read(self, response: httpx2.Response) -> bytes:
        """The whole body within the size cap and the deadline."""
        started = self.clock.monotonic()
        announced = response.headers.get("content-length", "")
        try:
            if announced.strip().isdigit() and int(announced) > self.bounds.max_bytes:
                raise net.TooLarge(self.bounds.max_bytes)
            parts: list[bytes] = []
            size = 0
            for chunk in _chunks(response):
                size += len(chunk)
                if size > self.bounds.max_bytes:
                    raise net.TooLarge(self.bounds.max_bytes)
                if self.clock.monotonic() - started > self.bounds.deadline:
                    raise net.Deadline(self.bounds.deadline)
                parts.append(chunk)
        except (net.TooLarge, net.Deadline) as exc:
            raise ZoteroBadResponse(
                f"Zotero's answer was {exc}; it was not read.",
                hint="A proxy or a wrong CYTOBIB_ZOTERO_URL may be in the way.",
            ) from None
        finally:
            response.close()
        return b"".join(parts)


def _chunks(response: httpx2.Response) -> Iterator[bytes]:
    """The body as it arrives, decoded (gzip...): the cap counts what would be kept."""
    yield from response.iter_bytes()


def _rebuilt(response: httpx2.Response, body: bytes, request: httpx2.Request) -> httpx2.Response:
    """The answer with its body read, minus the pacing headers this transport consumed."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _CONSUMED]
    headers = [
        (k, v) for k, v in headers if k.lower() not in ("content-encoding", "transfer-encoding")
    ]
    return httpx2.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=request,
        extensions={
            k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")
        },
    )
