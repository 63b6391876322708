"""The Crossref REST client: cache first, then a paced, retried, identified HTTP request.

Order of work for every call (``shared/docs/crossref-api.md`` §§1-6, 10):

1. **Cache** (:mod:`cytobib.crossref.cache`), before the limiter: hits cost no quota and no
   sleep. ``offline`` mode stops here (a miss raises :class:`~cytobib.errors.OfflineCacheMiss`).
2. **Rate limiter** (:mod:`cytobib.crossref.ratelimit`): one in-flight slot and one token.
3. **Request** with the caller's ``requests.Session``, a ``User-Agent`` naming cytobib and, when
   the caller gives one, the contact address (``mailto=`` too; there is no built-in default).
4. **Status first, then content type, then JSON**: a 404 or 429 body is not JSON.

   ======================================  ================================================
   Outcome                                 What happens
   ======================================  ================================================
   200 with the expected JSON envelope     cached and returned
   200 with HTML, another content type,    :class:`~cytobib.errors.CrossrefBadResponse`,
   truncated or invalid JSON               not retried, not cached
   404                                     :class:`~cytobib.errors.CrossrefNotFound`, final,
                                           cached for a day
   429                                     limiter drops to 1 in flight; wait Retry-After
                                           (seconds or HTTP-date) or back off; retry
   500, 502, 503, 504, timeout,            Retry-After if sent, else exponential back-off
   connection error                        with jitter (at least one rate-limit interval);
                                           retry
   other 4xx                               :class:`~cytobib.errors.CrossrefError` with the
                                           server's validation message; final
   ======================================  ================================================

   After ``max_attempts`` the request fails with :class:`~cytobib.errors.CrossrefUnavailable`.

5. **Error budget**: Crossref asks clients to stop when 10 % or more of their requests fail
   (``api_tips.md``). Once at least 10 requests were sent and more than 10 % of them failed,
   every further call raises :class:`~cytobib.errors.CrossrefUnavailable`. A 404 is an answer,
   not a failure (DataCite DOIs 404 at Crossref by design), so it does not count.

Ctrl-C during :meth:`CrossrefClient.works`: no new request starts, requests already on the wire
get one second to finish (their cache writes commit), reads still under way then end, and
``KeyboardInterrupt`` propagates. Every answer is read within :class:`cytobib.net.Bounds` (size
cap, overall deadline, same-host redirects only).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

import requests

from cytobib import net, progress
from cytobib.crossref.cache import Cache, search_key, work_key
from cytobib.crossref.ratelimit import Clock, RateLimiter, Route, SystemClock
from cytobib.doi import normalize_doi
from cytobib.errors import (
    ConfigError,
    CrossrefBadResponse,
    CrossrefError,
    CrossrefNotFound,
    CrossrefUnavailable,
    CrossrefUnreachable,
    OfflineCacheMiss,
)

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "MAILTO_ENV",
    "ClientStats",
    "CrossrefClient",
    "parse_retry_after",
    "user_agent",
]

DEFAULT_BASE_URL = "https://api.crossref.org"
BASE_URL_ENV = "CYTOBIB_CROSSREF_URL"
MAILTO_ENV = "CYTOBIB_MAILTO"
PROJECT_URL = "https://github.com/cytobib/cytobib"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_MAX_WORKERS = 8
CONNECT_TIMEOUT = 3.0
"""Seconds to wait for a connection: a host that takes longer is treated as unreachable (a
dropped network, a firewall that discards packets), and the run stops at once."""
_TRANSPORT_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_MAILTO = re.compile(r"[^@\s<>()\",;:]+@[^@\s<>()\",;:]+\.[^@\s<>()\",;:]+")

Message = dict[str, Any]
Expect = Literal["work", "work-list"]


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


def user_agent(mailto: str | None) -> str:
    """The ``User-Agent`` Crossref's etiquette asks for: tool, version, URL, contact."""
    contact = f"; mailto:{mailto}" if mailto else ""
    return f"cytobib/{_version()} (+{PROJECT_URL}{contact})"


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


@dataclass
class ClientStats:
    """Counters for tests, benchmarks and library users (the commands do not print them).

    ``requests`` counts HTTP attempts actually sent (retries included); ``failures`` those that
    did not give an answer (429, 5xx, timeouts, connection errors, bad bodies, 4xx but 404).
    """

    requests: int = 0
    failures: int = 0
    retries: int = 0
    cache_hits: int = 0
    not_found: int = 0


class _Cancelled(Exception):
    """Internal: the run is stopping (Ctrl-C or error budget); do not start new requests."""


class CrossrefClient:
    """Fetch works and search Crossref politely; see the module docstring for the rules."""

    def __init__(
        self,
        session: requests.Session | None = None,
        base_url: str | None = None,
        mailto: str | None = None,
        cache: Cache | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        timeout: float | tuple[float, float] = (CONNECT_TIMEOUT, 30),
        max_attempts: int = 4,
        progress: bool | Progress | None = None,
        *,
        backoff_base: float | None = None,
        backoff_cap: float = 30.0,
        max_retry_after: float = 120.0,
        failure_threshold: float = 0.10,
        min_requests_for_cutoff: int = 10,
        rng: random.Random | None = None,
        bounds: net.Bounds | None = None,
    ) -> None:
        """Set up a client; nothing is sent until a method is called.

        Args:
            session: HTTP session to use (tests point one at a local server); a new one if None.
            base_url: API root; default ``$CYTOBIB_CROSSREF_URL`` or ``https://api.crossref.org``.
            mailto: contact address for the polite pool; default ``$CYTOBIB_MAILTO``; none if
                neither is set. It is sent in the User-Agent and as ``mailto=``.
            cache: answers cache; None means no caching at all.
            limiter: rate limiter; default: polite limits with a mailto, public ones without.
            clock: monotonic clock and sleep for pacing and back-off (injected in tests).
            timeout: ``requests`` timeout, ``(connect, read)`` seconds.
            max_attempts: attempts per request, the first included.
            progress: True for a rich progress bar on stderr in :meth:`works`, or a running
                ``rich.progress.Progress`` to add a task to.
            backoff_base: first back-off in seconds; default one rate-limit interval.
            backoff_cap: longest single back-off.
            max_retry_after: a longer Retry-After fails the request instead of waiting.
            failure_threshold: failure share that stops the run (Crossref says 10 %).
            min_requests_for_cutoff: requests before the failure share is judged.
            rng: random source for jitter (seeded in tests).
            bounds: size cap, overall deadline and redirect limit per request
                (:class:`cytobib.net.Bounds`; default 10 MB, 60 s, 3 same-host redirects).

        Raises:
            ConfigError: the contact address or base URL cannot be used.
        """
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if mailto is None:
            mailto = os.environ.get(MAILTO_ENV, "").strip() or None
        if mailto is not None and not _MAILTO.fullmatch(mailto):
            raise ConfigError(
                f"The Crossref contact address {mailto!r} is not an e-mail address.",
                hint=f"Set mailto in cytobib.toml or {MAILTO_ENV} to an address you read.",
            )
        base = base_url or os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL
        if not re.match(r"^https?://[^/\s]+", base):
            raise ConfigError(
                f"The Crossref API URL {base!r} is not an http(s) URL.",
                hint=f"Unset {BASE_URL_ENV} to use {DEFAULT_BASE_URL}.",
            )
        self.base_url = base.rstrip("/")
        self.mailto = mailto
        self.cache = cache
        self._clock: Clock = clock or SystemClock()
        self.limiter = limiter or RateLimiter(polite=bool(mailto), clock=self._clock)
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=DEFAULT_MAX_WORKERS * 2)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.timeout = timeout
        self.bounds = bounds or net.Bounds()
        self._grace = 1.0  # seconds in-flight reads may finish after Ctrl-C
        self.max_attempts = max_attempts
        self.progress = progress
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_retry_after = max_retry_after
        self._threshold = failure_threshold
        self._min_requests = min_requests_for_cutoff
        # Jitter only spreads retries; it needs no cryptographic strength.
        self._rng = rng or random.Random()  # noqa: S311
        self._lock = threading.Lock()
        self._stops = net.Stops()
        self._tripped = False
        self._unreachable: CrossrefUnreachable | None = None  # no connection: stop the run
        self.stats = ClientStats()
        self.pool: str | None = None
        """The ``x-api-pool`` of the last response (``public``, ``polite``, ``plus``...)."""
        self.headers = {"User-Agent": user_agent(mailto), "Accept": "application/json"}

    # -- public API -------------------------------------------------------------------------

    def work(self, doi: str) -> Message:
        """The ``message`` of ``GET /works/{doi}``: one work's metadata.

        Raises:
            ValueError: ``doi`` is not a DOI.
            CrossrefNotFound: Crossref has no such DOI (final; remembered for a day).
            OfflineCacheMiss: offline mode and the cache has no answer.
            CrossrefUnavailable: no answer after retries, or the error budget is spent.
            CrossrefBadResponse: a 200 whose body is not Crossref's JSON.
            CrossrefError: Crossref refused the request (another 4xx).
        """
        doi = normalize_doi(doi)
        envelope = self._cached(work_key(doi), f"DOI {doi}", "work")
        if envelope is None:
            envelope = self._fetch_work(doi)
        message: Message = envelope["message"]
        return message

    def works(
        self, dois: Iterable[str], max_workers: int | None = None
    ) -> dict[str, Message | Exception]:
        """Fetch many works, in parallel up to what the limiter allows.

        Returns a dict keyed by each DOI *as given* (duplicates, even differently spelled,
        are fetched once), in input order. A value is the work's ``message`` or the exception
        for that DOI (``ValueError`` for a malformed DOI, ``CrossrefNotFound``...).

        Raises:
            CrossrefUnavailable: more than 10 % of requests failed: the whole run stops
                (what was fetched so far is cached).
            KeyboardInterrupt: after in-flight requests finished and were cached.
        """
        given_order = list(dict.fromkeys(dois))
        results: dict[str, Message | Exception] = {}
        originals: dict[str, list[str]] = {}
        for given in given_order:
            try:
                doi = normalize_doi(given)
            except ValueError as exc:
                results[given] = exc
                continue
            originals.setdefault(doi, []).append(given)

        def settle(doi: str, value: Message | Exception) -> None:
            for given in originals[doi]:
                results[given] = value

        with self._progress_bar(len(originals)) as advance:
            misses: list[str] = []
            for doi in originals:  # cache pass in this thread: no pool, no limiter
                try:
                    envelope = self._cached(work_key(doi), f"DOI {doi}", "work")
                except CrossrefError as exc:
                    settle(doi, exc)
                    advance()
                    continue
                if envelope is None:
                    misses.append(doi)
                else:
                    settle(doi, envelope["message"])
                    advance()
            if misses:
                workers = max(1, max_workers or DEFAULT_MAX_WORKERS)
                self._run_pool(misses, min(workers, len(misses)), settle, advance)
        return {given: results[given] for given in given_order if given in results}

    def search(self, bibliographic: str, rows: int = 2) -> list[Message]:
        """Candidate works for a free-text reference: ``GET /works?query.bibliographic=``.

        Crossref advises ``rows=2`` to detect ties; judge the candidates with
        :func:`cytobib.crossref.matching.best_match`, never by Crossref's ``score``.
        """
        text = re.sub(r"\s+", " ", bibliographic).strip()
        if not text:
            raise ValueError("Nothing to search for: the reference text is empty.")
        if not 1 <= rows <= 1000:
            raise ValueError("rows must be between 1 and 1000 (Crossref's limit).")
        key = search_key(text, rows)
        what = f"the search {text[:60]!r}"
        envelope = self._cached(key, what, "work-list")
        if envelope is None:
            envelope = self._fetch(
                key,
                "list",
                "/works",
                {"query.bibliographic": text, "rows": str(rows)},
                what,
                "work-list",
            )
        return list(envelope["message"]["items"])[:rows]  # a server may send more

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> CrossrefClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cache ------------------------------------------------------------------------------

    def _cached(self, key: str, what: str, expect: Expect) -> dict[str, Any] | None:
        """The cached envelope for ``key``, None on a miss; raise for a cached 404."""
        if self.cache is None:
            return None
        hit = self.cache.get(key)
        if hit is None:
            if self.cache.mode == "offline":
                raise OfflineCacheMiss(
                    f"Offline mode: the cache has no answer for {what}.",
                    hint="Run once without --offline to fetch it.",
                )
            return None
        with self._lock:
            self.stats.cache_hits += 1
        if hit.status == 404:
            raise _not_found(what)
        try:
            return _parse(hit.body, "application/json", expect, what)
        except CrossrefBadResponse:
            # A row we stored was valid; an unreadable one is damaged: forget and refetch.
            self.cache.delete(key)
            if self.cache.mode == "offline":
                raise
            return None

    # -- network ----------------------------------------------------------------------------

    def _fetch_work(self, doi: str) -> dict[str, Any]:
        path = "/works/" + quote(doi, safe="")  # "DOIs are notorious for breaking URLs"
        return self._fetch(work_key(doi), "single", path, {}, f"DOI {doi}", "work")

    def _fetch(
        self,
        key: str,
        route: Route,
        path: str,
        params: dict[str, str],
        what: str,
        expect: Expect,
    ) -> dict[str, Any]:
        """Request with retries; store 200s (and 404s of works) in the cache."""
        if self.mailto:
            params = {**params, "mailto": self.mailto}
        url = self.base_url + path
        problem = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            self._check_running()
            retry_after: float | None = None
            try:
                with self.limiter.slot(route):
                    self._check_running()
                    response = net.get(
                        self.session,
                        url,
                        params=params,
                        headers=self.headers,
                        timeout=self.timeout,
                        bounds=self.bounds,
                        stops=self._stops,
                    )
            except net.Stopped:
                raise _Cancelled from None
            except (net.TooLarge, net.Deadline, net.OffHost) as exc:
                self._count(failed=True)
                raise _out_of_bounds(exc, what) from None
            except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError) as exc:
                why = _unreachable(exc, self.timeout)
                if why is None:  # a connection dropped while reading: retried below
                    problem = f"the connection failed ({type(exc).__name__})"
                    self._count(failed=True)
                else:  # no connection at all: retrying would only make the user wait
                    self._count(failed=True)
                    self._unreachable = self._unreachable_error(why)
                    raise self._unreachable from None
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
                raise CrossrefError(
                    f"The request to Crossref for {what} failed ({type(exc).__name__}).",
                    hint=f"Check {BASE_URL_ENV} and your network settings.",
                ) from None
            else:
                self.limiter.observe(route, response.headers)
                pool = response.headers.get("x-api-pool")
                if pool:
                    self.pool = pool.strip()
                status = response.status
                if status == 200:
                    try:
                        envelope = _parse(
                            response.body, response.headers.get("content-type"), expect, what
                        )
                    except CrossrefBadResponse:
                        self._count(failed=True)
                        raise
                    self._count(failed=False)
                    self._store(key, 200, response.body, envelope)
                    return envelope
                if status == 404:
                    self._count(failed=False)
                    with self._lock:
                        self.stats.not_found += 1
                    if route == "single":
                        self._store(key, 404, response.body, None)
                    raise _not_found(what)
                self._count(failed=True)
                problem = f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    raise CrossrefError(
                        f"Crossref refused the request for {what} (HTTP {status}): "
                        f"{_error_detail(response)}.",
                        hint="This looks like a bug in cytobib; please report it with this "
                        "message.",
                    )
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                if status == 429:
                    self.limiter.throttled(retry_after)
                elif retry_after is not None:
                    self.limiter.pause(retry_after)  # a 503 may say when to come back too
            if attempt == self.max_attempts:
                break
            delay = retry_after if retry_after is not None else self._backoff(attempt, route)
            if delay > self._max_retry_after:
                raise CrossrefUnavailable(
                    f"Crossref asked to wait {delay:.0f} s before retrying {what}.",
                    hint="Try again later.",
                )
            with self._lock:
                self.stats.retries += 1
            self._sleep(delay)
        raise CrossrefUnavailable(
            f"Crossref gave no answer for {what} after {self.max_attempts} attempts "
            f"(last: {problem}).",
            hint="Crossref may be overloaded; try again later, or use --offline with the cache.",
        )

    def _store(self, key: str, status: int, body: bytes, envelope: dict[str, Any] | None) -> None:
        if self.cache is None:
            return
        message = envelope.get("message") if envelope else None
        has_updates = isinstance(message, dict) and bool(
            message.get("updated-by") or message.get("update-to")
        )
        self.cache.store(key, status, body, has_updates=has_updates)

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
            raise _Cancelled
        if isinstance(self._clock, SystemClock):
            if self._stops.wait(seconds):
                raise _Cancelled
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
            raise _Cancelled

    def _unreachable_error(self, why: str) -> CrossrefUnreachable:
        host = urlsplit(self.base_url).netloc or self.base_url
        return CrossrefUnreachable(
            f"Cannot reach Crossref ({host}): {why}. Nothing was changed.",
            hint="Check your network connection (and CYTOBIB_CROSSREF_URL, if you set it), "
            "or use --offline to work from the answers cached by earlier runs.",
        )

    def _budget_error(self) -> CrossrefUnavailable:
        with self._lock:
            failures, requests_ = self.stats.failures, self.stats.requests
        return CrossrefUnavailable(
            f"Stopped talking to Crossref: {failures} of {requests_} requests failed, more "
            f"than the {self._threshold:.0%} at which Crossref asks clients to stop.",
            hint="Try again later; answers fetched so far are cached.",
        )

    # -- parallel runs ----------------------------------------------------------------------

    def _run_pool(
        self,
        dois: list[str],
        workers: int,
        settle: Callable[[str, Message | Exception], None],
        advance: Callable[[], None],
    ) -> None:
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crossref")
        futures: dict[Future[dict[str, Any]], str] = {
            executor.submit(self._fetch_work, doi): doi for doi in dois
        }
        pending: set[Future[dict[str, Any]]] = set(futures)
        try:
            while pending:
                # A timeout keeps this thread waking up, so Ctrl-C is seen promptly.
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    doi = futures[future]
                    try:
                        settle(doi, future.result()["message"])
                    except _Cancelled:
                        continue
                    except CrossrefError as exc:
                        if self._unreachable is not None:
                            raise self._unreachable from None
                        if self._tripped:
                            raise self._budget_error() from exc
                        settle(doi, exc)
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

    @contextmanager
    def _progress_bar(self, total: int) -> Iterator[Callable[[], None]]:
        if total == 0:
            yield lambda: None
            return
        if not self.progress:  # whoever runs the command shows it (cytobib.progress)
            with progress.task("Crossref", total) as shown:
                yield shown.advance
            return
        if self.progress is True:
            from rich.console import Console
            from rich.progress import Progress

            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("Crossref", total=total)
                yield lambda: bar.advance(task)
            return
        bar = self.progress
        task = bar.add_task("Crossref", total=total)
        yield lambda: bar.advance(task)


def _unreachable(exc: requests.RequestException, timeout: Any) -> str | None:
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


def _not_found(what: str) -> CrossrefNotFound:
    return CrossrefNotFound(
        f"Crossref has no record of {what} (HTTP 404).",
        hint="Check the DOI. DataCite DOIs (arXiv, Zenodo, many data sets) are not in "
        "Crossref; doi.org resolves them.",
    )


def _parse(body: bytes, content_type: str | None, expect: Expect, what: str) -> dict[str, Any]:
    """Check the content type, then decode and check Crossref's JSON envelope."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    looks_html = body.lstrip()[:1] == b"<"
    if "html" in media or (not media and looks_html):
        raise CrossrefBadResponse(
            f"Crossref answered {what} with an HTML page instead of JSON.",
            hint="A proxy, captive portal or outage page may be in the way; try again later.",
        )
    if media and media != "application/json" and not media.endswith("+json"):
        raise CrossrefBadResponse(
            f"Crossref answered {what} with content type {media!r} instead of JSON.",
            hint="Something between you and Crossref may be rewriting answers.",
        )
    try:
        data = json.loads(body, parse_constant=_not_json)
    except (ValueError, UnicodeDecodeError):
        raise CrossrefBadResponse(
            f"Crossref's answer for {what} is not valid JSON (it may have been cut off).",
            hint="Try again; if it persists, Crossref or a proxy is sending broken answers.",
        ) from None
    message = data.get("message") if isinstance(data, dict) else None
    kind = data.get("message-type") if isinstance(data, dict) else None
    ok = isinstance(message, dict) and kind in (None, expect)
    if ok and expect == "work-list":
        ok = isinstance(message.get("items") if isinstance(message, dict) else None, list)
    if not ok:
        raise CrossrefBadResponse(
            f"Crossref's answer for {what} is JSON but not a {expect!r} message.",
            hint="Check CYTOBIB_CROSSREF_URL points at the Crossref REST API.",
        )
    assert isinstance(data, dict)
    return data


def _not_json(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259), though Python's parser accepts them: a work
    must not bring ``volume = {nan}`` into library.bib."""
    raise ValueError(f"{name} is not a JSON value")


def _out_of_bounds(exc: Exception, what: str) -> CrossrefError:
    """A bounded read that failed (net.TooLarge, Deadline, OffHost): final, never retried."""
    if isinstance(exc, net.TooLarge):
        return CrossrefBadResponse(
            f"Crossref's answer for {what} is {exc}; it was not read.",
            hint="No real work is that large: a proxy or a wrong CYTOBIB_CROSSREF_URL may be "
            "in the way.",
        )
    if isinstance(exc, net.Deadline):
        return CrossrefUnavailable(
            f"Crossref's answer for {what} was {exc}; the request was given up.",
            hint="Crossref or the network is very slow; try again later.",
        )
    return CrossrefError(
        f"The request to Crossref for {what} was {exc}; cytobib follows redirects only "
        "within the configured host, so your contact address is not sent elsewhere.",
        hint=f"Check {BASE_URL_ENV} points at the Crossref REST API itself.",
    )


def _error_detail(response: net.Answer) -> str:
    """The server's reason: Crossref's validation messages if JSON, else a short text."""
    text = response.body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        text = re.sub(r"<[^>]+>", " ", text)
        return re.sub(r"\s+", " ", text).strip()[:200] or response.reason or "no reason given"
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(message, list):
        parts = [
            str(item.get("message") or item.get("type") or item)
            for item in message
            if isinstance(item, dict)
        ]
        if parts:
            return "; ".join(parts)
    if isinstance(message, str) and message:
        return message
    return str(data)[:200]
