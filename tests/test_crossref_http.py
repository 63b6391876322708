"""CrossrefClient against a real local HTTP server serving the recorded fixtures.

Every 429 and 5xx here is constructed by ``crossref_server`` (Crossref's 429 was never
recorded). Back-off sleeps run on a FakeClock unless a test measures real pacing.
"""

from __future__ import annotations

import _thread
import io
import random
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
import requests

from crossref_server import (
    CrossrefTestServer,
    Enforce,
    Fault,
    require_fixtures,
    running_server,
)
from cytobib.crossref.cache import DAY, Cache, work_key
from cytobib.crossref.http import CrossrefClient, parse_retry_after, user_agent
from cytobib.crossref.ratelimit import Limits, RateLimiter
from cytobib.errors import (
    ConfigError,
    CrossrefBadResponse,
    CrossrefError,
    CrossrefNotFound,
    CrossrefUnavailable,
    OfflineCacheMiss,
)
from serverkit import FakeClock

PLOS = "10.1371/journal.pone.0033693"
WAKEFIELD = "10.1016/S0140-6736(97)11096-0"
ONCOL = "10.3892/ijo_00000353"
MAILTO = "reviewer@example.org"


class WallClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def crossref_server() -> Iterator[CrossrefTestServer]:
    """The local Crossref serving the recorded fixtures."""
    with running_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CYTOBIB_MAILTO", "CYTOBIB_CROSSREF_URL", "CYTOBIB_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


def client_for(
    server: CrossrefTestServer,
    tmp_path: Path | None = None,
    *,
    clock: Any = None,
    mode: str = "normal",
    wall: WallClock | None = None,
    **kwargs: Any,
) -> CrossrefClient:
    cache = None
    if tmp_path is not None:
        cache = Cache(tmp_path, mode=mode, clock=wall or time.time)  # type: ignore[arg-type]
    return CrossrefClient(
        base_url=server.url,
        cache=cache,
        clock=clock if clock is not None else FakeClock(),
        rng=random.Random(7),
        **kwargs,
    )


class NoNetwork(requests.Session):
    """A session that fails the test if anything is sent."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        raise AssertionError("offline mode touched the network")


# -- basics -----------------------------------------------------------------------------------


def test_work_returns_the_message_of_the_recording(crossref_server: CrossrefTestServer) -> None:
    """work() returns the `message` of GET /works/{doi} in one request."""
    client = client_for(crossref_server)
    message = client.work(PLOS)
    assert message["DOI"] == PLOS
    assert message["type"] == "journal-article"
    assert len(crossref_server.hits) == 1


def test_doi_is_url_encoded_in_the_path(crossref_server: CrossrefTestServer) -> None:
    """Slash and parentheses of a DOI are percent-encoded; the DOI is lower-cased first."""
    client_for(crossref_server).work(f"https://doi.org/{WAKEFIELD}")
    assert crossref_server.hits[0].path == "/works/10.1016%2Fs0140-6736%2897%2911096-0"


def test_user_agent_and_mailto_are_sent_when_given(crossref_server: CrossrefTestServer) -> None:
    """A mailto goes in the User-Agent and the query; the server then says 'polite'."""
    client = client_for(crossref_server, mailto=MAILTO)
    client.work(PLOS)
    hit = crossref_server.hits[0]
    assert hit.headers["user-agent"] == (
        f"cytobib/{_version()} (+https://github.com/cytobib/cytobib; mailto:{MAILTO})"
    )
    assert hit.query["mailto"] == [MAILTO]
    assert client.pool == "polite"


def test_without_mailto_nothing_identifies_the_user(crossref_server: CrossrefTestServer) -> None:
    """No built-in address: no mailto param, no mailto in the User-Agent, public pool."""
    client = client_for(crossref_server)
    client.work(PLOS)
    hit = crossref_server.hits[0]
    assert "mailto" not in hit.query
    assert (
        hit.headers["user-agent"] == f"cytobib/{_version()} (+https://github.com/cytobib/cytobib)"
    )
    assert client.pool == "public"
    assert client.limiter.concurrency == 1


def test_mailto_and_base_url_come_from_the_environment(
    crossref_server: CrossrefTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CYTOBIB_MAILTO and CYTOBIB_CROSSREF_URL are used when no argument is given."""
    monkeypatch.setenv("CYTOBIB_MAILTO", MAILTO)
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", crossref_server.url)
    client = CrossrefClient(clock=FakeClock())
    assert client.base_url == crossref_server.url
    client.work(PLOS)
    assert crossref_server.hits[0].query["mailto"] == [MAILTO]
    assert client.limiter.announced_concurrency == 3


def test_default_base_url_is_crossref_over_https() -> None:
    """Without configuration the client talks to https://api.crossref.org."""
    assert CrossrefClient().base_url == "https://api.crossref.org"


@pytest.mark.parametrize("bad", ["not-an-address", "a@b", "x@y.org\r\nX-Evil: 1", "me @x.org"])
def test_a_malformed_contact_address_is_a_config_error(bad: str) -> None:
    """Bad addresses (including header injection) are refused before anything is sent."""
    with pytest.raises(ConfigError):
        CrossrefClient(mailto=bad)


def test_a_non_http_base_url_is_a_config_error() -> None:
    """CYTOBIB_CROSSREF_URL must be an http(s) URL."""
    with pytest.raises(ConfigError):
        CrossrefClient(base_url="ftp://example.org")


def test_recorded_2022_headers_with_legacy_twins_are_adopted() -> None:
    """Replaying the 2022 headers (50/1s plus x-ratelimit-* twins) sets 50/s."""
    server = CrossrefTestServer(require_fixtures(), replay_rate_headers=True).start()
    try:
        client = client_for(server)
        client.work("10.3389/fgene.2017.00147")
        assert client.limiter.limit("single") == (50, 1.0)
        assert client.pool == "polite"
    finally:
        server.stop()


# -- cache ------------------------------------------------------------------------------------


def test_cache_hits_cost_no_request_and_no_quota(
    crossref_server: CrossrefTestServer, tmp_path: Path
) -> None:
    """A second work() for the same DOI (any spelling) is served from the cache, no slot."""
    client = client_for(crossref_server, tmp_path)
    client.work(WAKEFIELD)
    acquired = client.limiter.stats.acquired
    again = client.work("doi:" + WAKEFIELD.upper())
    assert again["DOI"] == WAKEFIELD.lower()
    assert len(crossref_server.hits) == 1
    assert client.limiter.stats.acquired == acquired
    assert client.stats.cache_hits == 1


def test_offline_mode_never_touches_the_network(
    crossref_server: CrossrefTestServer, tmp_path: Path
) -> None:
    """Offline: cached answers come back, a miss raises OfflineCacheMiss, nothing is sent."""
    client_for(crossref_server, tmp_path).work(PLOS)
    sent = len(crossref_server.hits)
    offline = CrossrefClient(
        session=NoNetwork(), base_url=crossref_server.url, cache=Cache(tmp_path, mode="offline")
    )
    assert offline.work(PLOS)["DOI"] == PLOS
    with pytest.raises(OfflineCacheMiss):
        offline.work(ONCOL)
    results = offline.works([PLOS, ONCOL])
    assert isinstance(results[ONCOL], OfflineCacheMiss)
    assert len(crossref_server.hits) == sent


def test_refresh_mode_fetches_again_and_updates_the_cache(
    crossref_server: CrossrefTestServer, tmp_path: Path
) -> None:
    """Refresh ignores the cached answer but still stores the new one."""
    client_for(crossref_server, tmp_path).work(PLOS)
    client_for(crossref_server, tmp_path, mode="refresh").work(PLOS)
    assert len(crossref_server.hits_for(PLOS)) == 2
    assert client_for(crossref_server, tmp_path).work(PLOS)["DOI"] == PLOS
    assert len(crossref_server.hits_for(PLOS)) == 2


def test_a_damaged_cached_row_is_refetched(
    crossref_server: CrossrefTestServer, tmp_path: Path
) -> None:
    """A cached body that is no longer valid JSON is dropped and fetched again."""
    Cache(tmp_path).store(work_key(PLOS), 200, b'{"status": "ok", "mess')
    assert client_for(crossref_server, tmp_path).work(PLOS)["DOI"] == PLOS
    assert len(crossref_server.hits) == 1


def test_records_with_updates_are_flagged_for_early_recheck(
    crossref_server: CrossrefTestServer, tmp_path: Path
) -> None:
    """The PLOS record (updated-by a correction) is stored with has_updates."""
    client_for(crossref_server, tmp_path).work(PLOS)
    hit = Cache(tmp_path).lookup(work_key(PLOS))
    assert hit is not None
    assert hit.has_updates


# -- statuses ---------------------------------------------------------------------------------


def test_404_is_final_not_retried_and_cached_for_a_day(
    crossref_server: CrossrefTestServer, tmp_path: Path
) -> None:
    """A 404 (plain-text body) raises CrossrefNotFound once, then comes from the cache a day."""
    wall = WallClock()
    client = client_for(crossref_server, tmp_path, wall=wall)
    with pytest.raises(CrossrefNotFound):
        client.work("10.1371/notarealdoi")
    assert len(crossref_server.hits) == 1
    with pytest.raises(CrossrefNotFound):
        client.work("10.1371/NotARealDOI")
    assert len(crossref_server.hits) == 1
    wall.now += 1.01 * DAY
    with pytest.raises(CrossrefNotFound):
        client.work("10.1371/notarealdoi")
    assert len(crossref_server.hits) == 2
    assert client.stats.failures == 0  # an answer, not a failure


def test_400_is_final_with_the_servers_validation_message(
    crossref_server: CrossrefTestServer,
) -> None:
    """Other 4xx are not retried; the JSON validation message reaches the user."""
    crossref_server.add_faults(Fault("400"))
    client = client_for(crossref_server)
    with pytest.raises(CrossrefError) as info:
        client.work(PLOS)
    assert type(info.value) is CrossrefError
    assert "This route does not support field query parameters" in str(info.value)
    assert len(crossref_server.hits) == 1


def test_429_honours_retry_after_seconds(crossref_server: CrossrefTestServer) -> None:
    """Retry-After: 3 means a 3 s wait, then one retry; concurrency drops to 1."""
    crossref_server.add_faults(Fault("429", retry_after="3"))
    clock = FakeClock()
    client = client_for(crossref_server, clock=clock, mailto=MAILTO)
    assert client.work(PLOS)["DOI"] == PLOS
    assert 3.0 in clock.sleeps
    assert len(crossref_server.hits) == 2
    assert client.stats.retries == 1
    assert client.limiter.concurrency == 1
    assert client.limiter.stats.throttled == 1


def test_429_honours_retry_after_as_http_date(crossref_server: CrossrefTestServer) -> None:
    """Retry-After as an HTTP-date is turned into the seconds left until then."""
    crossref_server.add_faults(Fault("429", retry_after=formatdate(time.time() + 5, usegmt=True)))
    clock = FakeClock()
    client = client_for(crossref_server, clock=clock)
    client.work(PLOS)
    waited = [s for s in clock.sleeps if s >= 2]
    assert len(waited) == 1
    assert 3.0 <= waited[0] <= 5.5


def test_429_without_retry_after_backs_off_exponentially_with_jitter(
    crossref_server: CrossrefTestServer,
) -> None:
    """Three bare 429s: waits of base, 2x, 4x (each plus up to 50 % jitter), then success."""
    crossref_server.add_faults(Fault("429"), Fault("429"), Fault("429"))
    clock = FakeClock()
    client = client_for(crossref_server, clock=clock, backoff_base=0.5)
    client.work(PLOS)
    backoffs = [s for s in clock.sleeps if s >= 0.5]
    assert len(backoffs) == 3
    for wait, base in zip(backoffs, (0.5, 1.0, 2.0), strict=True):
        assert base <= wait <= base * 1.5
    assert len(crossref_server.hits) == 4


def test_default_backoff_starts_at_one_rate_limit_interval(
    crossref_server: CrossrefTestServer,
) -> None:
    """Without a base, the first back-off is at least the announced interval (1 s)."""
    crossref_server.add_faults(Fault("503"))
    clock = FakeClock()
    client_for(crossref_server, clock=clock).work(PLOS)
    assert max(clock.sleeps) >= 1.0


def test_a_429_storm_ends_after_max_attempts(crossref_server: CrossrefTestServer) -> None:
    """With max_attempts=4, four 429s give CrossrefUnavailable and exactly 4 requests."""
    crossref_server.add_faults(*[Fault("429")] * 6)
    client = client_for(crossref_server)
    with pytest.raises(CrossrefUnavailable, match="after 4 attempts"):
        client.work(PLOS)
    assert len(crossref_server.hits) == 4


def test_a_huge_retry_after_fails_instead_of_hanging(crossref_server: CrossrefTestServer) -> None:
    """Retry-After beyond max_retry_after (120 s) fails the request at once."""
    crossref_server.add_faults(Fault("429", retry_after="3600"))
    clock = FakeClock()
    with pytest.raises(CrossrefUnavailable, match="3600"):
        client_for(crossref_server, clock=clock).work(PLOS)
    assert len(crossref_server.hits) == 1
    assert all(s < 3600 for s in clock.sleeps)


def test_503_with_retry_after_is_honoured(crossref_server: CrossrefTestServer) -> None:
    """An overloaded server's Retry-After on a 503 is waited for, like a 429's."""
    crossref_server.add_faults(Fault("503", retry_after="7"))
    clock = FakeClock()
    client = client_for(crossref_server, clock=clock)
    assert client.work(PLOS)["DOI"] == PLOS
    assert 7.0 in clock.sleeps
    assert client.limiter.stats.throttled == 0  # not a rate-limit signal


class RedirectLoop(requests.Session):
    """A session failing the way a redirect loop does, with the URL in the message."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        raise requests.TooManyRedirects(f"Exceeded 30 redirects: /works?mailto={MAILTO}")


def test_other_request_errors_are_final_and_do_not_echo_the_url() -> None:
    """A redirect loop is not retried, and the error does not repeat the contact address."""
    client = CrossrefClient(session=RedirectLoop(), mailto=MAILTO, clock=FakeClock())
    with pytest.raises(CrossrefError, match="TooManyRedirects") as info:
        client.work(PLOS)
    assert MAILTO not in str(info.value)
    assert client.stats.requests == 1


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_server_errors_are_retried(crossref_server: CrossrefTestServer, status: str) -> None:
    """5xx answers (HTML bodies) are retried until the work comes back."""
    crossref_server.add_faults(Fault(status), Fault(status))
    client = client_for(crossref_server)
    assert client.work(ONCOL)["DOI"] == ONCOL
    assert len(crossref_server.hits) == 3
    assert client.stats.retries == 2


def test_a_slow_answer_times_out_and_is_retried(crossref_server: CrossrefTestServer) -> None:
    """A response slower than the read timeout counts as a failure and is retried."""
    crossref_server.add_faults(Fault("slow", delay=0.6))
    client = client_for(crossref_server, timeout=(2, 0.15))
    assert client.work(ONCOL)["DOI"] == ONCOL
    assert len(crossref_server.hits) == 2
    assert client.stats.failures == 1


@pytest.mark.parametrize("kind", ["reset", "short-body"])
def test_dropped_connections_are_retried(crossref_server: CrossrefTestServer, kind: str) -> None:
    """A connection reset, or a body cut short of its Content-Length, is retried."""
    crossref_server.add_faults(Fault(kind))
    client = client_for(crossref_server)
    assert client.work(ONCOL)["DOI"] == ONCOL
    assert len(crossref_server.hits) == 2


@pytest.mark.parametrize(
    ("kind", "words"),
    [("truncated", "not valid JSON"), ("html", "HTML page"), ("wrong-type", "text/plain")],
)
def test_bad_200_bodies_are_bad_responses_not_retried_not_cached(
    crossref_server: CrossrefTestServer, tmp_path: Path, kind: str, words: str
) -> None:
    """A 200 with cut JSON, an HTML page or another content type raises CrossrefBadResponse."""
    crossref_server.add_faults(Fault(kind))
    client = client_for(crossref_server, tmp_path)
    with pytest.raises(CrossrefBadResponse, match=words):
        client.work(PLOS)
    assert len(crossref_server.hits) == 1
    assert client.cache is not None
    assert len(client.cache) == 0
    assert client.work(PLOS)["DOI"] == PLOS  # the next call fetches a good one


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    """Delta-seconds are read; garbage gives None; negatives mean now."""
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    """An HTTP-date is measured from the given now."""
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0


# -- many works -------------------------------------------------------------------------------


def test_works_returns_one_value_per_input_in_order(crossref_server: CrossrefTestServer) -> None:
    """Keys are the DOIs as given; duplicates are fetched once; errors are values."""
    client = client_for(crossref_server, mailto=MAILTO)
    given = [PLOS, "not a doi", WAKEFIELD, "https://doi.org/" + PLOS, "10.1371/notarealdoi"]
    results = client.works(given)
    assert list(results) == given
    assert results[PLOS] is results["https://doi.org/" + PLOS]
    assert isinstance(results["not a doi"], ValueError)
    assert isinstance(results["10.1371/notarealdoi"], CrossrefNotFound)
    assert results[WAKEFIELD]["DOI"] == WAKEFIELD.lower()  # type: ignore[index]
    assert len(crossref_server.hits) == 3


def test_works_serves_a_second_run_from_the_cache(
    crossref_server: CrossrefTestServer, tmp_path: Path
) -> None:
    """Re-running the same DOIs sends nothing."""
    dois = [f"10.5555/cache-{i}" for i in range(12)]
    client_for(crossref_server, tmp_path, mailto=MAILTO).works(dois)
    assert len(crossref_server.hits) == 12
    again = client_for(crossref_server, tmp_path, mailto=MAILTO).works(dois)
    assert all(isinstance(v, dict) for v in again.values())
    assert len(crossref_server.hits) == 12


def test_the_error_budget_stops_the_whole_run(crossref_server: CrossrefTestServer) -> None:
    """When more than 10 % of requests fail (after 10), works() raises CrossrefUnavailable."""
    crossref_server.fault_rule = lambda index, doi: (
        Fault("500") if doi and doi.startswith("10.5555/bad") else None
    )
    dois = [f"10.5555/{'bad' if i % 4 == 0 else 'ok'}-{i}" for i in range(60)]
    client = client_for(crossref_server, mailto=MAILTO)
    with pytest.raises(CrossrefUnavailable, match="more than the 10%"):
        client.works(dois)
    assert len(crossref_server.hits) < 60
    with pytest.raises(CrossrefUnavailable):
        client.work(PLOS)  # the run stays stopped


def test_the_budget_trips_above_ten_percent_after_ten_requests(
    crossref_server: CrossrefTestServer,
) -> None:
    """1 failure in 10 requests is exactly 10 %: allowed; a second failure stops the run."""
    client = client_for(crossref_server, max_attempts=1)
    for i in range(9):
        client.work(f"10.5555/fine-{i}")
    crossref_server.add_faults(Fault("500"))
    with pytest.raises(CrossrefUnavailable, match="after 1 attempts"):
        client.work("10.5555/fails-once")
    assert (client.stats.requests, client.stats.failures) == (10, 1)
    client.work("10.5555/fine-after")
    crossref_server.add_faults(Fault("500"))
    with pytest.raises(CrossrefUnavailable):
        client.work("10.5555/fails-twice")
    with pytest.raises(CrossrefUnavailable, match="2 of 12 requests failed"):
        client.work("10.5555/never-sent")
    assert len(crossref_server.hits) == 12


def test_a_few_failures_stay_within_the_budget(crossref_server: CrossrefTestServer) -> None:
    """One hopeless DOI (2 failed attempts) after 30 good ones is a value; the run goes on."""
    crossref_server.fault_rule = lambda index, doi: Fault("503") if doi == "10.5555/bad" else None
    dois = (
        [f"10.5555/ok-{i}" for i in range(30)]
        + ["10.5555/bad"]
        + [f"10.5555/ok-{i}" for i in range(30, 39)]
    )
    client = client_for(crossref_server, mailto=MAILTO, max_attempts=2)
    results = client.works(dois)
    assert isinstance(results["10.5555/bad"], CrossrefUnavailable)
    assert sum(isinstance(v, dict) for v in results.values()) == 39


def test_404s_do_not_spend_the_error_budget(crossref_server: CrossrefTestServer) -> None:
    """Twenty unknown DOIs (DataCite, typos) are answers, not failures."""
    client = client_for(crossref_server, mailto=MAILTO)
    results = client.works([f"10.9999/unknown-{i}" for i in range(20)])
    assert all(isinstance(v, CrossrefNotFound) for v in results.values())
    assert client.stats.failures == 0


def test_works_reports_progress(crossref_server: CrossrefTestServer) -> None:
    """A rich Progress given by the caller gets a task that reaches its total."""
    from rich.console import Console
    from rich.progress import Progress

    progress = Progress(console=Console(file=io.StringIO()))
    client = client_for(crossref_server, mailto=MAILTO, progress=progress)
    client.works([f"10.5555/p-{i}" for i in range(5)] + [PLOS])
    task = progress.tasks[0]
    assert task.total == 6
    assert task.completed == 6


# -- search -----------------------------------------------------------------------------------


def test_search_sends_query_bibliographic_with_two_rows(
    crossref_server: CrossrefTestServer, tmp_path: Path
) -> None:
    """search() asks /works?query.bibliographic=...&rows=2 and caches the list."""
    client = client_for(crossref_server, tmp_path)
    items = client.search("Kessler  Chemical ecology 2012")
    assert [i["DOI"] for i in items] == [
        "10.1093/obo/9780199830060-0238",
        "10.1093/obo/9780199830060-0023",
    ]
    hit = crossref_server.hits[0]
    assert hit.path == "/works"
    assert hit.query["query.bibliographic"] == ["Kessler Chemical ecology 2012"]
    assert hit.query["rows"] == ["2"]
    client.search("kessler chemical ecology 2012")
    assert len(crossref_server.hits) == 1


def test_search_is_paced_on_the_list_route(crossref_server: CrossrefTestServer) -> None:
    """In the public pool list routes get 1/s: two searches are about a second apart."""
    clock = FakeClock()
    client = client_for(crossref_server, clock=clock)
    client.search("first query")
    client.search("second query")
    assert clock.sleeps
    assert clock.sleeps[-1] == pytest.approx(1 / 0.95, rel=0.01)


def test_empty_search_is_refused() -> None:
    """An empty reference is a caller error, not a request."""
    with pytest.raises(ValueError, match="empty"):
        CrossrefClient().search("   ")


# -- real pacing against an enforcing server --------------------------------------------------


def test_polite_run_never_violates_enforced_limits() -> None:
    """30 works through a server enforcing 20/s and 3 in flight: no violations, no 429."""
    server = CrossrefTestServer(latency=0.03, enforce=Enforce(rate=20, concurrency=3)).start()
    try:
        client = CrossrefClient(base_url=server.url, mailto=MAILTO)
        started = time.monotonic()
        results = client.works([f"10.5555/pace-{i}" for i in range(30)])
        elapsed = time.monotonic() - started
        assert all(isinstance(v, dict) for v in results.values())
        assert server.rate_violations == 0
        assert server.concurrency_violations == 0
        assert server.max_in_flight <= 3
        assert client.limiter.stats.throttled == 0
        assert elapsed >= 29 / 20  # never faster than allowed
    finally:
        server.stop()


def test_public_run_keeps_one_request_in_flight() -> None:
    """Without a mailto and a server enforcing 1 in flight, requests never overlap."""
    server = CrossrefTestServer(latency=0.02, enforce=Enforce(rate=20, concurrency=1)).start()
    try:
        client = CrossrefClient(base_url=server.url)
        client.works([f"10.5555/one-{i}" for i in range(8)])
        assert server.concurrency_violations == 0
        assert server.rate_violations == 0
        assert server.max_in_flight == 1
    finally:
        server.stop()


def test_ctrl_c_lets_in_flight_requests_finish_and_commit(tmp_path: Path) -> None:
    """Ctrl-C during works(): KeyboardInterrupt after every answered request is cached."""
    server = CrossrefTestServer(latency=0.25).start()
    try:
        client = CrossrefClient(
            base_url=server.url,
            mailto=MAILTO,
            cache=Cache(tmp_path),
            limiter=RateLimiter(limits=Limits(3, (20, 1.0), (20, 1.0))),
        )

        done = threading.Event()

        def interrupt_once_answering() -> None:
            # Not a fixed delay: on a loaded machine the run may not have started by then.
            while not any(h.status == 200 for h in server.hits):
                if done.wait(0.01):
                    return  # works() ended first: never interrupt another test
            _thread.interrupt_main()

        interrupter = threading.Thread(target=interrupt_once_answering, daemon=True)
        interrupter.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                client.works([f"10.5555/int-{i}" for i in range(40)])
        finally:
            done.set()
            interrupter.join()
        answered = {h.doi for h in server.hits if h.status == 200}
        assert 0 < len(answered) < 40
        assert client.cache is not None
        assert set(client.cache.keys()) == {f"works/{doi}" for doi in answered}
        time.sleep(0.3)
        assert len(server.hits) == len(answered)  # nothing started after the interrupt
    finally:
        server.stop()


def _version() -> str:
    return user_agent(None).split("/", 1)[1].split(" ", 1)[0]
