"""The Crossref REST client: cache first, then a paced, retried, identified HTTP request.

What is Crossref's own lives here (routes, ``mailto``, the JSON envelope, the cache rows, the
words of its errors); the request discipline it shares with PubMed (limiter slot, retries,
error budget, Ctrl-C) is :class:`cytobib.polite.PoliteClient`.

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
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Unpack
from urllib.parse import quote

import requests

from cytobib import net
from cytobib.crossref.cache import Cache, search_key, work_key
from cytobib.crossref.ratelimit import RateLimiter, Route
from cytobib.doi import normalize_doi
from cytobib.errors import (
    CrossrefBadResponse,
    CrossrefError,
    CrossrefNotFound,
    CrossrefUnavailable,
    CrossrefUnreachable,
    OfflineCacheMiss,
)
from cytobib.polite import (
    CONNECT_TIMEOUT,
    Clock,
    Options,
    PoliteClient,
    Stats,
    Voice,
    check_contact,
    check_url,
    parse_retry_after,
    progress_bar,
    user_agent,
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
DEFAULT_MAX_WORKERS = 8
VOICE = Voice(
    name="Crossref",
    server="Crossref",
    error=CrossrefError,
    unavailable=CrossrefUnavailable,
    bad_response=CrossrefBadResponse,
    offline_miss=OfflineCacheMiss,
    unreachable=CrossrefUnreachable,
    network_hint=f"Check {BASE_URL_ENV} and your network settings.",
    refused_hint="This looks like a bug in cytobib; please report it with this message.",
    gave_up_hint="Crossref may be overloaded; try again later, or use --offline with the cache.",
    too_large_hint="No real work is that large: a proxy or a wrong CYTOBIB_CROSSREF_URL may be "
    "in the way.",
    redirect_hint=f"Check {BASE_URL_ENV} points at the Crossref REST API itself.",
    budget_reason=" at which Crossref asks clients to stop",
)

Message = dict[str, Any]
Expect = Literal["work", "work-list"]


@dataclass
class ClientStats(Stats):
    """:class:`cytobib.polite.Stats`, and the DOIs Crossref does not know (a 404 is an
    answer, not a failure)."""

    not_found: int = 0


class CrossrefClient(PoliteClient[ClientStats]):
    """Fetch works and search Crossref politely; see the module docstring for the rules."""

    voice = VOICE

    default_timeout = (CONNECT_TIMEOUT, 30)
    default_bounds = net.Bounds()

    def __init__(
        self,
        session: requests.Session | None = None,
        base_url: str | None = None,
        mailto: str | None = None,
        cache: Cache | None = None,
        *,
        progress: bool | Progress | None = None,
        **options: Unpack[Options],
    ) -> None:
        """Set up a client; nothing is sent until a method is called.

        Args:
            session: HTTP session to use (tests point one at a local server); a new one if None.
            base_url: API root; default ``$CYTOBIB_CROSSREF_URL`` or ``https://api.crossref.org``.
            mailto: contact address for the polite pool; default ``$CYTOBIB_MAILTO``; none if
                neither is set. It is sent in the User-Agent and as ``mailto=``.
            cache: answers cache; None means no caching at all.
            progress: True for a rich progress bar on stderr in :meth:`works`, or a running
                ``rich.progress.Progress`` to add a task to.
            options: the request discipline (:class:`cytobib.polite.Options`). By default the
                limiter has the polite limits with a mailto and the public ones without, the
                timeout is (5, 30) s, the bounds 10 MB, 60 s and 3 same-host redirects.

        Raises:
            ConfigError: the contact address or base URL cannot be used.
        """
        if mailto is None:
            mailto = os.environ.get(MAILTO_ENV, "").strip() or None
        self.mailto = check_contact(mailto, MAILTO_ENV)
        base = check_url(base_url, BASE_URL_ENV, DEFAULT_BASE_URL, "Crossref API")
        self.base_url = base.rstrip("/")
        self.cache = cache
        self.progress = progress
        self.pool: str | None = None
        """The ``x-api-pool`` of the last response (``public``, ``polite``, ``plus``...)."""
        super().__init__(
            session,
            stats=ClientStats(),
            headers={"User-Agent": user_agent(mailto), "Accept": "application/json"},
            pool_size=DEFAULT_MAX_WORKERS * 2,
            **options,
        )

    def default_limiter(self, clock: Clock) -> RateLimiter:
        """The polite pool's limits with a contact address, the public pool's without."""
        return RateLimiter(polite=bool(self.mailto), clock=clock)

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
        envelope = self._envelope(work_key(doi), f"DOI {doi}", "work")
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

        with progress_bar(self.progress, len(originals), "Crossref") as advance:
            misses: list[str] = []
            for doi in originals:  # cache pass in this thread: no pool, no limiter
                try:
                    envelope = self._envelope(work_key(doi), f"DOI {doi}", "work")
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
                self.run_pool(
                    misses, self._fetch_message, settle, advance, min(workers, len(misses))
                )
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
        envelope = self._envelope(key, what, "work-list")
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

    # -- cache ------------------------------------------------------------------------------

    def _envelope(self, key: str, what: str, expect: Expect) -> dict[str, Any] | None:
        """The cached envelope for ``key``, None on a miss; raise for a cached 404."""
        hit = self._cached(key, what)
        if hit is None:
            return None
        assert self.cache is not None
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

    def _fetch_message(self, doi: str) -> Message:
        message: Message = self._fetch_work(doi)["message"]
        return message

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

        def accept(answer: net.Answer) -> tuple[dict[str, Any], bytes]:
            content_type = answer.headers.get("content-type")
            return _parse(answer.body, content_type, expect, what), answer.body

        def final(answer: net.Answer) -> Exception | None:
            if answer.status != 404:
                return None
            with self._lock:
                self.stats.not_found += 1
            if route == "single":
                self._store(key, 404, answer.body, None)
            return _not_found(what)

        url = self.base_url + path
        envelope, body = self.request(url, params, what, accept, route=route, final=final)
        self._store(key, 200, body, envelope)
        return envelope

    def seen(self, answer: net.Answer) -> None:
        """Remember the pool Crossref says it served the request from."""
        pool = answer.headers.get("x-api-pool")
        if pool:
            self.pool = pool.strip()

    def _store(self, key: str, status: int, body: bytes, envelope: dict[str, Any] | None) -> None:
        if self.cache is None:
            return
        message = envelope.get("message") if envelope else None
        has_updates = isinstance(message, dict) and bool(
            message.get("updated-by") or message.get("update-to")
        )
        self.cache.store(key, status, body, has_updates=has_updates)


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
