"""The PubMed client: NCBI E-utilities (EFetch, ESearch) and the PMC ID Converter, cached,
paced and retried with the same discipline as the Crossref client.

Facts: ``shared/docs/pubmed-api.md``. Order of work for every id:

1. **Cache** (:class:`~cytobib.pubmed.cache.PubMedCache`), one row per id, before the limiter:
   hits cost no quota. ``offline`` stops here (a miss is
   :class:`~cytobib.errors.PubMedOfflineMiss` for that id).
2. **Batches** of up to 200 ids per request (NCBI: EFetch above ~200 ids should be a POST; the
   ID Converter takes at most 200, all of one type).
3. **Rate limiter** (:class:`cytobib.crossref.ratelimit.RateLimiter` with ``fixed`` limits):
   NCBI's policy is 3 requests/s per IP without a key and 10/s with ``NCBI_API_KEY``, for all
   E-utilities together; the ID Converter shares the same budget here.
4. **Request** through :func:`cytobib.net.get` (size cap, overall deadline, same-host
   redirects only, Ctrl-C) with ``tool=cytobib`` and ``email=`` (the project's contact
   address, as for Crossref) on every call, and ``api_key`` on E-utilities calls.
5. **Status, then body**: 429 and 5xx are retried with back-off (``Retry-After`` honoured);
   another 4xx is final; a 200 must be safe, well-formed XML (or JSON for the converter)
   of the expected kind, else :class:`~cytobib.errors.PubMedBadResponse` for that batch.
6. **Error budget**: once 10 requests were sent and more than 10 % failed, every further call
   raises :class:`~cytobib.errors.PubMedUnavailable` (the whole run stops asking PubMed).

A DOI becomes a PMID through the ID Converter (only works in PMC are known there) and, for
the others, an ESearch ``"DOI"[doi]`` query (third-party practice, not NCBI's own text) whose
hits are fetched and kept only when their own DOI is the one asked for.

Requests are made one at a time (a batch of 200 records takes one request, so a thread pool
would gain nothing under a 3/s limit).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from cytobib import net
from cytobib.crossref.http import parse_retry_after, user_agent
from cytobib.crossref.ratelimit import Clock, Limits, RateLimiter, SystemClock
from cytobib.doi import normalize_doi
from cytobib.errors import (
    ConfigError,
    PubMedBadResponse,
    PubMedError,
    PubMedNotFound,
    PubMedOfflineMiss,
    PubMedUnavailable,
)
from cytobib.pubmed.cache import PubMedCache, doi_key, idconv_key, pmid_key
from cytobib.pubmed.records import (
    Conversion,
    Parsed,
    PubMedRecord,
    XmlRefused,
    parse_efetch,
    parse_esearch,
    parse_idconv,
)

__all__ = [
    "API_KEY_ENV",
    "BATCH",
    "DEFAULT_EUTILS_URL",
    "DEFAULT_IDCONV_URL",
    "EUTILS_ENV",
    "IDCONV_ENV",
    "KEYED_LIMITS",
    "KEYLESS_LIMITS",
    "PubMedClient",
    "PubMedStats",
]

DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
DEFAULT_IDCONV_URL = "https://pmc.ncbi.nlm.nih.gov/tools/idconv/api/v1/articles/"
EUTILS_ENV = "CYTOBIB_EUTILS_URL"
IDCONV_ENV = "CYTOBIB_IDCONV_URL"
API_KEY_ENV = "NCBI_API_KEY"
TOOL = "cytobib"
BATCH = 200
SEARCH_BATCH = 40  # DOIs OR-ed into one ESearch term: the URL stays under ~4 KB
KEYLESS_LIMITS = Limits(concurrency=1, single=(3, 1.0), list=(3, 1.0))
KEYED_LIMITS = Limits(concurrency=1, single=(10, 1.0), list=(10, 1.0))
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_UPDATE_LINKS = frozenset({"RetractionIn", "ErratumIn", "ExpressionOfConcernIn"})
_EMAIL = re.compile(r"[^@\s<>()\",;:]+@[^@\s<>()\",;:]+\.[^@\s<>()\",;:]+")
_TRANSPORT_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

Result = PubMedRecord | Exception


@dataclass
class PubMedStats:
    """Counters for tests and the benchmark: HTTP attempts sent (retries included), those
    that failed, retries, ids answered from the cache, and requests by E-utility."""

    requests: int = 0
    failures: int = 0
    retries: int = 0
    cache_hits: int = 0
    efetch: int = 0
    esearch: int = 0
    idconv: int = 0


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _base(value: str | None, env: str, default: str, what: str) -> str:
    base = value or os.environ.get(env, "").strip() or default
    if not re.match(r"^https?://[^/\s]+", base):
        raise ConfigError(
            f"The {what} URL {base!r} is not an http(s) URL.", hint=f"Unset {env} to use {default}."
        )
    return base


class PubMedClient:
    """Fetch PubMed records by PMID, and convert PMCIDs and DOIs to PMIDs; see the module
    docstring for the rules."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        eutils_url: str | None = None,
        idconv_url: str | None = None,
        email: str | None = None,
        api_key: str | None = None,
        cache: PubMedCache | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        timeout: float | tuple[float, float] = (5, 60),
        max_attempts: int = 4,
        backoff_base: float | None = None,
        backoff_cap: float = 30.0,
        max_retry_after: float = 120.0,
        failure_threshold: float = 0.10,
        min_requests_for_cutoff: int = 10,
        rng: random.Random | None = None,
        bounds: net.Bounds | None = None,
        batch: int = BATCH,
    ) -> None:
        """Set up a client; nothing is sent until a method is called.

        Args:
            session: HTTP session (tests point one at a local server); a new one if None.
            eutils_url: E-utilities root; default ``$CYTOBIB_EUTILS_URL`` or NCBI's.
            idconv_url: ID Converter URL; default ``$CYTOBIB_IDCONV_URL`` or NCBI's.
            email: contact address sent as ``email=`` (the project's Crossref ``mailto``).
            api_key: NCBI API key; default ``$NCBI_API_KEY``. With one, 10 requests/s.
            cache: answers cache; None means no caching at all.
            limiter: rate limiter; default NCBI's fixed limits for the key (or none).
            clock: monotonic clock and sleep for pacing and back-off (injected in tests).
            timeout: ``requests`` timeout, ``(connect, read)`` seconds.
            max_attempts: attempts per request, the first included.
            backoff_base: first back-off in seconds; default one rate-limit interval.
            backoff_cap: longest single back-off.
            max_retry_after: a longer Retry-After fails the request instead of waiting.
            failure_threshold: failure share that stops the run.
            min_requests_for_cutoff: requests before the failure share is judged.
            rng: random source for jitter (seeded in tests).
            bounds: size cap, overall deadline and redirect limit per request (default
                64 MB, 120 s: 200 records with their reference lists can pass 10 MB).
            batch: ids per request, at most 200.

        Raises:
            ConfigError: the contact address or a URL cannot be used.
        """
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 1 <= batch <= BATCH:
            raise ValueError(f"batch must be between 1 and {BATCH}")
        if email is not None and not _EMAIL.fullmatch(email):
            raise ConfigError(
                f"The contact address {email!r} is not an e-mail address.",
                hint="Set mailto in cytobib.toml or CYTOBIB_MAILTO to an address you read.",
            )
        if api_key is None:
            api_key = os.environ.get(API_KEY_ENV, "").strip() or None
        if api_key is not None and not re.fullmatch(r"[A-Za-z0-9]{8,64}", api_key):
            raise ConfigError(
                f"{API_KEY_ENV} is not an NCBI API key (letters and digits).",
                hint="Copy the key from your NCBI account settings, or unset the variable.",
            )
        self.eutils_url = _base(eutils_url, EUTILS_ENV, DEFAULT_EUTILS_URL, "E-utilities").rstrip(
            "/"
        )
        self.idconv_url = _base(idconv_url, IDCONV_ENV, DEFAULT_IDCONV_URL, "ID Converter")
        self.email = email
        self.api_key = api_key
        self.cache = cache
        self._clock: Clock = clock or SystemClock()
        limits = KEYED_LIMITS if api_key else KEYLESS_LIMITS
        self.limiter = limiter or RateLimiter(limits=limits, clock=self._clock, fixed=True)
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.timeout = timeout
        self.bounds = bounds or net.Bounds(max_bytes=64 * 2**20, deadline=120.0)
        self.max_attempts = max_attempts
        self.batch = batch
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_retry_after = max_retry_after
        self._threshold = failure_threshold
        self._min_requests = min_requests_for_cutoff
        self._rng = rng or random.Random()  # noqa: S311 - jitter only
        self._lock = threading.Lock()
        self._tripped = False
        self.stats = PubMedStats()
        self.headers = {"User-Agent": user_agent(email)}

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> PubMedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records by PMID ----------------------------------------------------------------------

    def records(self, pmids: Iterable[str]) -> dict[str, Result]:
        """Records for PMIDs (as given, duplicates once): the record, or the exception for
        that id (``ValueError`` for a malformed PMID, :class:`PubMedNotFound` for one PubMed
        does not know or deleted, :class:`PubMedOfflineMiss`, a failed batch's error).

        Raises:
            PubMedUnavailable: the error budget is spent: the run stops asking PubMed.
        """
        results: dict[str, Result] = {}
        misses: list[str] = []
        for given in dict.fromkeys(pmids):
            pmid = given.strip()
            if not pmid.isdigit() or len(pmid) > 10 or int(pmid) == 0:
                results[given] = ValueError(f"{given!r} is not a PMID (a number).")
                continue
            pmid = str(int(pmid))
            cached = self._cached_record(pmid)
            if cached is None:
                misses.append(pmid)
            results[given] = cached if cached is not None else _PENDING
        fetched: dict[str, Result] = {}
        for batch in _chunks(list(dict.fromkeys(misses)), self.batch):
            fetched.update(self._fetch_batch(batch))
        for given, value in results.items():
            if value is _PENDING:
                results[given] = fetched[str(int(given.strip()))]
        return results

    def _cached_record(self, pmid: str) -> Result | None:
        if self.cache is None:
            return None
        key = pmid_key(pmid)
        hit = self.cache.get(key)
        if hit is None:
            if self.cache.mode == "offline":
                return PubMedOfflineMiss(
                    f"Offline mode: the cache has no PubMed record for PMID {pmid}.",
                    hint="Run once without --offline to fetch it.",
                )
            return None
        with self._lock:
            self.stats.cache_hits += 1
        if hit.status == 404:
            return _unknown(pmid)
        if hit.status == 410:
            return _deleted(pmid)
        try:
            record = parse_efetch(hit.body, trusted=True).records.get(pmid)
        except XmlRefused:
            record = None
        if record is None:  # a damaged row: forget it and ask again
            self.cache.delete(key)
            return None
        return record

    def _fetch_batch(self, batch: Sequence[str]) -> dict[str, Result]:
        what = _what("PMID", batch)
        try:
            answer = self._request(
                f"{self.eutils_url}/efetch.fcgi",
                {"db": "pubmed", "retmode": "xml", "id": ",".join(batch)},
                what,
                eutils=True,
                counter="efetch",
            )
            parsed = _efetch_body(answer, what)
        except PubMedError as exc:
            if self._tripped:  # the budget is spent: the whole run stops asking
                raise self._budget_error() from exc
            return dict.fromkeys(batch, exc)
        out: dict[str, Result] = {}
        for pmid in batch:
            record = parsed.records.get(pmid)
            if record is not None:
                has_updates = bool(record.linked(*_UPDATE_LINKS))
                self._store(pmid_key(pmid), 200, parsed.xml[pmid], has_updates)
                out[pmid] = record
            elif pmid in parsed.deleted:
                self._store(pmid_key(pmid), 410, b"deleted")
                out[pmid] = _deleted(pmid)
            else:
                self._store(pmid_key(pmid), 404, b"")
                out[pmid] = _unknown(pmid)
        return out

    # -- the ID Converter -------------------------------------------------------------------

    def convert(self, ids: Iterable[str], idtype: str) -> dict[str, Conversion | Exception]:
        """What the PMC ID Converter knows of each id (all of one ``idtype``: ``doi``,
        ``pmcid`` or ``pmid``): a :class:`Conversion` (its ``error`` set when the converter
        reported one for that id), or the exception of the failed batch.

        Raises:
            PubMedUnavailable: the error budget is spent.
        """
        if idtype not in ("doi", "pmcid", "pmid"):
            raise ValueError(f"Unknown id type {idtype!r}.")
        results: dict[str, Conversion | Exception] = {}
        misses: list[str] = []
        for value in dict.fromkeys(ids):
            cached = self._cached_conversion(idtype, value)
            if cached is None:
                misses.append(value)
            else:
                results[value] = cached
        for batch in _chunks(misses, self.batch):
            what = _what(idtype.upper() if idtype != "doi" else "DOI", batch)
            params = {"ids": ",".join(batch), "idtype": idtype, "format": "json", "versions": "no"}
            try:
                answer = self._request(
                    self.idconv_url, params, what, eutils=False, counter="idconv"
                )
                found = parse_idconv(answer.body, batch, idtype)
            except PubMedError as exc:
                if self._tripped:
                    raise self._budget_error() from exc
                results.update(dict.fromkeys(batch, exc))
                continue
            except ValueError as exc:
                error = PubMedBadResponse(
                    f"The PMC ID Converter's answer for {what} is not usable: {exc}.",
                    hint=f"Check {IDCONV_ENV}; if it persists, NCBI is sending broken answers.",
                )
                results.update(dict.fromkeys(batch, error))
                continue
            for value in batch:
                conversion = found.get(value) or Conversion(value, error="not known to PMC")
                status = 404 if conversion.error or not conversion.pmid else 200
                body = json.dumps(conversion.__dict__).encode()
                self._store(idconv_key(idtype, value), status, body)
                results[value] = conversion
        return results

    def _cached_conversion(self, idtype: str, value: str) -> Conversion | Exception | None:
        if self.cache is None:
            return None
        hit = self.cache.get(idconv_key(idtype, value))
        if hit is None:
            if self.cache.mode == "offline":
                return PubMedOfflineMiss(
                    f"Offline mode: the cache has no PMC ID Converter answer for {value}.",
                    hint="Run once without --offline to fetch it.",
                )
            return None
        with self._lock:
            self.stats.cache_hits += 1
        try:
            data = json.loads(hit.body)
            return Conversion(
                value,
                str(data.get("pmid", "")),
                str(data.get("pmcid", "")),
                str(data.get("doi", "")),
                str(data.get("error", "")),
            )
        except (ValueError, AttributeError):
            self.cache.delete(idconv_key(idtype, value))
            return None

    # -- DOIs to PMIDs ----------------------------------------------------------------------

    def pmids_for_dois(self, dois: Iterable[str]) -> dict[str, str | Exception]:
        """The PMID of each DOI ("" when PubMed has none), through the ID Converter and, for
        works not in PMC, an ESearch by DOI checked against each hit's own DOI.

        Raises:
            PubMedUnavailable: the error budget is spent.
        """
        results: dict[str, str | Exception] = {}
        canonical: dict[str, str] = {}
        for given in dict.fromkeys(dois):
            try:
                canonical[given] = normalize_doi(given)
            except ValueError as exc:
                results[given] = exc
        converted = self.convert(list(dict.fromkeys(canonical.values())), "doi")
        searched: list[str] = []
        by_doi: dict[str, str | Exception] = {}
        for doi, conversion in converted.items():
            if isinstance(conversion, Exception) and not isinstance(conversion, PubMedOfflineMiss):
                by_doi[doi] = conversion
            elif isinstance(conversion, Conversion) and conversion.pmid:
                by_doi[doi] = conversion.pmid
            else:
                searched.append(doi)
        by_doi.update(self._search_dois(searched))
        for given, doi in canonical.items():
            results[given] = by_doi.get(doi, "")
        return results

    def _search_dois(self, dois: Sequence[str]) -> dict[str, str | Exception]:
        out: dict[str, str | Exception] = {}
        misses: list[str] = []
        for doi in dois:
            hit = self.cache.get(doi_key(doi)) if self.cache is not None else None
            if hit is not None:
                with self._lock:
                    self.stats.cache_hits += 1
                out[doi] = hit.body.decode("ascii", "replace") if hit.status == 200 else ""
            elif self.cache is not None and self.cache.mode == "offline":
                out[doi] = PubMedOfflineMiss(
                    f"Offline mode: the cache has no PubMed answer for DOI {doi}.",
                    hint="Run once without --offline to fetch it.",
                )
            else:
                misses.append(doi)
        for batch in _chunks(misses, SEARCH_BATCH):
            what = _what("DOI", batch)
            term = " OR ".join(f'"{doi}"[doi]' for doi in batch)
            try:
                answer = self._request(
                    f"{self.eutils_url}/esearch.fcgi",
                    {"db": "pubmed", "term": term, "retmax": str(len(batch) * 2)},
                    what,
                    eutils=True,
                    counter="esearch",
                )
                try:
                    pmids = parse_esearch(answer.body)
                except XmlRefused as exc:
                    raise _bad(f"NCBI's ESearch answer for {what}", exc) from None
            except PubMedError as exc:
                if self._tripped:
                    raise self._budget_error() from exc
                out.update(dict.fromkeys(batch, exc))
                continue
            found: dict[str, str] = {}
            for pmid, record in self.records(pmids).items():
                if isinstance(record, PubMedRecord) and record.doi:
                    found.setdefault(record.doi.strip().casefold(), pmid)
            for doi in batch:
                pmid = found.get(doi.casefold(), "")
                self._store(doi_key(doi), 200 if pmid else 404, pmid.encode())
                out[doi] = pmid
        return out

    # -- one request, retried -------------------------------------------------------------------

    def _request(
        self, url: str, params: Mapping[str, str], what: str, *, eutils: bool, counter: str
    ) -> net.Answer:
        """GET with NCBI's identification, paced and retried; the 200 answer.

        Raises:
            PubMedNotFound: a 404 from the ID Converter (its message says why).
            PubMedUnavailable: no answer after retries, a long Retry-After, the budget spent.
            PubMedError: another 4xx, a redirect off the host, a transport failure.
            PubMedBadResponse: an answer larger than the size cap.
        """
        query = {**params, "tool": TOOL}
        if self.email:
            query["email"] = self.email
        if eutils and self.api_key:
            query["api_key"] = self.api_key
        problem = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            if self._tripped:
                raise self._budget_error()
            retry_after: float | None = None
            try:
                with self.limiter.slot("single"):
                    with self._lock:
                        setattr(self.stats, counter, getattr(self.stats, counter) + 1)
                    answer = net.get(
                        self.session,
                        url,
                        params=query,
                        headers=self.headers,
                        timeout=self.timeout,
                        bounds=self.bounds,
                    )
            except (net.TooLarge, net.Deadline, net.OffHost) as exc:
                self._count(failed=True)
                raise _out_of_bounds(exc, what) from None
            except requests.exceptions.Timeout:
                problem = "the request timed out"
                self._count(failed=True)
            except _TRANSPORT_ERRORS as exc:
                problem = f"the connection failed ({type(exc).__name__})"
                self._count(failed=True)
            except requests.RequestException as exc:
                self._count(failed=True)
                raise PubMedError(
                    f"The request to NCBI for {what} failed ({type(exc).__name__}).",
                    hint=f"Check {EUTILS_ENV}, {IDCONV_ENV} and your network settings.",
                ) from None
            else:
                self.limiter.observe("single", answer.headers)
                status = answer.status
                if status == 200:
                    self._count(failed=False)
                    return answer
                if status == 404 and not eutils:
                    self._count(failed=False)
                    raise PubMedNotFound(
                        f"The PMC ID Converter does not know {what}: {_error_detail(answer)}.",
                        hint="Check the ids; a PMCID starts with PMC, a DOI with 10.",
                    )
                self._count(failed=True)
                problem = f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    raise PubMedError(
                        f"NCBI refused the request for {what} (HTTP {status}): "
                        f"{_error_detail(answer)}.",
                        hint="Check the ids and NCBI_API_KEY; if they are right, this is a bug "
                        "in cytobib: please report it with this message.",
                    )
                retry_after = parse_retry_after(answer.headers.get("retry-after"))
                if status == 429:
                    self.limiter.throttled(retry_after)
                elif retry_after is not None:
                    self.limiter.pause(retry_after)
            if attempt == self.max_attempts:
                break
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            if delay > self._max_retry_after:
                raise PubMedUnavailable(
                    f"NCBI asked to wait {delay:.0f} s before retrying {what}.",
                    hint="Try again later.",
                )
            with self._lock:
                self.stats.retries += 1
            self._clock.sleep(delay)
        raise PubMedUnavailable(
            f"NCBI gave no answer for {what} after {self.max_attempts} attempts (last: {problem}).",
            hint="NCBI may be overloaded or limiting this address; try again later, or set "
            f"{API_KEY_ENV} (10 requests/s instead of 3).",
        )

    def _backoff(self, attempt: int) -> float:
        base = self._backoff_base
        if base is None:
            base = self.limiter.interval("single")
        delay: float = min(self._backoff_cap, base * 2.0 ** (attempt - 1))
        return delay + self._rng.uniform(0, delay / 2)

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

    def _budget_error(self) -> PubMedUnavailable:
        with self._lock:
            failures, sent = self.stats.failures, self.stats.requests
        return PubMedUnavailable(
            f"Stopped asking PubMed: {failures} of {sent} requests failed, more than "
            f"{self._threshold:.0%}.",
            hint="Try again later; answers fetched so far are cached.",
        )

    def _store(self, key: str, status: int, body: bytes, has_updates: bool = False) -> None:
        if self.cache is not None:
            self.cache.store(key, status, body, has_updates=has_updates)


class _Pending(Exception):
    """Internal placeholder for an id whose batch has not been fetched yet."""


_PENDING: Any = _Pending()


def _what(kind: str, ids: Sequence[str]) -> str:
    if len(ids) == 1:
        return f"{kind} {ids[0]}"
    return f"{len(ids)} {kind}s ({ids[0]}...)"


def _unknown(pmid: str) -> PubMedNotFound:
    return PubMedNotFound(
        f"PubMed has no record with PMID {pmid}.",
        hint="Check the number (pubmed.ncbi.nlm.nih.gov/PMID shows the record).",
    )


def _deleted(pmid: str) -> PubMedNotFound:
    return PubMedNotFound(
        f"PMID {pmid} is a deleted PubMed record (NLM lists it as a DeleteCitation).",
        hint="Look the work up by its title or DOI; its citation now has another PMID or none.",
    )


def _bad(what: str, exc: Exception) -> PubMedBadResponse:
    return PubMedBadResponse(
        f"{what} is not usable: {exc}.",
        hint="Try again; if it persists, NCBI or a proxy is sending broken answers.",
    )


def _efetch_body(answer: net.Answer, what: str) -> Parsed:
    media = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if "html" in media:
        raise PubMedBadResponse(
            f"NCBI answered {what} with an HTML page instead of PubMed XML.",
            hint="A proxy, captive portal or outage page may be in the way; try again later.",
        )
    try:
        return parse_efetch(answer.body)
    except XmlRefused as exc:
        if "Empty result" in str(exc):  # every id of the batch unknown
            return Parsed({}, {})
        raise _bad(f"NCBI's EFetch answer for {what}", exc) from None


def _out_of_bounds(exc: Exception, what: str) -> PubMedError:
    if isinstance(exc, net.TooLarge):
        return PubMedBadResponse(
            f"NCBI's answer for {what} is {exc}; it was not read.",
            hint=f"A proxy or a wrong {EUTILS_ENV} may be in the way.",
        )
    if isinstance(exc, net.Deadline):
        return PubMedUnavailable(
            f"NCBI's answer for {what} was {exc}; the request was given up.",
            hint="NCBI or the network is very slow; try again later.",
        )
    return PubMedError(
        f"The request to NCBI for {what} was {exc}; cytobib follows redirects only within "
        "the host asked, so your contact address is not sent elsewhere.",
        hint=f"Check {EUTILS_ENV} and {IDCONV_ENV}.",
    )


def _error_detail(answer: net.Answer) -> str:
    """The server's reason: ``error``/``message`` of a JSON body, else a short text."""
    from urllib.parse import unquote

    text = answer.body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        text = re.sub(r"<[^>]+>", " ", text)
        return re.sub(r"\s+", " ", text).strip()[:200] or answer.reason or "no reason given"
    if isinstance(data, dict):
        for name in ("error", "message", "errmsg"):
            if isinstance(data.get(name), str) and data[name]:
                return unquote(data[name])[:200]
    return str(data)[:200]
