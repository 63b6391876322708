"""The PubMed client: NCBI E-utilities (EFetch, ESearch) and the PMC ID Converter, cached,
paced and retried by the discipline it shares with Crossref
(:class:`cytobib.polite.PoliteClient`); what is NCBI's own lives here.

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
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import requests

from cytobib import net
from cytobib.crossref.cache import CachedResponse
from cytobib.crossref.ratelimit import Limits, RateLimiter
from cytobib.doi import normalize_doi
from cytobib.errors import (
    ConfigError,
    PubMedBadResponse,
    PubMedError,
    PubMedNotFound,
    PubMedOfflineMiss,
    PubMedUnavailable,
    PubMedUnreachable,
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
    error_detail,
    user_agent,
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
_UPDATE_LINKS = frozenset({"RetractionIn", "ErratumIn", "ExpressionOfConcernIn"})
VOICE = Voice(
    name="PubMed",
    server="NCBI",
    error=PubMedError,
    unavailable=PubMedUnavailable,
    bad_response=PubMedBadResponse,
    offline_miss=PubMedOfflineMiss,
    unreachable=PubMedUnreachable,
    network_hint=f"Check {EUTILS_ENV}, {IDCONV_ENV} and your network settings.",
    refused_hint="Check the ids and NCBI_API_KEY; if they are right, this is a bug in cytobib: "
    "please report it with this message.",
    gave_up_hint="NCBI may be overloaded or limiting this address; try again later, or set "
    f"{API_KEY_ENV} (10 requests/s instead of 3).",
    too_large_hint=f"A proxy or a wrong {EUTILS_ENV} may be in the way.",
    redirect_hint=f"Check {EUTILS_ENV} and {IDCONV_ENV}.",
)

Result = PubMedRecord | Exception


@dataclass
class PubMedStats(Stats):
    """:class:`cytobib.polite.Stats`, and the requests sent to each E-utility."""

    efetch: int = 0
    esearch: int = 0
    idconv: int = 0


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class PubMedClient(PoliteClient[PubMedStats]):
    """Fetch PubMed records by PMID, and convert PMCIDs and DOIs to PMIDs; see the module
    docstring for the rules."""

    voice = VOICE

    default_timeout = (CONNECT_TIMEOUT, 60)
    # 200 records with their reference lists can pass 10 MB.
    default_bounds = net.Bounds(max_bytes=64 * 2**20, deadline=120.0)

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        eutils_url: str | None = None,
        idconv_url: str | None = None,
        email: str | None = None,
        api_key: str | None = None,
        cache: PubMedCache | None = None,
        batch: int = BATCH,
        **options: Unpack[Options],
    ) -> None:
        """Set up a client; nothing is sent until a method is called.

        Args:
            session: HTTP session (tests point one at a local server); a new one if None.
            eutils_url: E-utilities root; default ``$CYTOBIB_EUTILS_URL`` or NCBI's.
            idconv_url: ID Converter URL; default ``$CYTOBIB_IDCONV_URL`` or NCBI's.
            email: contact address sent as ``email=`` (the project's Crossref ``mailto``).
            api_key: NCBI API key; default ``$NCBI_API_KEY``. With one, 10 requests/s.
            cache: answers cache; None means no caching at all.
            batch: ids per request, at most 200.
            options: the request discipline (:class:`cytobib.polite.Options`). By default the
                limiter keeps NCBI's fixed limits for the key (or none), the timeout is
                (5, 60) s, the bounds 64 MB and 120 s.

        Raises:
            ConfigError: the contact address, the API key or a URL cannot be used.
        """
        if not 1 <= batch <= BATCH:
            raise ValueError(f"batch must be between 1 and {BATCH}")
        self.email = check_contact(email, "CYTOBIB_MAILTO")
        if api_key is None:
            api_key = os.environ.get(API_KEY_ENV, "").strip() or None
        if api_key is not None and not re.fullmatch(r"[A-Za-z0-9]{8,64}", api_key):
            raise ConfigError(
                f"{API_KEY_ENV} is not an NCBI API key (letters and digits).",
                hint="Copy the key from your NCBI account settings, or unset the variable.",
            )
        eutils = check_url(eutils_url, EUTILS_ENV, DEFAULT_EUTILS_URL, "E-utilities")
        self.eutils_url = eutils.rstrip("/")
        self.idconv_url = check_url(idconv_url, IDCONV_ENV, DEFAULT_IDCONV_URL, "ID Converter")
        self.api_key = api_key
        self.cache = cache
        self.batch = batch
        super().__init__(
            session, stats=PubMedStats(), headers={"User-Agent": user_agent(email)}, **options
        )

    def default_limiter(self, clock: Clock) -> RateLimiter:
        """NCBI's fixed limits: 10 requests/s with an API key, 3 without."""
        limits = KEYED_LIMITS if self.api_key else KEYLESS_LIMITS
        return RateLimiter(limits=limits, clock=clock, fixed=True)

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

    def _row(self, key: str, what: str) -> CachedResponse | Exception | None:
        """The cache's row for ``key``, None on a miss, the offline miss for that id."""
        try:
            return self._cached(key, what)
        except PubMedOfflineMiss as exc:
            return exc

    def _cached_record(self, pmid: str) -> Result | None:
        key = pmid_key(pmid)
        hit = self._row(key, f"PMID {pmid}")
        if hit is None or isinstance(hit, Exception):
            return hit
        assert self.cache is not None
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
            return dict.fromkeys(batch, self._or_stop(exc))
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
                results.update(dict.fromkeys(batch, self._or_stop(exc)))
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
        hit = self._row(idconv_key(idtype, value), f"{idtype.upper()} {value}")
        if hit is None or isinstance(hit, Exception):
            return hit
        assert self.cache is not None
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
            hit = self._row(doi_key(doi), f"DOI {doi}")
            if hit is None:
                misses.append(doi)
            elif isinstance(hit, Exception):
                out[doi] = hit
            else:
                out[doi] = hit.body.decode("ascii", "replace") if hit.status == 200 else ""
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
                out.update(dict.fromkeys(batch, self._or_stop(exc)))
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
        """GET with NCBI's identification, paced and retried (:meth:`PoliteClient.request`);
        the 200 answer.

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

        def sent() -> None:
            with self._lock:
                setattr(self.stats, counter, getattr(self.stats, counter) + 1)

        def final(answer: net.Answer) -> Exception | None:
            if answer.status != 404 or eutils:
                return None
            return PubMedNotFound(
                f"The PMC ID Converter does not know {what}: {error_detail(answer)}.",
                hint="Check the ids; a PMCID starts with PMC, a DOI with 10.",
            )

        return self.request(url, query, what, lambda answer: answer, final=final, sent=sent)

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
