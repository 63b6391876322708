"""RateLimiter: strict start, header-driven adaptation, pacing and in-flight bounds."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time

import pytest

from crossref_server import PUBLIC
from cytobib.crossref.ratelimit import (
    POLITE_LIMITS,
    PUBLIC_LIMITS,
    Limits,
    RateLimiter,
    parse_count,
    parse_interval,
)
from serverkit import FakeClock

RECORDED_2026_PUBLIC = PUBLIC  # the headers recorded from the live API in 2026


def test_public_pool_starts_strictest() -> None:
    """Without a mailto: 1 in flight, 5/s for single works, 1/s for list routes."""
    limiter = RateLimiter(clock=FakeClock(), safety=1.0)
    assert limiter.concurrency == 1
    assert limiter.limit("single") == (5, 1.0)
    assert limiter.limit("list") == (1, 1.0)
    assert limiter.rate("list") == pytest.approx(1.0)


def test_polite_pool_starts_at_three_in_flight_and_ten_per_second() -> None:
    """With a mailto: 3 in flight and 10/s, the 2026 polite values."""
    limiter = RateLimiter(polite=True, clock=FakeClock(), safety=1.0)
    assert limiter.concurrency == 3
    assert limiter.limit("single") == (10, 1.0)
    assert POLITE_LIMITS.concurrency == 3
    assert PUBLIC_LIMITS.concurrency == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5),
        ("50, 50", 50),
        ("50,10", 10),
        (" 7 ", 7),
        ("", None),
        (None, None),
        ("abc", None),
        ("0", None),
        ("-3", None),
        ("5.5", None),
        ("99999999", None),
        ("50, junk", 50),
    ],
)
def test_parse_count_is_lenient_and_strict_at_once(value: str | None, expected: int | None) -> None:
    """Counts: duplicates give the smallest, garbage gives None."""
    assert parse_count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1s", 1.0),
        ("60s", 60.0),
        ("1", 1.0),
        ("1s, 1s", 1.0),
        ("1s, 60s", 60.0),
        ("500ms", 0.5),
        ("2m", 120.0),
        ("soon", None),
        ("0s", None),
        ("", None),
        ("-1s", None),
    ],
)
def test_parse_interval_reads_seconds(value: str, expected: float | None) -> None:
    """Intervals such as "1s" and "60s" become seconds; the longest duplicate wins."""
    assert parse_interval(value) == expected


def test_headers_are_adopted_from_each_response() -> None:
    """Announced limits replace the starting ones, per route."""
    limiter = RateLimiter(clock=FakeClock(), safety=1.0)
    limiter.observe(
        "single",
        {"X-Rate-Limit-Limit": "50", "X-Rate-Limit-Interval": "1s", "X-Concurrency-Limit": "5"},
    )
    assert limiter.limit("single") == (50, 1.0)
    assert limiter.concurrency == 5
    assert limiter.limit("list") == (1, 1.0)  # list route untouched


def test_duplicated_header_values_do_not_crash() -> None:
    """The 2021 '50, 50' header form is read as 50 (crossrefapi#38 crashed on it)."""
    limiter = RateLimiter(clock=FakeClock())
    limiter.observe("single", {"x-rate-limit-limit": "50, 50", "x-rate-limit-interval": "1s, 1s"})
    assert limiter.limit("single") == (50, 1.0)


def test_legacy_twins_are_used_when_the_main_headers_are_missing() -> None:
    """x-ratelimit-* (2022/2024 recordings) is read when x-rate-limit-* is absent."""
    limiter = RateLimiter(clock=FakeClock())
    limiter.observe("single", {"x-ratelimit-limit": "50", "x-ratelimit-interval": "1s"})
    assert limiter.limit("single") == (50, 1.0)


def test_garbage_headers_keep_the_current_values() -> None:
    """Unreadable values change nothing."""
    limiter = RateLimiter(polite=True, clock=FakeClock())
    limiter.observe(
        "single",
        {
            "x-rate-limit-limit": "lots",
            "x-rate-limit-interval": "forever",
            "x-concurrency-limit": "0",
        },
    )
    assert limiter.limit("single") == (10, 1.0)
    assert limiter.concurrency == 3


def test_sixty_second_interval_slows_pacing() -> None:
    """'60s' with limit 60 means one request a second, not sixty."""
    limiter = RateLimiter(clock=FakeClock(), safety=1.0)
    limiter.observe("single", {"x-rate-limit-limit": "60", "x-rate-limit-interval": "60s"})
    assert limiter.rate("single") == pytest.approx(1.0)


def test_starts_are_spaced_by_the_token_bucket() -> None:
    """At 10/s with safety 1, five requests start 0.1 s apart (0.4 s of sleeping)."""
    clock = FakeClock()
    limiter = RateLimiter(limits=Limits(1, (10, 1.0), (1, 1.0)), clock=clock, safety=1.0)
    starts = []
    for _ in range(5):
        with limiter.slot("single"):
            starts.append(clock.monotonic())
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(starts)]
    assert gaps == [0.1, 0.1, 0.1, 0.1]
    assert limiter.stats.acquired == 5


def test_safety_margin_paces_below_the_announced_rate() -> None:
    """The default safety of 0.95 spaces 10/s starts 1/9.5 s apart."""
    clock = FakeClock()
    limiter = RateLimiter(limits=Limits(1, (10, 1.0), (1, 1.0)), clock=clock)
    with limiter.slot():
        first = clock.monotonic()
    with limiter.slot():
        second = clock.monotonic()
    assert second - first == pytest.approx(1 / 9.5)


def test_list_routes_have_their_own_bucket() -> None:
    """A search does not wait for single-work tokens, and vice versa."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, safety=1.0)  # public: single 5/s, list 1/s
    with limiter.slot("list"):
        pass
    with limiter.slot("single"):
        pass
    assert clock.sleeps == []
    with limiter.slot("list"):
        pass
    assert clock.sleeps == [pytest.approx(1.0)]


def test_429_drops_to_one_in_flight_for_the_cooldown() -> None:
    """After a 429 only one request may be in flight until the cool-down ends."""
    clock = FakeClock()
    limiter = RateLimiter(polite=True, clock=clock, cooldown=60)
    limiter.throttled()
    assert limiter.concurrency == 1
    assert limiter.announced_concurrency == 3
    clock.advance(61)
    assert limiter.concurrency == 3


def test_retry_after_pauses_every_route() -> None:
    """A Retry-After pause delays the next start on any route."""
    clock = FakeClock()
    limiter = RateLimiter(polite=True, clock=clock)
    limiter.throttled(retry_after=2.0)
    before = clock.monotonic()
    with limiter.slot("list"):
        assert clock.monotonic() - before == pytest.approx(2.0)


def test_in_flight_never_exceeds_the_limit_under_threads() -> None:
    """Eight threads through a 2-slot limiter never have more than 2 inside at once."""
    limiter = RateLimiter(limits=Limits(2, (1000, 1.0), (1000, 1.0)))
    inside = 0
    peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, peak
        for _ in range(5):
            with limiter.slot():
                with lock:
                    inside += 1
                    peak = max(peak, inside)
                time.sleep(0.002)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2
    assert limiter.stats.acquired == 40


def test_lowered_concurrency_applies_to_waiting_threads() -> None:
    """When the server announces a lower concurrency, new slots respect it at once."""
    limiter = RateLimiter(limits=Limits(3, (1000, 1.0), (1000, 1.0)))
    limiter.observe("single", RECORDED_2026_PUBLIC)
    assert limiter.concurrency == 1


class OversleepingClock(FakeClock):
    """A FakeClock whose second sleep overshoots, like a thread the OS wakes late."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late
        self.calls = 0

    def sleep(self, seconds: float) -> None:
        self.calls += 1
        super().sleep(seconds + (self.late if self.calls == 2 else 0.0))


def test_a_late_start_does_not_let_later_tokens_bunch_up() -> None:
    """Any 11 real starts at 10/s span at least 1 s, even when one thread wakes 80 ms late."""
    clock = OversleepingClock(late=0.08)
    limiter = RateLimiter(limits=Limits(3, (10, 1.0), (10, 1.0)), clock=clock, safety=1.0)
    starts: list[float] = []
    open_slots: list[contextlib.ExitStack] = []
    for _ in range(30):
        if len(open_slots) == 3:  # three booked at once, as three worker threads would
            open_slots.pop(0).close()
        stack = contextlib.ExitStack()
        stack.enter_context(limiter.slot("single"))
        starts.append(clock.monotonic())
        open_slots.append(stack)
    for stack in open_slots:
        stack.close()
    assert any(b - a > 0.15 for a, b in itertools.pairwise(starts))  # the late wake happened
    spans = [starts[i + 10] - starts[i] for i in range(len(starts) - 10)]
    assert min(spans) >= 1.0 - 1e-9
