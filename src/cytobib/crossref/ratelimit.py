"""An adaptive rate limiter: pace to what Crossref says *now*, never to a hard-coded number.

Crossref's limits have changed (50/s for a decade, then 5/s public and 10/s polite with 1 and 3
requests in flight from December 2025; see ``shared/docs/crossref-api.md`` §2) and the server
announces the current ones on every response in ``x-rate-limit-limit``,
``x-rate-limit-interval`` and ``x-concurrency-limit``. The limiter therefore

* starts from the strictest values observed (:data:`PUBLIC_LIMITS`, :data:`POLITE_LIMITS`),
* re-reads those headers on every response, leniently (``"50, 50"``, legacy
  ``x-ratelimit-*`` twins, garbage: keep the current value),
* paces request *starts* with a token bucket per route kind (single-work routes and list or
  search routes are limited separately), backed by a log of the times requests actually
  started, so that no ``limit + 1`` of them ever fall within one interval (a thread that wakes
  late cannot make the next ones bunch up), and
* bounds requests *in flight* with a resizable semaphore, dropped to 1 for a cool-down after
  any 429.

The bucket holds one token (no bursts) and is run at ``safety`` (95 %) of the announced rate,
so that a server counting requests in a sliding window never sees one too many, even with a
little network jitter. The clock and sleep are injected so tests run on simulated time.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from cytobib.polite import Clock, SystemClock

__all__ = [
    "POLITE_LIMITS",
    "PUBLIC_LIMITS",
    "Clock",
    "LimiterStats",
    "Limits",
    "RateLimiter",
    "Route",
    "SystemClock",
    "parse_count",
    "parse_interval",
]

Route = Literal["single", "list"]
"""``single`` for ``/works/{doi}``; ``list`` for ``/works?query...`` (slower in the public pool)."""


@dataclass(frozen=True)
class Limits:
    """A pool's limits: requests in flight, and ``(requests, per seconds)`` per route kind."""

    concurrency: int
    single: tuple[int, float]
    list: tuple[int, float]


# Recorded 2026-06-16 (habanero cassettes) and a 2026-10 third-party report: public 5/s for
# single works and 1/s for list routes with 1 in flight; polite 10/s with 3 in flight.
PUBLIC_LIMITS = Limits(concurrency=1, single=(5, 1.0), list=(1, 1.0))
POLITE_LIMITS = Limits(concurrency=3, single=(10, 1.0), list=(10, 1.0))

# Values outside these bounds are treated as garbage: a header saying "0" or "1000000"
# requests is more likely broken than true, and trusting it could stall or flood.
_MAX_COUNT = 10_000
_MAX_INTERVAL = 3600.0
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$", re.IGNORECASE)


def parse_count(value: str | None) -> int | None:
    """Read a positive count header such as ``"5"`` or the duplicated ``"50, 50"``.

    Returns the smallest valid number (the strictest reading), or None when nothing valid.
    """
    if not value:
        return None
    numbers = []
    for part in str(value).split(","):
        digits = part.strip()
        if digits.isdigit() and 0 < int(digits) <= _MAX_COUNT:
            numbers.append(int(digits))
    return min(numbers) if numbers else None


def parse_interval(value: str | None) -> float | None:
    """Read an interval header such as ``"1s"`` or ``"60s"`` into seconds.

    Crossref documents whole seconds with an ``s``; ``ms``, ``m`` and a bare number are read
    too. Duplicated values give the longest (strictest); nothing valid gives None.
    """
    if not value:
        return None
    seconds = []
    for part in str(value).split(","):
        match = _INTERVAL.match(part)
        if not match:
            continue
        number = float(match.group(1))
        unit = (match.group(2) or "s").lower()
        number *= {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]
        if 0 < number <= _MAX_INTERVAL:
            seconds.append(number)
    return max(seconds) if seconds else None


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    """First present header among ``names`` (case-insensitive even for plain dicts)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


@dataclass
class LimiterStats:
    """What the limiter did, for reports and tests: slots taken, seconds slept, 429s seen."""

    acquired: int = 0
    waited: float = 0.0
    throttled: int = 0


class _Bucket:
    """A one-route token bucket in GCRA form: the earliest start time of the next request.

    With ``burst`` 1 this spaces starts exactly ``interval / limit`` apart (after safety).
    """

    def __init__(self, limit: int, interval: float, safety: float, burst: int) -> None:
        self.limit = limit
        self.interval = interval
        self._safety = safety
        self._burst = burst
        self._tat = float("-inf")  # theoretical arrival time of the next request
        self.starts: deque[float] = deque()  # actual start times, newest last

    @property
    def spacing(self) -> float:
        """Seconds between request starts at the paced rate."""
        return self.interval / (self.limit * self._safety)

    def reserve(self, now: float, not_before: float) -> float:
        """Book the next start time (never earlier than ``now`` or ``not_before``)."""
        tolerance = (self._burst - 1) * self.spacing
        start = max(now, not_before, self._tat - tolerance)
        self._tat = max(self._tat, start) + self.spacing
        return start

    def window_opens(self, now: float) -> float:
        """When a start keeps every ``limit + 1`` real starts at least ``interval / safety``
        apart: the server's own rule, checked on the times requests actually left.

        Booked tokens cannot repair a thread that woke late from its sleep: the ten requests
        booked after it would still go on schedule, eleven inside one interval. This can.
        """
        while len(self.starts) > self.limit:
            self.starts.popleft()
        if len(self.starts) < self.limit:
            return now
        return max(now, self.starts[0] + self.interval / self._safety)


class RateLimiter:
    """Token buckets plus a resizable in-flight semaphore, tuned by Crossref's headers.

    Use :meth:`slot` around each network request and feed every response's headers to
    :meth:`observe`; call :meth:`throttled` on a 429. Cache hits must not come here.
    """

    def __init__(
        self,
        *,
        polite: bool = False,
        limits: Limits | None = None,
        clock: Clock | None = None,
        safety: float = 0.95,
        burst: int = 1,
        cooldown: float = 60.0,
        fixed: bool = False,
    ) -> None:
        """Start from ``limits`` (default: the strictest known for the pool).

        Args:
            polite: a contact address is sent, so the polite pool's limits apply.
            limits: explicit starting limits (tests, or a Plus token).
            clock: time source and sleep; the system clock by default.
            safety: fraction of the announced rate to pace at (0 < safety <= 1).
            burst: tokens the bucket may hold; 1 means evenly spaced starts.
            cooldown: seconds to stay at 1 request in flight after a 429.
            fixed: the starting limits are a ceiling set by policy, not a guess (NCBI: 3/s
                without a key, 10/s with one): headers may lower them, never raise them.
        """
        if not 0 < safety <= 1:
            raise ValueError("safety must be in (0, 1]")
        start = limits or (POLITE_LIMITS if polite else PUBLIC_LIMITS)
        self._clock: Clock = clock or SystemClock()
        self._safety = safety
        self._cooldown = cooldown
        self._ceiling = start if fixed else None
        self._cond = threading.Condition()
        self._concurrency = start.concurrency
        self._in_flight = 0
        self._throttled_until = float("-inf")
        self._not_before = float("-inf")
        self._buckets: dict[Route, _Bucket] = {
            "single": _Bucket(*start.single, safety=safety, burst=burst),
            "list": _Bucket(*start.list, safety=safety, burst=burst),
        }
        self.stats = LimiterStats()

    # -- what the limiter currently allows ------------------------------------------------

    @property
    def concurrency(self) -> int:
        """Requests allowed in flight now (1 during a 429 cool-down)."""
        with self._cond:
            return self._effective_concurrency()

    @property
    def announced_concurrency(self) -> int:
        """The concurrency the server last announced (ignoring any 429 cool-down)."""
        return self._concurrency

    def rate(self, route: Route = "single") -> float:
        """Requests per second paced for ``route`` (announced rate times safety)."""
        with self._cond:
            return 1.0 / self._buckets[route].spacing

    def limit(self, route: Route = "single") -> tuple[int, float]:
        """The announced ``(requests, per seconds)`` for ``route``."""
        with self._cond:
            bucket = self._buckets[route]
            return bucket.limit, bucket.interval

    def interval(self, route: Route = "single") -> float:
        """The announced interval for ``route``: the least back-off after an error."""
        with self._cond:
            return self._buckets[route].interval

    def _effective_concurrency(self) -> int:
        if self._clock.monotonic() < self._throttled_until:
            return 1
        return self._concurrency

    # -- taking a slot ----------------------------------------------------------------------

    @contextmanager
    def slot(self, route: Route = "single") -> Iterator[None]:
        """Hold one in-flight slot and one token for ``route`` around a network request.

        The slot is taken first and the token second, so that a request never starts later
        than its token says (which would let the next ones bunch up).
        """
        with self._cond:
            while self._in_flight >= self._effective_concurrency():
                self._cond.wait()
            self._in_flight += 1
            start = self._buckets[route].reserve(self._clock.monotonic(), self._not_before)
            wait = start - self._clock.monotonic()
            self.stats.acquired += 1
            self.stats.waited += max(wait, 0.0)
        try:
            if wait > 0:
                self._clock.sleep(wait)
            while True:
                with self._cond:
                    now = self._clock.monotonic()
                    opens = self._buckets[route].window_opens(now)
                    if opens <= now:
                        self._buckets[route].starts.append(now)
                        break
                    self.stats.waited += opens - now
                self._clock.sleep(opens - now)
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    # -- learning from responses ------------------------------------------------------------

    def observe(self, route: Route, headers: Mapping[str, str]) -> None:
        """Adopt the limits a response announces; keep the current value for anything unreadable."""
        limit = parse_count(_header(headers, "x-rate-limit-limit", "x-ratelimit-limit"))
        interval = parse_interval(_header(headers, "x-rate-limit-interval", "x-ratelimit-interval"))
        concurrency = parse_count(_header(headers, "x-concurrency-limit"))
        if self._ceiling is not None:  # a policy's limits: never paced faster than them
            top = self._ceiling
            ceiling = getattr(top, route)
            limit = None if limit is None else min(limit, ceiling[0])
            interval = None if interval is None else max(interval, ceiling[1])
            concurrency = None if concurrency is None else min(concurrency, top.concurrency)
        with self._cond:
            bucket = self._buckets[route]
            if limit is not None:
                bucket.limit = limit
            if interval is not None:
                bucket.interval = interval
            if concurrency is not None and concurrency != self._concurrency:
                self._concurrency = concurrency
                self._cond.notify_all()

    def throttled(self, retry_after: float | None = None) -> None:
        """Record a 429: one request in flight for the cool-down, all starts paused if asked."""
        with self._cond:
            self.stats.throttled += 1
            self._throttled_until = self._clock.monotonic() + self._cooldown
        if retry_after is not None:
            self.pause(retry_after)

    def pause(self, seconds: float) -> None:
        """Let no request of any route start for ``seconds`` (a server's Retry-After)."""
        with self._cond:
            self._not_before = max(self._not_before, self._clock.monotonic() + seconds)
