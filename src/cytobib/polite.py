"""The polite HTTP client both sources share: paced, retried, counted and stoppable requests.

Crossref (:mod:`cytobib.crossref.http`) and PubMed (:mod:`cytobib.pubmed.http`) keep what is
their own: URLs and parameters, the cache rows they write, how an answer is parsed and checked,
and the words of their errors (a :class:`Voice`). :class:`PoliteClient`, their base, keeps what
the two have in common, once:

1. **The cache** (:meth:`PoliteClient._cached`), before the limiter: a hit costs no quota and
   no sleep; in ``offline`` mode a miss stops here.
2. **A slot of the rate limiter** (:class:`cytobib.crossref.ratelimit.RateLimiter`, with the
   injected :class:`Clock`).
3. **The request** through :func:`cytobib.net.get` (size cap, overall deadline, same-host
   redirects, the :class:`~cytobib.net.Stops` switch) with the source's headers.
4. **Status first**: a 200 goes to the caller's ``accept`` (a body it refuses counts as a
   failure); an answer the caller's ``final`` names (a 404 meaning "no such record") is an
   answer, not a failure; 429, 5xx, timeouts and connection errors are retried with exponential
   back-off and jitter (at least one rate-limit interval), or after ``Retry-After`` (seconds or
   HTTP-date), which also pauses the limiter (a 429 drops it to one request in flight); another
   4xx is final. After ``max_attempts`` the request fails as the source's ``unavailable``.
5. **An error budget**: once at least ``min_requests_for_cutoff`` requests were sent and more
   than ``failure_threshold`` (10 %) of them failed, every further request raises the source's
   ``unavailable`` (Crossref asks for this; it is good manners towards NCBI too).
6. **A thread pool with Ctrl-C handling** (:meth:`PoliteClient.run_pool`): on an interrupt no
   new request starts, requests on the wire get one second to finish (their cache writes
   commit), reads still under way then end, and the exception propagates.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Protocol,
    Self,
    TypedDict,
    TypeVar,
    Unpack,
)
from urllib.parse import unquote, urlsplit

import requests

from cytobib import net
from cytobib.errors import ConfigError, CytobibError

if TYPE_CHECKING:
    from rich.progress import Progress

    from cytobib.crossref.cache import Cache, CachedResponse
    from cytobib.crossref.ratelimit import RateLimiter, Route

__all__ = [
    "RETRY_STATUSES",
    "Cancelled",
    "Clock",
    "Options",
    "PoliteClient",
    "Stats",
    "SystemClock",
    "Voice",
    "check_contact",
    "check_url",
    "error_detail",
    "parse_retry_after",
    "progress_bar",
    "user_agent",
]

PROJECT_URL = "https://github.com/cytobib/cytobib"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TRANSPORT_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_EMAIL = re.compile(r"[^@\s<>()\",;:]+@[^@\s<>()\",;:]+\.[^@\s<>()\",;:]+")

T = TypeVar("T")
K = TypeVar("K")
S = TypeVar("S", bound="Stats")


class Clock(Protocol):
    """Monotonic time and sleep, injected so tests can run on simulated time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.sleep`."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep for real (nothing for a non-positive duration)."""
        if seconds > 0:
            time.sleep(seconds)


def _version() -> str:
    try:
        from cytobib._version import __version__

        return str(__version__)
    except ImportError:  # a partial source tree
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("cytobib")
        except PackageNotFoundError:
            return "0+unknown"


def user_agent(contact: str | None) -> str:
    """The ``User-Agent`` both APIs' etiquette asks for: tool, version, URL, contact."""
    mailto = f"; mailto:{contact}" if contact else ""
    return f"cytobib/{_version()} (+{PROJECT_URL}{mailto})"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def check_contact(address: str | None, env: str) -> str | None:
    """The contact address sent to a source, checked (None: none is sent).

    Raises:
        ConfigError: it is not an e-mail address.
    """
    if address is not None and not _EMAIL.fullmatch(address):
        raise ConfigError(
            f"The contact address {address!r} is not an e-mail address.",
            hint=f"Set mailto in cytobib.toml or {env} to an address you read.",
        )
    return address


def check_url(value: str | None, env: str, default: str, what: str) -> str:
    """An API root: ``value``, else ``$env``, else ``default``; it must be http(s).

    Raises:
        ConfigError: it is not an http(s) URL.
    """
    base = value or os.environ.get(env, "").strip() or default
    if not re.match(r"^https?://[^/\s]+", base):
        raise ConfigError(
            f"The {what} URL {base!r} is not an http(s) URL.", hint=f"Unset {env} to use {default}."
        )
    return base


def error_detail(answer: net.Answer) -> str:
    """The server's reason for a refusal: Crossref's list of validation messages, NCBI's
    ``error``/``message``/``errmsg`` of a JSON body, else a short text of the page."""
    text = answer.body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        text = re.sub(r"<[^>]+>", " ", text)
        return re.sub(r"\s+", " ", text).strip()[:200] or answer.reason or "no reason given"
    if isinstance(data, dict):
        message = data.get("message")
        if isinstance(message, list):
            parts = [
                str(item.get("message") or item.get("type") or item)
                for item in message
                if isinstance(item, dict)
            ]
            if parts:
                return "; ".join(parts)
        for name in ("error", "message", "errmsg"):
            value = data.get(name)
            if isinstance(value, str) and value:
                return unquote(value)[:200]
    return str(data)[:200]


CONNECT_TIMEOUT = 3.0
"""Seconds to wait for a connection: a host that takes longer is treated as unreachable (a
dropped network, a firewall that discards packets), and the run stops at once."""


def unreachable(exc: requests.RequestException, timeout: Any) -> str | None:
    """Why no connection could be made (refused, unreachable, no such host, no answer in
    time), or None when the failure came after connecting (those are retried)."""
    import urllib3.exceptions as u3

    connect = timeout[0] if isinstance(timeout, tuple) else timeout
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    # urllib3's NewConnectionError is a ConnectTimeoutError too: the order matters.
    if isinstance(reason, u3.NameResolutionError):
        return "the host name could not be resolved (no network, or no DNS)"
    if isinstance(reason, u3.NewConnectionError):
        cause = reason.__cause__ or reason.__context__
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(cause, OSError) and cause.strerror:
            return f"the connection failed ({cause.strerror.lower()})"
        return "the connection failed"
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
        reason, u3.ConnectTimeoutError
    ):
        return f"no answer to the connection within {connect:g} s"
    return None


@dataclass(frozen=True)
class Voice:
    """How one source names itself and its failures: its error classes (errors stay typed per
    source) and the hints of its messages. The sentences around them are written once here."""

    name: str  # the source, as the error budget names it: "Crossref", "PubMed"
    server: str  # who answers requests: "Crossref", "NCBI"
    error: type[CytobibError]  # a refusal, a transport failure, a redirect off the host
    unavailable: type[CytobibError]  # no answer after retries, the budget spent, a deadline
    bad_response: type[CytobibError]  # an answer larger than the size cap
    offline_miss: type[CytobibError]  # offline mode, and the cache has no answer
    unreachable: type[CytobibError]  # no connection at all: the run stops at once
    network_hint: str  # after a transport failure that retrying will not mend
    refused_hint: str  # after another 4xx
    gave_up_hint: str  # after the last attempt
    too_large_hint: str
    redirect_hint: str
    budget_reason: str = ""  # why the share stops the run, after "more than the 10%"


@dataclass
class Stats:
    """Counters for tests, benchmarks and library users (the commands do not print them).

    ``requests`` counts HTTP attempts actually sent (retries included); ``failures`` those that
    did not give an answer (429, 5xx, timeouts, connection errors, bad bodies, a refusal).
    """

    requests: int = 0
    failures: int = 0
    retries: int = 0
    cache_hits: int = 0


class Cancelled(Exception):
    """Internal: the run is stopping (Ctrl-C or error budget); do not start new requests."""


@contextmanager
def progress_bar(
    progress: bool | Progress | None, total: int, label: str
) -> Iterator[Callable[[], None]]:
    """A callable that advances a rich progress bar on stderr (``progress`` True) or a task of
    the caller's running ``Progress``; one that does nothing otherwise."""
    if total == 0:
        yield lambda: None
        return
    if not progress:  # whoever runs the command shows it (cytobib.progress)
        from cytobib import progress as shown_progress

        with shown_progress.task(label, total) as shown:
            yield shown.advance
        return
    if progress is True:
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(label, total=total)
            yield lambda: bar.advance(task)
        return
    running = progress
    task = running.add_task(label, total=total)
    yield lambda: running.advance(task)


class Options(TypedDict, total=False):
    """The knobs of the request discipline, keywords of every client (tests inject them).

    ``limiter`` (default: the source's own limits), ``clock`` (monotonic time and sleep for
    pacing and back-off), ``timeout`` (``requests``' ``(connect, read)`` seconds; default the
    source's), ``max_attempts`` (per request, the first included; 4), ``backoff_base`` (first
    back-off; default one rate-limit interval), ``backoff_cap`` (longest back-off; 30 s),
    ``max_retry_after`` (a longer Retry-After fails the request instead; 120 s),
    ``failure_threshold`` (failure share that stops the run; 0.10), ``min_requests_for_cutoff``
    (requests before the share is judged; 10), ``rng`` (jitter; seeded in tests), ``bounds``
    (:class:`cytobib.net.Bounds` per request; default the source's).
    """

    limiter: RateLimiter | None
    clock: Clock | None
    timeout: float | tuple[float, float]
    max_attempts: int
    backoff_base: float | None
    backoff_cap: float
    max_retry_after: float
    failure_threshold: float
    min_requests_for_cutoff: int
    rng: random.Random | None
    bounds: net.Bounds | None


class PoliteClient(Generic[S]):
    """The request discipline of every source; a source subclasses it with its :attr:`voice`,
    its defaults and :meth:`default_limiter`, and builds its calls on :meth:`request` (see the
    module docstring for the rules)."""

    voice: ClassVar[Voice]
    cache: Cache | None
    default_timeout: ClassVar[float | tuple[float, float]] = (CONNECT_TIMEOUT, 30)
    default_bounds: ClassVar[net.Bounds] = net.Bounds()

    def __init__(
        self,
        session: requests.Session | None,
        *,
        stats: S,
        headers: Mapping[str, str],
        pool_size: int = 10,
        **options: Unpack[Options],
    ) -> None:
        """Keep the injected parts; a session is made (with ``pool_size`` connections) if
        None is given, and closed by :meth:`close`."""
        self.max_attempts = options.get("max_attempts", 4)
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=pool_size)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self._clock: Clock = options.get("clock") or SystemClock()
        self.limiter = options.get("limiter") or self.default_limiter(self._clock)
        self.stats = stats
        self.headers = dict(headers)
        self.timeout = options.get("timeout", self.default_timeout)
        self.bounds = options.get("bounds") or self.default_bounds
        self._backoff_base = options.get("backoff_base")
        self._backoff_cap = options.get("backoff_cap", 30.0)
        self._max_retry_after = options.get("max_retry_after", 120.0)
        self._threshold = options.get("failure_threshold", 0.10)
        self._min_requests = options.get("min_requests_for_cutoff", 10)
        # Jitter only spreads retries; it needs no cryptographic strength.
        self._rng = options.get("rng") or random.Random()  # noqa: S311
        self._lock = threading.Lock()
        self._stops = net.Stops()
        self._grace = 1.0  # seconds in-flight reads may finish after Ctrl-C
        self._tripped = False
        self._unreachable: CytobibError | None = None  # no connection: the run stops

    def default_limiter(self, clock: Clock) -> RateLimiter:
        """The source's rate limiter when none is injected."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one request, retried ---------------------------------------------------------------

    def request(
        self,
        url: str,
        params: Mapping[str, str],
        what: str,
        accept: Callable[[net.Answer], T],
        *,
        route: Route = "single",
        final: Callable[[net.Answer], Exception | None] | None = None,
        sent: Callable[[], None] | None = None,
    ) -> T:
        """GET ``url`` politely; what ``accept`` makes of the 200 answer.

        Args:
            url, params: the request (the source adds its identification to ``params``).
            what: the record asked for, as messages name it ("DOI 10.1/x", "3 PMIDs (1...)").
            accept: reads a 200 answer; an exception it raises counts as a failure.
            route: the limiter's route kind.
            final: for a non-200 answer, the exception that ends the request as an answer
                (not a failure, not retried), or None to treat the status as usual.
            sent: called inside the limiter slot for every attempt (per-endpoint counters).

        Raises:
            Cancelled: the run is stopping (only inside :meth:`run_pool`).
            CytobibError: the voice's ``unavailable`` (no answer after retries, a long
                Retry-After, the budget spent, a deadline), ``error`` (another 4xx, a
                transport failure retrying will not mend, a redirect off the host) or
                ``bad_response`` (larger than the size cap); or what ``accept``/``final`` raise.
        """
        voice = self.voice
        problem = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            self._check_running()
            retry_after: float | None = None
            try:
                with self.limiter.slot(route):
                    self._check_running()
                    if sent is not None:
                        sent()
                    answer = net.get(
                        self.session,
                        url,
                        params=params,
                        headers=self.headers,
                        timeout=self.timeout,
                        bounds=self.bounds,
                        stops=self._stops,
                    )
            except net.Stopped:
                raise Cancelled from None
            except (net.TooLarge, net.Deadline, net.OffHost) as exc:
                self._count(failed=True)
                raise self._out_of_bounds(exc, what) from None
            except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError) as exc:
                why = unreachable(exc, self.timeout)
                self._count(failed=True)
                if why is not None:  # no connection at all: retrying would only make one wait
                    self._unreachable = self._unreachable_error(url, why)
                    raise self._unreachable from None
                problem = f"the connection failed ({type(exc).__name__})"  # retried below
            except requests.exceptions.Timeout:
                problem = "the request timed out"
                self._count(failed=True)
            except _TRANSPORT_ERRORS as exc:
                problem = f"the connection failed ({type(exc).__name__})"
                self._count(failed=True)
            except requests.RequestException as exc:
                # Redirect loops, invalid URLs...: retrying will not help. The exception's own
                # text is left out because it holds the URL, and with it the contact address.
                self._count(failed=True)
                raise voice.error(
                    f"The request to {voice.server} for {what} failed ({type(exc).__name__}).",
                    hint=voice.network_hint,
                ) from None
            else:
                self.limiter.observe(route, answer.headers)
                self.seen(answer)
                status = answer.status
                if status == 200:
                    try:
                        value = accept(answer)
                    except Exception:
                        self._count(failed=True)
                        raise
                    self._count(failed=False)
                    return value
                ending = final(answer) if final is not None else None
                if ending is not None:
                    self._count(failed=False)
                    raise ending
                self._count(failed=True)
                problem = f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    raise voice.error(
                        f"{voice.server} refused the request for {what} (HTTP {status}): "
                        f"{error_detail(answer)}.",
                        hint=voice.refused_hint,
                    )
                retry_after = parse_retry_after(answer.headers.get("retry-after"))
                if status == 429:
                    self.limiter.throttled(retry_after)
                elif retry_after is not None:
                    self.limiter.pause(retry_after)  # a 503 may say when to come back too
            if attempt == self.max_attempts:
                break
            delay = retry_after if retry_after is not None else self._backoff(attempt, route)
            if delay > self._max_retry_after:
                raise voice.unavailable(
                    f"{voice.server} asked to wait {delay:.0f} s before retrying {what}.",
                    hint="Try again later.",
                )
            with self._lock:
                self.stats.retries += 1
            self._sleep(delay)
        raise voice.unavailable(
            f"{voice.server} gave no answer for {what} after {self.max_attempts} attempts "
            f"(last: {problem}).",
            hint=voice.gave_up_hint,
        )

    def seen(self, answer: net.Answer) -> None:
        """Every answer's headers, for a source that reads more of them than the limiter."""

    def _cached(self, key: str, what: str) -> CachedResponse | None:
        """Step 1, before the limiter: the row of the cache the mode allows (counted as a
        hit), None on a miss.

        Raises:
            CytobibError: the voice's ``offline_miss``: offline mode and no row.
        """
        if self.cache is None:
            return None
        hit = self.cache.get(key)
        if hit is None:
            if self.cache.mode == "offline":
                raise self.voice.offline_miss(
                    f"Offline mode: the cache has no {self.voice.name} answer for {what}.",
                    hint="Run once without --offline to fetch it.",
                )
            return None
        with self._lock:
            self.stats.cache_hits += 1
        return hit

    def _out_of_bounds(self, exc: Exception, what: str) -> CytobibError:
        """A bounded read that failed (net.TooLarge, Deadline, OffHost): final, never retried."""
        voice = self.voice
        if isinstance(exc, net.TooLarge):
            return voice.bad_response(
                f"{voice.server}'s answer for {what} is {exc}; it was not read.",
                hint=voice.too_large_hint,
            )
        if isinstance(exc, net.Deadline):
            return voice.unavailable(
                f"{voice.server}'s answer for {what} was {exc}; the request was given up.",
                hint=f"{voice.server} or the network is very slow; try again later.",
            )
        return voice.error(
            f"The request to {voice.server} for {what} was {exc}; cytobib follows redirects "
            "only within the host asked, so your contact address is not sent elsewhere.",
            hint=voice.redirect_hint,
        )

    def _backoff(self, attempt: int, route: Route) -> float:
        base = self._backoff_base
        if base is None:
            base = self.limiter.interval(route)
        delay: float = min(self._backoff_cap, base * 2.0 ** (attempt - 1))
        jitter: float = self._rng.uniform(0, delay / 2)
        return delay + jitter

    def _sleep(self, seconds: float) -> None:
        """Back off; a stopping run (Ctrl-C, error budget) cuts a real sleep short."""
        if self._stops.stopped:
            raise Cancelled
        if isinstance(self._clock, SystemClock):
            if self._stops.wait(seconds):
                raise Cancelled
        else:
            self._clock.sleep(seconds)

    # -- error budget -----------------------------------------------------------------------

    def _count(self, *, failed: bool) -> None:
        with self._lock:
            self.stats.requests += 1
            if failed:
                self.stats.failures += 1
            if (
                self.stats.requests >= self._min_requests
                and self.stats.failures > self._threshold * self.stats.requests
            ):
                self._tripped = True

    def _check_running(self) -> None:
        if self._unreachable is not None:
            raise self._unreachable
        if self._tripped:
            raise self._budget_error()
        if self._stops.stopped:
            raise Cancelled

    def _unreachable_error(self, url: str, why: str) -> CytobibError:
        host = urlsplit(url).netloc or url
        return self.voice.unreachable(
            f"Cannot reach {self.voice.server} ({host}): {why}. Nothing was changed.",
            hint=f"Check your network connection ({self.voice.network_hint.removeprefix('Check ')}"
            ") or use --offline to work from the answers cached by earlier runs.",
        )

    def _budget_error(self) -> CytobibError:
        with self._lock:
            failures, sent = self.stats.failures, self.stats.requests
        return self.voice.unavailable(
            f"Stopped asking {self.voice.name}: {failures} of {sent} requests failed, more "
            f"than the {self._threshold:.0%}{self.voice.budget_reason}.",
            hint="Try again later; answers fetched so far are cached.",
        )

    def _or_stop(self, exc: CytobibError) -> CytobibError:
        """``exc``, the error of one request, to keep for its records; unless the error budget
        is spent: then the whole run stops."""
        if self._tripped:
            raise self._budget_error() from exc
        return exc

    # -- parallel runs ----------------------------------------------------------------------

    def run_pool(
        self,
        items: Sequence[K],
        fetch: Callable[[K], T],
        settle: Callable[[K, T | Exception], None],
        advance: Callable[[], None],
        workers: int,
    ) -> None:
        """``fetch`` every item in a pool of ``workers`` threads; ``settle`` each with its
        value or its source error (then ``advance``). Ctrl-C: see the module docstring.

        Raises:
            CytobibError: the voice's ``unavailable`` once the error budget is spent.
            KeyboardInterrupt: after in-flight requests finished (or their grace ran out).
        """
        executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=self.voice.name.lower()
        )
        futures: dict[Future[T], K] = {executor.submit(fetch, item): item for item in items}
        pending: set[Future[T]] = set(futures)
        try:
            while pending:
                # A timeout keeps this thread waking up, so Ctrl-C is seen promptly.
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    item = futures[future]
                    try:
                        settle(item, future.result())
                    except Cancelled:
                        continue
                    except self.voice.error as exc:
                        if self._unreachable is not None:
                            raise self._unreachable from None
                        settle(item, self._or_stop(exc))
                    advance()
        except BaseException:
            self._stops.stop()  # no new request starts
            # Reads under way get a moment to finish (and be cached), then end: a slow or
            # dripping body must not hold Ctrl-C up.
            wait(pending, timeout=self._grace)
            self._stops.abort()
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            executor.shutdown(wait=True)
            self._stops.reset()
